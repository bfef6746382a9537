import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("Parameter groups")
struct ParameterGroupTests {
    /// transformers' `get_decay_parameter_names` patterns on Hugging Face and PEFT parameter names.
    @Test func decayRuleFollowsTransformers() {
        let decayed = ["model.embed_tokens.weight", "lm_head.weight", "model.layers.0.self_attn.q_proj.weight",
                       "model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.mlp.down_proj.lora_B.weight",
                       "model.layers.0.self_attn.o_proj.lora_magnitude_vector", "model.normalizer.weight"]
        let exempt = ["model.norm.weight", "model.layers.0.input_layernorm.weight",
                      "model.layers.3.post_attention_layernorm.weight", "model.layers.0.self_attn.q_norm.weight",
                      "model.layers.0.self_attn.k_norm.weight", "model.layers.0.self_attn.q_proj.bias", "final_RMSNorm.scale"]
        for p in decayed { #expect(ParameterGroup<Float>.isDecayed(p), "\(p) should decay") }
        for p in exempt { #expect(!ParameterGroup<Float>.isDecayed(p), "\(p) should not decay") }
    }

    @Test func standardGroupsSplitDecayAndLoRAPlus() throws {
        let url = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        let model = try CausalLanguageModel<Float>.load(from: url)
        model.parameters.forEach { $0.isTrainable = true }
        let full = ParameterGroup.standard(model.trainableParameters, weightDecay: 0.1)
        #expect(full.count == 2)
        #expect(full.reduce(0) { $0 + $1.parameters.count } == model.trainableParameters.count)
        let noDecay = try #require(full.first { $0.weightDecay == 0 })
        #expect(noDecay.parameters.allSatisfy { $0.path.hasSuffix("norm.weight") && $0.shape.count == 1 })
        #expect(full.allSatisfy { $0.learningRateScale == 1 })

        let lora = try CausalLanguageModel<Float>.load(from: url)
        try lora.applyLoRA(LoRAConfiguration(rank: 4, alpha: 8, targetModules: .allLinear, useDoRA: true), seed: 1)
        let groups = ParameterGroup.standard(lora.trainableParameters, weightDecay: 0.1, loraPlusRatio: 16)
        let fast = groups.filter { $0.learningRateScale == 16 }.flatMap(\.parameters).map(\.path)
        let slow = groups.filter { $0.learningRateScale == 1 }.flatMap(\.parameters).map(\.path)
        #expect(!fast.isEmpty && !slow.isEmpty)
        #expect(fast.allSatisfy { $0.contains("lora_B") || $0.contains("lora_magnitude_vector") })
        #expect(slow.allSatisfy { $0.contains("lora_A") })
        #expect(groups.allSatisfy { $0.weightDecay == 0.1 })
    }

    /// A group's learning-rate scale and weight decay give exactly the update of an optimizer built with those
    /// values, and parameters of other groups are untouched by them.
    @Test(arguments: ["adamw", "sgd"])
    func groupsOverrideHyperparameters(_ kind: String) {
        func parameters() -> [Parameter<Float>] {
            var rng = RandomGenerator(seed: 5)
            return (0..<2).map { i in
                let p = Parameter(Tensor<Float>.randomNormal([37], standardDeviation: 1, generator: &rng), path: "p\(i)")
                p.value.grad = Tensor<Float>.randomNormal([37], standardDeviation: 1, generator: &rng)
                return p
            }
        }
        func optimizer(lr: Double, wd: Double) -> any Optimizer<Float> {
            kind == "adamw" ? AdamW<Float>(learningRate: lr, weightDecay: wd) as any Optimizer<Float>
                : SGD<Float>(learningRate: lr, momentum: 0.9, weightDecay: wd)
        }
        let grouped = parameters()
        let opt = optimizer(lr: 1e-2, wd: 0.1)
        opt.step([ParameterGroup([grouped[0]]), ParameterGroup([grouped[1]], learningRateScale: 4, weightDecay: 0)])
        let plain = parameters(), scaled = parameters()
        optimizer(lr: 1e-2, wd: 0.1).step([plain[0]])
        optimizer(lr: 4e-2, wd: 0).step([scaled[1]])
        #expect(grouped[0].value.scalars == plain[0].value.scalars)
        #expect(grouped[1].value.scalars == scaled[1].value.scalars)
        #expect(grouped[1].value.scalars != plain[1].value.scalars)
    }
}
