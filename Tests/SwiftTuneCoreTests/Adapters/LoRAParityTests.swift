import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// SwiftTune's LoRA, rsLoRA and DoRA give PEFT's numbers: adapters saved by PEFT (nonzero B, perturbed DoRA
/// magnitudes) on llama-gqa, with PEFT's float64 logits, loss and adapter gradients.
@Suite("LoRA parity with PEFT")
struct LoRAParityTests {
    @Test(arguments: LoRAFixtures.variants)
    func logitsLossAndGradientsMatchPEFT(_ variant: String) throws {
        let model = try LoRAFixtures.baseModel()
        let adapters = try model.loadLoRAAdapter(from: LoRAFixtures.folder(variant), trainable: true)
        #expect(adapters.count == 14)
        #expect(adapters.allSatisfy { ($0.variant == .dora) == (variant == "dora") })
        let expected = try LoRAFixtures.expected(variant)
        let batch = try LoRAFixtures.batch(expected)

        let logits = try withoutGradients { try model(batch.ids, shape: batch.shape) }
        expectClose(logits, try expected.tensor("logits", as: Double.self).scalars, rtol: 1e-4, atol: 1e-4, "\(variant) logits")

        let loss = try model.loss(batch.ids, labels: batch.labels, shape: batch.shape)
        let expectedLoss = try expected.tensor("loss", as: Double.self).scalars[0]
        #expect(Swift.abs(loss.item.doubleValue - expectedLoss) < 1e-4,
                "\(variant) loss: expected \(expectedLoss), observed \(loss.item), tolerance 1e-4")
        loss.backward()

        var checked = 0
        for parameter in adapters.flatMap(\.adapterParameters) {
            let reference = try expected.tensor("grad." + parameter.path, as: Double.self)
            let grad = try #require(parameter.grad, "\(parameter.path) has no gradient")
            #expect(grad.shape == reference.shape, "\(parameter.path): gradient shape")
            expectClose(grad, reference.scalars, rtol: 1e-4, atol: 1e-5, "\(variant) ∂loss/∂\(parameter.path)")
            checked += 1
        }
        #expect(checked == expected.tensorNames.filter { $0.hasPrefix("grad.") }.count)
        #expect(checked == (variant == "dora" ? 42 : 28))
        // The base is frozen: no gradient, no gradient memory.
        let base = model.parameters.filter { !$0.path.hasPrefix(LoRALinear<Float>.peftPrefix) }
        #expect(base.allSatisfy { !$0.isTrainable && $0.grad == nil })
    }

    @Test func peftConfigurationDecodes() throws {
        for variant in LoRAFixtures.variants {
            let c = try PEFTAdapterFolder.readConfiguration(in: LoRAFixtures.folder(variant))
            #expect(c.rank == 4 && c.alpha == 8 && c.dropout == 0)
            #expect(c.useRSLoRA == (variant == "rslora") && c.useDoRA == (variant == "dora"))
            #expect(c.initialization == .kaimingUniform && c.baseModelNameOrPath == "llama-gqa")
            // PEFT writes "all-linear" expanded into module paths.
            guard case let .names(names) = c.targetModules else {
                Issue.record("\(variant): target_modules \(c.targetModules)")
                continue
            }
            #expect(names.count == 14 && names.contains("model.layers.1.mlp.down_proj"))
            #expect(c.scale == (variant == "rslora" ? 4 : 2))
        }
    }
}
