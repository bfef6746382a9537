/// Running a LoRA/DoRA model as its base model, without copying weights: the reference pass of preference
/// training (PEFT's `disable_adapter()`, which TRL's and ms-swift's trainers use when the policy is a PEFT model).
extension CausalLanguageModel {
    /// Runs `body` with every adapter of the model switched off: each ``LoRALinear`` computes `base(x)` only, so the
    /// model's logits are the base model's. Nothing is copied; the adapters are switched back on when `body`
    /// returns or throws. Calls nest (an adapter is off while any enclosing call is open).
    ///
    /// A merged adapter (``mergeLoRA()``) is unmerged for the body and merged again afterwards, as PEFT unmerges
    /// before disabling (the base weight then differs from the original by float rounding only).
    ///
    /// ```swift
    /// let reference = try model.withAdaptersDisabled { withoutGradients { try model(ids, shape: shape) } }
    /// ```
    ///
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws (after the adapters are restored); ``LoRAError`` from unmerging or re-merging.
    public func withAdaptersDisabled<R>(_ body: () throws -> R) throws -> R {
        let adapters = loraAdapters
        let merged = adapters.filter(\.isMerged)
        try merged.forEach { try $0.unmerge() }
        adapters.forEach { $0.disabledDepth += 1 }
        let result = Result { try body() }
        adapters.forEach { $0.disabledDepth -= 1 }
        try merged.forEach { try $0.merge() }
        return try result.get()
    }
}
