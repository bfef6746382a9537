import Foundation

extension ModelConfiguration {
    /// Decodes and validates the bytes of a `config.json`; `file` is named in errors.
    /// - Throws: ``ModelConfigurationError`` for a value out of range, ``ModelLoadingError/invalidConfiguration(file:reason:)``
    ///   for JSON that is not a configuration (the reason names the field).
    public static func decode(_ data: Data, file: String) throws -> ModelConfiguration {
        do {
            return try JSONDecoder().decode(ModelConfiguration.self, from: data)
        } catch let error as ModelConfigurationError {
            throw error.attributed(to: file)
        } catch {
            throw ModelLoadingError.invalidConfiguration(file: file, reason: ModelLoadingError.describe(error))
        }
    }

    /// Checks that the configuration describes a model that can be built: positive sizes, head counts that divide,
    /// finite positive ε and θ, valid RoPE scaling, and a size whose float32 parameters and rotary tables fit in
    /// physical memory (computed with overflow-checked arithmetic).
    ///
    /// Decoding from `config.json` runs this; call it on a configuration built in code before building a model
    /// from user-supplied numbers.
    ///
    /// - Parameter file: the file named in errors.
    /// - Throws: ``ModelConfigurationError`` naming `file`, the field (its `config.json` name), the value and the
    ///   allowed range.
    public func validate(file: String = "config.json") throws {
        try validate(file: file, headDimensionGiven: true)
    }

    /// ``validate(file:)``; when `headDimensionGiven` is false (`head_dim` absent from the file), the heads must
    /// also divide the hidden size.
    func validate(file: String, headDimensionGiven: Bool, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) throws {
        func fail(_ field: CodingKeys, _ value: Any, _ requirement: String) -> ModelConfigurationError {
            .invalidValue(file: file, field: field.rawValue, value: "\(value)", requirement: requirement)
        }
        let positive = "must be a positive integer"
        let sizes: [(CodingKeys, Int)] = [
            (.vocabularySize, vocabularySize), (.hiddenSize, hiddenSize), (.intermediateSize, intermediateSize),
            (.layerCount, layerCount), (.attentionHeads, attentionHeads), (.keyValueHeads, keyValueHeads),
        ]
        for (field, value) in sizes where value <= 0 { throw fail(field, value, positive) }
        if !headDimensionGiven, hiddenSize % attentionHeads != 0 {
            throw fail(.attentionHeads, attentionHeads,
                       "must divide 'hidden_size' = \(hiddenSize) (or give 'head_dim')")
        }
        if headDimension <= 0 { throw fail(.headDimension, headDimension, positive) }
        if attentionHeads % keyValueHeads != 0 {
            throw fail(.keyValueHeads, keyValueHeads, "must divide 'num_attention_heads' = \(attentionHeads)")
        }
        if maxPositions <= 0 { throw fail(.maxPositions, maxPositions, positive) }
        if !(rmsNormEpsilon.isFinite && rmsNormEpsilon > 0) {
            throw fail(.rmsNormEpsilon, rmsNormEpsilon, "must be a finite number > 0")
        }
        if !(ropeTheta.isFinite && ropeTheta > 0) { throw fail(.ropeTheta, ropeTheta, "must be a finite number > 0") }
        if !(partialRotaryFactor.isFinite && partialRotaryFactor > 0 && partialRotaryFactor <= 1) {
            throw fail(.partialRotaryFactor, partialRotaryFactor, "must be in (0, 1]")
        }
        if let slidingWindow, slidingWindow <= 0 { throw fail(.slidingWindow, slidingWindow, positive) }
        try validateRopeScaling(file: file)
        try validateSize(file: file, physicalMemory: physicalMemory)
    }

    /// `rope_scaling`: finite positive factors, `high_freq_factor` > `low_freq_factor`, a positive original length.
    private func validateRopeScaling(file: String) throws {
        func fail(_ key: String, _ value: Any, _ requirement: String) -> ModelConfigurationError {
            .invalidValue(file: file, field: "rope_scaling.\(key)", value: "\(value)", requirement: requirement)
        }
        let finitePositive = "must be a finite number > 0"
        switch ropeScaling {
        case .none: break
        case let .linear(factor):
            if !(factor.isFinite && factor > 0) { throw fail("factor", factor, finitePositive) }
        case let .llama3(factor, low, high, original):
            if !(factor.isFinite && factor > 0) { throw fail("factor", factor, finitePositive) }
            if !(low.isFinite && low > 0) { throw fail("low_freq_factor", low, finitePositive) }
            if !(high.isFinite && high > low) {
                throw fail("high_freq_factor", high, "must be a finite number > 'low_freq_factor' = \(low)")
            }
            if original <= 0 { throw fail("original_max_position_embeddings", original, "must be a positive integer") }
        }
    }

    /// The float32 bytes of the parameters and of the rotary tables, or `nil` when the count overflows.
    var float32Bytes: UInt64? {
        func product(_ values: Int...) -> UInt64? {
            values.reduce(UInt64(1) as UInt64?) { total, value in
                guard let total, value >= 0 else { return nil }
                let (p, overflow) = total.multipliedReportingOverflow(by: UInt64(value))
                return overflow ? nil : p
            }
        }
        func sum(_ values: UInt64?...) -> UInt64? {
            values.reduce(UInt64(0) as UInt64?) { total, value in
                guard let total, let value else { return nil }
                let (s, overflow) = total.addingReportingOverflow(value)
                return overflow ? nil : s
            }
        }
        let (C, I, V, L) = (hiddenSize, intermediateSize, vocabularySize, layerCount)
        guard let qWidth = product(attentionHeads, headDimension), let kvWidth = product(keyValueHeads, headDimension),
              qWidth <= UInt64(Int.max), kvWidth <= UInt64(Int.max) else { return nil }
        let (q, kv) = (Int(qWidth), Int(kvWidth))
        // Projections, biases (counted whether present or not: an upper bound), norms.
        let perLayer = sum(product(2, C, q), product(2, C, kv), product(3, C, I), product(2, q), product(2, kv), product(3, I),
                           product(4, C), product(2, headDimension))
        let layers = perLayer.flatMap { per in per <= UInt64(Int.max) ? product(L, Int(per)) : nil }
        let embeddings = product(tieWordEmbeddings ? 1 : 2, V, C)
        let rope = product(maxPositions, headDimension)   // cos and sin tables, R/2 columns each
        guard let elements = sum(layers, embeddings, product(C), rope) else { return nil }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: 4)
        return overflow ? nil : bytes
    }

    private func validateSize(file: String, physicalMemory: UInt64) throws {
        let bytes = float32Bytes
        guard let bytes, bytes <= physicalMemory else {
            let fields = "vocab_size \(vocabularySize), hidden_size \(hiddenSize), intermediate_size \(intermediateSize), "
                + "num_hidden_layers \(layerCount), num_attention_heads \(attentionHeads), head_dim \(headDimension), "
                + "max_position_embeddings \(maxPositions)"
            throw ModelConfigurationError.exceedsMemory(file: file, fields: fields, bytes: bytes,
                                                        physicalMemory: physicalMemory)
        }
    }
}
