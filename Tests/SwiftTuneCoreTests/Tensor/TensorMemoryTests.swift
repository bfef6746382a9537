import SwiftTuneCore
import Testing

@Suite("Tensor memory accounting")
struct TensorMemoryTests {
    /// A live 256 MiB tensor shows in `tensorBytes` and in the peak, and stops counting as live when it dies.
    /// (Other tests run concurrently and allocate too, so the checks are lower bounds on a signal larger than any other test allocates at once.)
    @Test func liveAndPeakBytesFollowAllocations() {
        let size = 256 << 20
        Runtime.resetPeakTensorBytes()
        var held: Tensor<Float>? = Tensor<Float>.zeros([size / 4])
        let live = Runtime.tensorBytes
        #expect(live >= size)
        #expect(Runtime.peakTensorBytes >= live)
        #expect(held?.count == size / 4)
        held = nil
        #expect(Runtime.peakTensorBytes >= size)
        #expect(Runtime.peakTensorBytes - Runtime.tensorBytes >= size / 2, "the dead tensor still counted as live")
    }
}
