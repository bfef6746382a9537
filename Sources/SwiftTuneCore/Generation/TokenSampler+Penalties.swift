extension TokenSampler {
    /// Whether any penalty changes the logits at this point of the row.
    var penalisesLogits: Bool {
        (options.repetitionPenalty != 1 && !seen.isEmpty)
            || ((options.presencePenalty != 0 || options.frequencyPenalty != 0) && !generatedCounts.isEmpty)
    }

    /// Runs `body` on the logits after steps 1–2 (repetition, then frequency, then presence penalty, as vLLM's
    /// `apply_penalties`), NaN replaced by −∞. The raw logits are used in place when nothing changes them;
    /// otherwise they are copied once into the sampler's scratch buffer and only the history's ids are touched.
    mutating func withScores<R>(_ logits: UnsafeBufferPointer<Float>,
                                _ body: (inout TokenSampler, UnsafeBufferPointer<Float>) -> R) -> R {
        let hasNaN = Self.maximum(logits).isNaN
        guard penalisesLogits || hasNaN else { return body(&self, logits) }
        let V = logits.count
        var scores = scratch.penalized
        scratch.penalized = []
        defer { scratch.penalized = scores }
        if scores.count < V { scores = [Float](repeating: 0, count: V) }
        return scores.withUnsafeMutableBufferPointer { buffer in
            let z = UnsafeMutableBufferPointer(rebasing: buffer[0..<V])
            if hasNaN {
                for i in 0..<V { z[i] = logits[i].isNaN ? -.infinity : logits[i] }
            } else {
                _ = z.initialize(from: logits)
            }
            applyPenalties(z)
            return body(&self, UnsafeBufferPointer(z))
        }
    }

    /// Steps 1–2 in place on `z` (`[V]`); ids outside `0..<V` in the history are ignored.
    func applyPenalties(_ z: UnsafeMutableBufferPointer<Float>) {
        let V = z.count
        if options.repetitionPenalty != 1 {
            let rho = Float(options.repetitionPenalty)
            for token in seen where token >= 0 && token < V {
                z[token] = z[token] > 0 ? z[token] / rho : z[token] * rho
            }
        }
        if options.frequencyPenalty != 0 {
            let frequency = Float(options.frequencyPenalty)
            for (token, count) in generatedCounts where token >= 0 && token < V { z[token] -= frequency * Float(count) }
        }
        if options.presencePenalty != 0 {
            let presence = Float(options.presencePenalty)
            for token in generatedCounts.keys where token >= 0 && token < V { z[token] -= presence }
        }
    }

    /// The largest value of `x` (NaN if any value is NaN, −∞ for an empty row).
    static func maximum(_ x: UnsafeBufferPointer<Float>) -> Float {
        guard let base = x.baseAddress, !x.isEmpty else { return -.infinity }
        var out: Float = 0
        Kernels.reduce(&out, base, outer: 1, n: x.count, inner: 1, .max)
        return out
    }

    /// The index of the first maximum of `x` (no NaN in `x`).
    static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        guard let base = x.baseAddress, !x.isEmpty else { return 0 }
        var out: Int64 = 0
        Kernels.argmax(&out, base, outer: 1, n: x.count, inner: 1)
        return Int(out)
    }
}
