/// Putting LoRA adapters on a model's projections, and taking them off again.
extension CausalLanguageModel {
    /// Freezes every parameter of the model and wraps each projection that `configuration` targets in a
    /// ``LoRALinear``.
    ///
    /// Targets are the decoder layers' projections (`q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`,
    /// `up_proj`, `down_proj`) matched by ``LoRAConfiguration/TargetModules`` against their module paths
    /// (`model.layers.{i}.self_attn.q_proj`), restricted to ``LoRAConfiguration/layersToTransform``; `lm_head` and
    /// the embeddings are never adapted. Afterwards ``Layer/trainableParameters`` yields only the adapters' A, B
    /// (and m).
    ///
    /// - Parameters:
    ///   - configuration: rank, α, targets, layers, DoRA, dropout and initialisation of the adapters.
    ///   - seed: adapter k (in layer order, then q, k, v, o, gate, up, down) draws from the stream of the
    ///     k-th value of `RandomGenerator(seed: seed)`.
    /// - Returns: the new adapters, in that order.
    /// - Throws: ``LoRAError`` for an invalid configuration, a configuration that targets nothing, a model that
    ///   already has adapters, or PiSSA on a non-dense base.
    @discardableResult
    public func applyLoRA(_ configuration: LoRAConfiguration, seed: UInt64) throws -> [LoRALinear<Scalar>] {
        try configuration.validate()
        let targets = try loraTargets(configuration)
        parameters.forEach { $0.isTrainable = false }
        var seeds = RandomGenerator(seed: seed)
        var adapters: [LoRALinear<Scalar>] = []
        for target in targets {
            let layer = layers[target.layer]
            let adapter = try LoRALinear(base: layer.projection(target.name), configuration: configuration, seed: seeds.next())
            layer.replaceProjection(target.name, with: adapter)
            adapters.append(adapter)
        }
        return adapters
    }

    /// The projections `configuration` selects, in application order.
    /// - Throws: ``LoRAError/alreadyAdapted(module:)``, ``LoRAError/noTargetModules(file:targetModules:)``;
    ///   ``LoRAError/invalidValue(file:key:value:reason:)`` for a `layers_to_transform` index the model does not
    ///   have, or a rank above min(in, out) of a selected projection (such an update is no longer low-rank: it only
    ///   costs time and memory).
    func loraTargets(_ configuration: LoRAConfiguration) throws -> [(layer: Int, name: ProjectionName)] {
        if let missing = configuration.layersToTransform?.first(where: { $0 < 0 || $0 >= layers.count }) {
            throw LoRAError.invalidValue(file: "", key: "layers_to_transform", value: "\(missing)",
                                         reason: "the model has layers 0..<\(layers.count)")
        }
        var targets: [(layer: Int, name: ProjectionName)] = []
        for (index, layer) in layers.enumerated() {
            if let wanted = configuration.layersToTransform, !wanted.contains(index) { continue }
            for name in ProjectionName.allCases {
                let projection = layer.projection(name)
                guard configuration.targetModules.matches(projection.path) else { continue }
                if projection is LoRALinear<Scalar> { throw LoRAError.alreadyAdapted(module: projection.path) }
                let limit = min(projection.inputFeatures, projection.outputFeatures)
                guard configuration.rank <= limit else {
                    throw LoRAError.invalidValue(file: "", key: "r", value: "\(configuration.rank)",
                        reason: "exceeds min(in, out) = \(limit) of \(projection.path) (\(projection.inputFeatures) → \(projection.outputFeatures))")
                }
                targets.append((index, name))
            }
        }
        guard !targets.isEmpty else {
            throw LoRAError.noTargetModules(file: "", targetModules: configuration.targetModules.jsonText)
        }
        return targets
    }

    /// The adapters on the model's projections, in layer order, then q, k, v, o, gate, up, down.
    public var loraAdapters: [LoRALinear<Scalar>] {
        layers.flatMap { layer in ProjectionName.allCases.compactMap { layer.projection($0) as? LoRALinear<Scalar> } }
    }

    /// Turns adapter dropout on (training) or off (evaluation, generation) in every adapter.
    public func setLoRATraining(_ isTraining: Bool) { loraAdapters.forEach { $0.isTraining = isTraining } }

    /// Selects the dropout masks of the next forward pass in every adapter (see ``LoRALinear/dropoutStep``).
    public func setLoRADropoutStep(_ step: UInt64) { loraAdapters.forEach { $0.dropoutStep = step } }

    /// Merges every adapter into its base weight (see ``LoRALinear/merge()``); the adapters stay in place.
    public func mergeLoRA() throws { try loraAdapters.forEach { try $0.merge() } }

    /// Undoes ``mergeLoRA()``.
    public func unmergeLoRA() throws { try loraAdapters.forEach { try $0.unmerge() } }

    /// Merges every adapter and puts its base layer back in its place: afterwards the model is a plain model
    /// whose weights include the adapters (PEFT's `merge_and_unload`), ready to export. Parameters stay frozen.
    /// - Throws: ``LoRAError/requiresDenseBase(module:operation:)`` when an adapter wraps a quantized layer
    ///   (nothing is changed then).
    public func mergeAndUnloadLoRA() throws {
        for adapter in loraAdapters where !(adapter.base is Linear<Scalar>) {
            throw LoRAError.requiresDenseBase(module: adapter.path, operation: "merging")
        }
        for layer in layers {
            for name in ProjectionName.allCases {
                guard let adapter = layer.projection(name) as? LoRALinear<Scalar> else { continue }
                try adapter.merge()
                layer.replaceProjection(name, with: adapter.base)
            }
        }
    }
}
