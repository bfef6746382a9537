import SwiftTuneCore
#if canImport(Glibc)
import Glibc
#endif

// A tensor operation with autograd, through the library's public API only.
var generator = RandomGenerator(seed: 42)
let x = Tensor<Float>.randomNormal([4, 8], generator: &generator)
let w = Tensor<Float>.randomNormal([3, 8], generator: &generator).requiringGradient()
let loss = matmul(x, w, transposeB: true).silu().square().mean()
loss.backward()
let gradientNorm = w.grad!.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
print("consumer: loss \(loss.item), |∂loss/∂w| \(gradientNorm)")
guard loss.item.isFinite, loss.item > 0, gradientNorm > 0, w.grad!.shape == [3, 8] else {
    print("consumer: unexpected result")
    exit(1)
}
