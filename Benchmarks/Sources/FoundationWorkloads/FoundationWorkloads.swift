// The "Foundation" benchmark area: dense matmul at the SmolLM-135M shapes and the fused / elementwise kernels,
// defined once and timed by two runners (the ordo-one/benchmark suite `FoundationBenchmarks` and the plain-clock
// `foundation-report` used by compare-limits.sh).
//
// Every workload allocates its inputs once (`Workload.make()`), then each iteration is `prepare()` (untimed: drops
// the previous result, builds a fresh autograd graph for backward workloads) followed by `run()` (timed: exactly
// the public SwiftTuneCore call(s) a user would make, including allocating the result tensor).
//
// Work per timed call:
// - matmul: 2·M·N·K floating-point operations.
// - memory-bound kernels: the bytes the operation must read and write at minimum (each input once, each output
//   once, 4 bytes per Float); scratch traffic an implementation adds (zero-filling a buffer it then overwrites,
//   re-reading an input) is not counted, so it shows up as lower GB/s.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@_exported import WorkloadSupport
import CBenchBLAS
import SwiftTuneCore

public enum FoundationWorkloads {
    /// SmolLM-135M linear-layer shapes at sequence 512: (N, K) = (out, in) features, M = 512 tokens.
    /// 576→576 (q/o projections), 576→1536 (gate/up), 1536→576 (down), 576→49152 (lm_head, tied embeddings).
    public static let matmulShapes: [(m: Int, n: Int, k: Int)] = [
        (512, 576, 576), (512, 1536, 576), (512, 576, 1536), (512, 49152, 576),
    ]

    /// Every workload of the area, in report order.
    public static var all: [Workload] { matmuls + kernels }

    public static var matmuls: [Workload] { matmulShapes.map { matmul(m: $0.m, n: $0.n, k: $0.k) } }

    public static var kernels: [Workload] {
        [
            add(count: 1 << 24),
            silu(count: 1 << 24),
            rmsNormForward(rows: 4096, columns: 576),
            rmsNormBackward(rows: 4096, columns: 576),
            softmaxRows(rows: 512, columns: 49152),
            crossEntropyForwardBackward(rows: 512, vocabulary: 49152),
            swigluForward(shape: [8, 512, 1536]),
            adamwStep(count: 1 << 25),
            freshOutput(count: 1 << 24),
        ]
    }

    static func inputs(_ shape: [Int], seed: UInt64) -> Tensor<Float> {
        var rng = RandomGenerator(seed: seed)
        return Tensor<Float>.randomNormal(shape, generator: &rng)
    }

    /// `matmul(x, w, transposeB: true)`, x `[M, K]`, w `[N, K]` (a linear layer's forward), next to raw
    /// `cblas_sgemm(RowMajor, NoTrans, Trans, …)` reading the same x and w buffers into a preallocated C.
    public static func matmul(m: Int, n: Int, k: Int) -> Workload {
        Workload(name: "matmul \(m)x\(n)x\(k)", kind: "matmul", shape: "M=\(m) N=\(n) K=\(k)",
                 work: .flops(2 * Double(m) * Double(n) * Double(k))) {
            let x = inputs([m, k], seed: 1)
            let w = inputs([n, k], seed: 2).scaled(by: 1 / Float(k).squareRoot())
            let result = Sink()
            // The reference's output buffer, touched once so its pages are mapped before timing.
            let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
            c.initialize(repeating: 0, count: m * n)
            let keep = Deallocator(c)
            return Instance(
                prepare: { result.value = nil },
                run: { result.value = SwiftTuneCore.matmul(x, w, transposeB: true) },
                reference: {
                    withExtendedLifetime(keep) {
                        x.withUnsafeScalars { xs in
                            w.withUnsafeScalars { ws in
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k),
                                            1, xs.baseAddress, blasint(k), ws.baseAddress, blasint(k), 0, c, blasint(n))
                            }
                        }
                    }
                })
        }
    }

    /// `a + b`, two 16M-float tensors (same shape, no broadcasting). Reads 2, writes 1.
    public static func add(count: Int) -> Workload {
        Workload(name: "add \(count)", kind: "add", shape: "[\(count)] + [\(count)]",
                 work: .bytes(3 * 4 * Double(count))) {
            let a = inputs([count], seed: 3), b = inputs([count], seed: 4)
            let result = Sink()
            return Instance(prepare: { result.value = nil }, run: { result.value = a + b })
        }
    }

    /// `x.silu()`. Reads 1, writes 1.
    public static func silu(count: Int) -> Workload {
        Workload(name: "silu \(count)", kind: "silu", shape: "[\(count)]", work: .bytes(2 * 4 * Double(count))) {
            let x = inputs([count], seed: 5)
            let result = Sink()
            return Instance(prepare: { result.value = nil }, run: { result.value = x.silu() })
        }
    }

    /// `rmsNorm(x, weight: w, epsilon: 1e-5)` without gradients. Reads x and w, writes y and one rstd per row.
    public static func rmsNormForward(rows: Int, columns: Int) -> Workload {
        let bytes = 4 * (2 * Double(rows * columns) + Double(columns) + Double(rows))
        return Workload(name: "rmsNorm forward \(rows)x\(columns)", kind: "rmsNorm forward", shape: "[\(rows), \(columns)]",
                        work: .bytes(bytes)) {
            let x = inputs([rows, columns], seed: 6), w = inputs([columns], seed: 7)
            let result = Sink()
            return Instance(prepare: { result.value = nil }, run: { result.value = rmsNorm(x, weight: w, epsilon: 1e-5) })
        }
    }

    /// The backward of `rmsNorm` (x and w require gradients): `y.backward(dy)` after an untimed forward.
    /// Reads dy, x, w and rstd; writes dx and dw.
    public static func rmsNormBackward(rows: Int, columns: Int) -> Workload {
        let bytes = 4 * (3 * Double(rows * columns) + 2 * Double(columns) + Double(rows))
        return Workload(name: "rmsNorm backward \(rows)x\(columns)", kind: "rmsNorm backward", shape: "[\(rows), \(columns)]",
                        work: .bytes(bytes)) {
            let x = inputs([rows, columns], seed: 6), w = inputs([columns], seed: 7)
            let dy = inputs([rows, columns], seed: 8)
            var y: Tensor<Float>?
            return Instance(
                prepare: {
                    y = nil   // drops the previous graph and the leaves' gradients
                    let (xl, wl) = (x.requiringGradient(), w.requiringGradient())
                    y = withGradients { rmsNorm(xl, weight: wl, epsilon: 1e-5) }
                },
                run: { y!.backward(dy) })
        }
    }

    /// `softmax(x)` over rows of `[512, 49152]` (vocabulary-sized rows). Reads 1, writes 1.
    public static func softmaxRows(rows: Int, columns: Int) -> Workload {
        Workload(name: "softmax \(rows)x\(columns)", kind: "softmax", shape: "[\(rows), \(columns)]",
                 work: .bytes(2 * 4 * Double(rows * columns))) {
            let x = inputs([rows, columns], seed: 9)
            let result = Sink()
            return Instance(prepare: { result.value = nil }, run: { result.value = softmax(x) })
        }
    }

    /// `crossEntropy(logits:targets:)` forward and `backward()` together, logits `[512, 49152]`.
    /// Minimum traffic of an unfused forward-then-backward: forward reads the logits, backward reads them again
    /// and writes dlogits (3 passes over N·V floats).
    public static func crossEntropyForwardBackward(rows: Int, vocabulary: Int) -> Workload {
        Workload(name: "crossEntropy fwd+bwd \(rows)x\(vocabulary)", kind: "crossEntropy forward+backward",
                 shape: "[\(rows), \(vocabulary)]", work: .bytes(3 * 4 * Double(rows * vocabulary))) {
            let logits = inputs([rows, vocabulary], seed: 10)
            var rng = RandomGenerator(seed: 11)
            let targets = (0..<rows).map { _ in Int(rng.next() % UInt64(vocabulary)) }
            var leaf: Tensor<Float>?
            return Instance(
                prepare: { leaf = nil; leaf = logits.requiringGradient() },
                run: {
                    let loss = withGradients { crossEntropy(logits: leaf!, targets: targets) }
                    loss.backward()
                })
        }
    }

    /// `swiglu(gate:up:)` forward without gradients, `[8, 512, 1536]` (8 sequences of 512 through the MLP).
    /// Reads 2, writes 1.
    public static func swigluForward(shape: [Int]) -> Workload {
        let count = shape.reduce(1, *)
        return Workload(name: "swiglu forward \(shape.map(String.init).joined(separator: "x"))", kind: "swiglu forward",
                        shape: "\(shape)", work: .bytes(3 * 4 * Double(count))) {
            let gate = inputs(shape, seed: 12), up = inputs(shape, seed: 13)
            let result = Sink()
            return Instance(prepare: { result.value = nil }, run: { result.value = swiglu(gate: gate, up: up) })
        }
    }
}

extension FoundationWorkloads {
    /// `AdamW.step([p])` on one 32M-float parameter (4 × 128 MiB, far beyond the 32 MiB L3) (the fused CKernels pass). Reads θ, g, m, v; writes θ, m, v
    /// (7 × 4 bytes per parameter). The moments exist from the untimed warm-up step on, as in training.
    public static func adamwStep(count: Int) -> Workload {
        Workload(name: "adamw step \(count)", kind: "adamw", shape: "[\(count)]", work: .bytes(7 * 4 * Double(count))) {
            let p = Parameter(inputs([count], seed: 14), path: "w")
            p.value.grad = inputs([count], seed: 15)
            let optimizer = AdamW<Float>(learningRate: 1e-4, weightDecay: 0.01)
            optimizer.step([p])
            return Instance(run: { optimizer.step([p]) })
        }
    }

    /// Diagnostic, not a kernel: a fresh 16M-float tensor filled by `memset` (`Tensor(shape:unsafeUninitializedScalars:)`).
    /// Every operation above returns a newly allocated tensor; for outputs this large glibc's malloc maps fresh
    /// pages each time, so the first write pays a page fault per 4 KiB. This is the floor that cost sets for
    /// 64 MB of output (compare with the triad bandwidth, which writes into memory that is already mapped).
    public static func freshOutput(count: Int) -> Workload {
        Workload(name: "fresh output \(count)", kind: "fresh output (allocate + memset, diagnostic)",
                 shape: "[\(count)]", work: .bytes(4 * Double(count))) {
            let result = Sink()
            return Instance(prepare: { result.value = nil }, run: {
                result.value = Tensor<Float>(shape: [count]) { buffer in
                    memset(buffer.baseAddress!, 0, buffer.count * MemoryLayout<Float>.stride)
                }
            })
        }
    }
}
