// Timings of the NF4 kernels, run by hand (they are skipped unless NF4_BENCHMARK=1):
//
//     NF4_BENCHMARK=1 swift test -c release --filter NF4Benchmarks
//
// Matrix-vector: GB/s of packed weight read (0.5 byte per weight; the float32 absmax add 1/8 of that and are
// reported separately). Products: GFLOP/s (2·N·in·out per call) of the fused NF4 forward and input gradient, next
// to BLAS sgemm (SwiftTuneCore's matmul) on the same shapes with a float32 weight.
import CKernels
import Foundation
import SwiftTuneCore
import Testing

@Suite("NF4 benchmarks", .enabled(if: ProcessInfo.processInfo.environment["NF4_BENCHMARK"] == "1"), .serialized)
struct NF4Benchmarks {
    /// Best of `repeats` timings of `body`, in seconds, after one warm-up call.
    func best(repeats: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return best
    }

    func quantized(out: Int, in inF: Int) -> ([UInt8], [Float]) {
        var rng = NF4Random(seed: 1)
        let w = rng.weights(out * inF, scale: 0.02)
        var packed = [UInt8](repeating: 0, count: (w.count + 1) / 2)
        var absmax = [Float](repeating: 0, count: (w.count + 63) / 64)
        st_nf4_quantize_f32(&packed, &absmax, w, Int64(w.count))
        return (packed, absmax)
    }

    @Test(arguments: [(576, 1536), (1536, 576), (49152, 576)])
    func matrixVector(_ shape: (Int, Int)) {
        let (out, inF) = shape
        let (packed, absmax) = quantized(out: out, in: inF)
        var rng = NF4Random(seed: 2)
        let x = rng.weights(inF, scale: 1)
        var y = [Float](repeating: 0, count: out)
        for threads: Int32 in [1, Int32(ProcessInfo.processInfo.activeProcessorCount)] {
            st_set_num_threads(threads)
            let seconds = best(repeats: out > 10_000 ? 20 : 200) {
                st_nf4_matvec_f32(&y, x, packed, absmax, Int64(inF), Int64(out))
            }
            let gbs = Double(packed.count) / seconds * 1e-9
            print(String(format: "NF4 matvec W [%d, %d], %d threads: %.1f µs, %.2f GB/s packed (%.2f GB/s with absmax)",
                         out, inF, threads, seconds * 1e6, gbs, Double(packed.count + 4 * absmax.count) / seconds * 1e-9))
        }
    }

    @Test(arguments: [(576, 1536), (1536, 576), (49152, 576)])
    func products(_ shape: (Int, Int)) {
        let (out, inF) = shape
        let N = 512
        let (packed, absmax) = quantized(out: out, in: inF)
        var rng = RandomGenerator(seed: 3)
        let x = Tensor<Float>.randomNormal([N, inF], generator: &rng)
        let dy = Tensor<Float>.randomNormal([N, out], generator: &rng)
        let w = Tensor<Float>.randomNormal([out, inF], generator: &rng)
        let xs = x.scalars, dys = dy.scalars
        var y = [Float](repeating: 0, count: N * out), dx = [Float](repeating: 0, count: N * inF)
        let flops = 2.0 * Double(N * inF * out)
        let repeats = out > 10_000 ? 3 : 20
        for threads: Int32 in [1, Int32(ProcessInfo.processInfo.activeProcessorCount)] {
            st_set_num_threads(threads)
            Runtime.threadCount = Int(threads)
            let forward = best(repeats: repeats) { st_nf4_matmul_f32(&y, xs, packed, absmax, Int64(N), Int64(inF), Int64(out)) }
            let backward = best(repeats: repeats) {
                st_nf4_matmul_backward_input_f32(&dx, dys, packed, absmax, Int64(N), Int64(inF), Int64(out))
            }
            let dense = best(repeats: repeats) { _ = withoutGradients { matmul(x, w, transposeB: true) } }
            let denseBackward = best(repeats: repeats) { _ = withoutGradients { matmul(dy, w) } }
            print(String(format: "NF4 N=%d W [%d, %d], %d threads: fused forward %.1f GFLOP/s, input gradient %.1f GFLOP/s; "
                         + "sgemm forward %.1f GFLOP/s, input gradient %.1f GFLOP/s",
                         N, out, inF, threads, flops / forward * 1e-9, flops / backward * 1e-9,
                         flops / dense * 1e-9, flops / denseBackward * 1e-9))
        }
    }
}
