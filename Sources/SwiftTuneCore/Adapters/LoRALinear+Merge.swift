/// Folding the adapter into a dense base weight and back (PEFT's `merge` / `unmerge`).
///
/// - LoRA: W ← W + s·B·A; undone by W ← W − s·B·A.
/// - DoRA: with n = ‖W + s·B·A‖ per row (from the unmerged W, as the forward pass uses it),
///   W ← (m / n) ⊙ (W + s·B·A) row-wise; n is kept so that W ← W / (m / n) − s·B·A undoes it.
///
/// While merged, the forward pass is the base alone and gives the same output (up to rounding) without dropout.
/// Merging needs a dense ``Linear`` base; a quantized base cannot absorb the update.
extension LoRALinear {
    /// Writes the adapter into the base weight. Does nothing when already merged.
    /// - Throws: ``LoRAError/requiresDenseBase(module:operation:)`` when the base is not a ``Linear``.
    public func merge() throws {
        guard !isMerged else { return }
        let dense = try denseBase(for: "merging")
        let adapted = withoutGradients { dense.weight.value.detached + deltaWeight() }
        if let magnitude {
            let norm = LoRALinear.rowNorms(adapted)
            mergedWeightNorm = norm
            let factor = withoutGradients { (magnitude.value.detached / norm).reshaped([outputFeatures, 1]) }
            dense.weight.assign(withoutGradients { adapted * factor })
        } else {
            dense.weight.assign(adapted)
        }
        isMerged = true
    }

    /// Restores the base weight as it was before ``merge()`` (up to rounding). Does nothing when not merged.
    public func unmerge() throws {
        guard isMerged else { return }
        let dense = try denseBase(for: "unmerging")
        var weight = dense.weight.value.detached
        if let magnitude, let norm = mergedWeightNorm {
            let factor = withoutGradients { (magnitude.value.detached / norm).reshaped([outputFeatures, 1]) }
            weight = withoutGradients { weight / factor }
        }
        dense.weight.assign(withoutGradients { weight - deltaWeight() })
        mergedWeightNorm = nil
        isMerged = false
    }

    func denseBase(for operation: String) throws -> Linear<Scalar> {
        guard let dense = base as? Linear<Scalar> else { throw LoRAError.requiresDenseBase(module: path, operation: operation) }
        return dense
    }
}
