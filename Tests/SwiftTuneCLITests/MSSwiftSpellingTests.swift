import Foundation
import SwiftTuneCore
import Testing
@testable import swifttune

/// ms-swift's spelling of `swifttune` commands parses to the same run as SwiftTune's kebab-case spelling.
@Suite("ms-swift spelling")
struct MSSwiftSpellingTests {
    let model = repositoryPath("Defaults/model")
    let train = repositoryPath("Defaults/data/train.jsonl")
    let test = repositoryPath("Defaults/data/test.jsonl")

    @Test func trainingOptionsInBothSpellingsAgree() throws {
        let kebab = try parse(["sft", "--model", model, "--dataset", train, "--val-dataset", test, "--output", "/tmp/o",
                               "--tuner", "lora", "--lora-rank", "4", "--lora-alpha", "16", "--lora-dropout", "0.1",
                               "--use-rslora", "--target-modules", "q_proj,v_proj", "--learning-rate", "3e-3",
                               "--weight-decay", "0.01", "--adam-beta2", "0.999", "--lr-scheduler", "linear",
                               "--warmup-ratio", "0.1", "--num-train-epochs", "2", "--batch-size", "4",
                               "--gradient-accumulation-steps", "2", "--max-length", "64", "--packing",
                               "--save-steps", "10", "--eval-steps", "5", "--logging-steps", "2", "--lorap-lr-ratio", "16",
                               "--max-steps", "7", "--seed", "3", "--no-shuffle", "--no-gradient-checkpointing",
                               "--optimizer", "adamw", "--max-grad-norm", "0.5", "--truncation-strategy", "left"]).plan()
        let msSwift = try parse(["sft", "--model", model, "--dataset", train, "--val_dataset", test, "--output_dir", "/tmp/o",
                                 "--train_type", "lora", "--lora_rank", "4", "--lora_alpha", "16", "--lora_dropout", "0.1",
                                 "--use_rslora", "true", "--target_modules", "q_proj", "v_proj", "--learning_rate", "3e-3",
                                 "--weight_decay", "0.01", "--adam_beta2", "0.999", "--lr_scheduler_type", "linear",
                                 "--warmup_ratio", "0.1", "--num_train_epochs", "2", "--per_device_train_batch_size", "4",
                                 "--gradient_accumulation_steps", "2", "--max_length", "64", "--packing", "true",
                                 "--save_steps", "10", "--eval_steps", "5", "--logging_steps", "2", "--lorap_lr_ratio", "16",
                                 "--max_steps", "7", "--seed", "3", "--dataset_shuffle", "false",
                                 "--gradient_checkpointing", "false", "--optim", "adamw_torch", "--max_grad_norm", "0.5",
                                 "--truncation_strategy", "left"]).plan()
        #expect(kebab == msSwift, "kebab \(kebab)\nms-swift \(msSwift)")
        #expect(kebab.lora.targetModules == .names(["q_proj", "v_proj"]) && kebab.lora.useRSLoRA && kebab.training.packing)
        #expect(kebab.training.shuffle == false && kebab.training.gradientCheckpointing == false)
    }

    /// DoRA is `--train_type lora --use_dora true` in ms-swift, `--tuner dora` (or `--use-dora`) in SwiftTune;
    /// QLoRA is the four bitsandbytes options, or `--quantize nf4`.
    @Test func doraAndQLoRA() throws {
        let base = ["sft", "--model", model, "--dataset", train, "--output", "/tmp/o"]
        let kebab = try parse(base + ["--tuner", "dora", "--quantize", "nf4"]).plan()
        let flag = try parse(base + ["--use-dora", "--quantize", "nf4"]).plan()
        let msSwift = try parse(base + ["--tuner_type", "lora", "--use_dora", "true", "--quant_method", "bnb", "--quant_bits", "4",
                                        "--bnb_4bit_quant_type", "nf4", "--bnb_4bit_use_double_quant", "true"]).plan()
        let short = try parse(base + ["--train_type", "lora", "--use_dora", "--quant_method", "bnb", "--quant_bits", "4"]).plan()
        #expect(kebab == msSwift && flag == msSwift && short == msSwift)
        #expect(msSwift.lora.useDoRA && msSwift.quantize == "nf4")
        #expect(try parse(base + ["--use_dora", "false"]).plan().lora.useDoRA == false)
    }

    @Test func defaultsComeFromTheConfigurations() throws {
        let plan = try parse(["sft", "--model", model, "--dataset", train, "--output", "/tmp/o"]).plan()
        #expect(plan.training == TrainingConfiguration())
        var lora = LoRAConfiguration.trainingDefault
        lora.baseModelNameOrPath = model
        #expect(plan.lora == lora)
        #expect(plan.training.effectiveLearningRate == 1e-4)
        let full = try parse(["pt", "--model", model, "--dataset", train, "--output", "/tmp/o", "--train_type", "full"]).plan()
        #expect(full.isFull && full.training.effectiveLearningRate == 1e-5 && full.training.tunerType == .full)
        // ms-swift's defaults (swift/arguments, swift/trainers/arguments.py; transformers TrainingArguments).
        let d = TrainingConfiguration()
        #expect(d.weightDecay == 0.1 && d.adamBeta2 == 0.95 && d.warmupRatio == 0 && d.loggingSteps == 5)
        #expect(d.lrScheduler == .cosine() && d.numTrainEpochs == 3 && d.saveSteps == 500 && d.effectiveEvalSteps == 500)
        #expect(d.effectiveGradientAccumulationSteps == 16 && d.seed == 42 && d.gradientCheckpointing && d.shuffle)
        var four = d
        four.batchSize = 3
        #expect(four.effectiveGradientAccumulationSteps == 6)
        #expect(lora.rank == 8 && lora.alpha == 32 && lora.dropout == 0.05 && lora.targetModules == .allLinear)
    }

    @Test func datasetsTakeSeveralFilesAndSampleSizes() throws {
        let base = ["sft", "--model", model, "--output", "/tmp/o"]
        let spaced = try parse(base + ["--dataset", train, "\(test)#5"]).plan()
        let repeated = try parse(base + ["--dataset", train, "--dataset", "\(test)#5"]).plan()
        #expect(spaced.dataset == [train, "\(test)#5"] && repeated.dataset == spaced.dataset)
    }

    @Test func schedulerOptions() throws {
        let base = ["sft", "--model", model, "--dataset", train, "--output", "/tmp/o"]
        let kwargs = try parse(base + ["--lr_scheduler_type", "cosine_with_min_lr", "--lr_scheduler_kwargs", #"{"min_lr": 1e-6}"#]).plan()
        let option = try parse(base + ["--lr-scheduler", "cosine_with_min_lr", "--min-lr", "1e-6"]).plan()
        #expect(kwargs.training.lrScheduler == .cosineWithMinLR(.absolute(1e-6)) && option == kwargs)
        let wsd = try parse(base + ["--lr-scheduler", "warmup_stable_decay", "--num-decay-steps", "10", "--decay-type", "1-sqrt",
                                    "--min-lr-ratio", "0.1"]).plan()
        #expect(wsd.training.lrScheduler == .warmupStableDecay(.init(numDecaySteps: 10, decayType: .oneMinusSqrt, minLRRatio: 0.1)))
        #expect(throws: Error.self) { try parse(base + ["--lr-scheduler", "warmup_stable_decay"]) }
        #expect(throws: Error.self) { try parse(base + ["--lr-scheduler", "cosine_with_min_lr", "--min-lr", "1e-6", "--min-lr-rate", "0.1"]) }
        #expect(throws: Error.self) { try parse(base + ["--lr-scheduler", "reduce_lr_on_plateau"]) }
    }

    /// Unknown, unsupported and contradictory ms-swift options are errors that name them.
    @Test func errorsNameTheOption() throws {
        let base = ["sft", "--model", model, "--dataset", train, "--output", "/tmp/o"]
        func message(_ extra: [String]) -> String {
            do { _ = try parse(base + extra); return "" } catch {
                return "\(error) \(SwiftTuneCommand.message(for: error))"
            }
        }
        #expect(message(["--deepspeed", "zero2"]).contains("ms-swift option --deepspeed is not supported by SwiftTune"))
        #expect(message(["--freeze_vit", "true"]).contains("ms-swift option --freeze_vit is not supported"))
        #expect(message(["--torch_dtype", "bfloat16"]).contains("--torch_dtype is not supported"))
        #expect(message(["--no_such_option", "1"]).contains("Unknown option '--no-such-option'"))
        #expect(message(["--train_type", "dora"]).contains("DoRA is --train_type lora --use_dora true"))
        #expect(message(["--train_type", "adalora"]).contains("--train_type adalora is not supported"))
        #expect(message(["--quant_method", "bnb", "--quant_bits", "8"]).contains("--quant_bits 8 is not supported"))
        #expect(message(["--quant_method", "hqq", "--quant_bits", "4"]).contains("--quant_method hqq is not supported"))
        #expect(message(["--quant_method", "bnb", "--quant_bits", "4", "--bnb_4bit_quant_type", "fp4"]).contains("fp4 is not supported"))
        #expect(message(["--quant_method", "bnb", "--quant_bits", "4", "--bnb_4bit_use_double_quant", "false"]).contains("double"))
        #expect(message(["--quant_bits", "4"]).contains("--quant_bits needs --quant_method bnb"))
        #expect(message(["--optim", "adafactor"]).contains("--optim adafactor is not supported"))
        #expect(message(["--packing=maybe"]).contains("--packing takes true or false"))
    }

    /// `--packing` alone, `--packing true|false`, `--no-packing`: the last one wins, so a command line overrides a file.
    @Test func booleans() throws {
        let base = ["sft", "--model", model, "--dataset", train, "--output", "/tmp/o"]
        #expect(try parse(base + ["--packing"]).plan().training.packing)
        #expect(try parse(base + ["--packing", "True"]).plan().training.packing)
        #expect(try parse(base + ["--packing=true"]).plan().training.packing)
        #expect(try parse(base + ["--packing", "true", "--packing", "false"]).plan().training.packing == false)
        #expect(try parse(base + ["--packing", "--no-packing"]).plan().training.packing == false)
        #expect(try parse(base + ["--shuffle", "false"]).plan().training.shuffle == false)
    }

    /// A YAML or JSON file with ms-swift's names, given as `--config FILE` or as ms-swift's positional file.
    @Test func configFilesTakeTheSameNames() throws {
        let folder = try temporaryFolder("config")
        let yaml = folder.appendingPathComponent("sft.yaml")
        try """
        # ms-swift style
        model: \(model)
        dataset:
          - \(train)
          - \(test)#5
        output_dir: /tmp/o
        train_type: lora
        use_dora: true
        lora_rank: 4
        target_modules: [q_proj, v_proj]
        learning_rate: 3e-3   # peak
        packing: true
        lr_scheduler_type: cosine_with_min_lr
        lr_scheduler_kwargs: '{"min_lr_rate": 0.1}'
        """.write(to: yaml, atomically: true, encoding: .utf8)
        let json = folder.appendingPathComponent("sft.json")
        try """
        {"model": "\(model)", "dataset": ["\(train)", "\(test)#5"], "output_dir": "/tmp/o", "train_type": "lora",
         "use_dora": true, "lora_rank": 4, "target_modules": ["q_proj", "v_proj"], "learning_rate": 3e-3, "packing": true,
         "lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}
        """.write(to: json, atomically: true, encoding: .utf8)
        let line = try parse(["sft", "--model", model, "--dataset", train, "\(test)#5", "--output", "/tmp/o", "--tuner", "dora",
                              "--lora-rank", "4", "--target-modules", "q_proj,v_proj", "--learning-rate", "3e-3", "--packing",
                              "--lr-scheduler", "cosine_with_min_lr", "--min-lr-rate", "0.1"]).plan()
        #expect(try parse(["sft", "--config", yaml.path]).plan() == line)
        #expect(try parse(["sft", yaml.path]).plan() == line)
        #expect(try parse(["sft", "--config", json.path]).plan() == line)
        // The command line wins over the file.
        #expect(try parse(["sft", yaml.path, "--lora_rank", "2", "--packing", "false"]).plan().lora.rank == 2)
        #expect(try parse(["sft", yaml.path, "--packing", "false"]).plan().training.packing == false)
    }

    @Test func inferenceOptions() throws {
        let kebab = try parse(["infer", "--model", model, "--adapters", "/tmp/a", "--dataset", test, "--output", "/tmp/r.jsonl",
                               "--max-new-tokens", "8", "--temperature", "0.7", "--top-k", "5", "--top-p", "0.9",
                               "--repetition-penalty", "1.1", "--batch-size", "4", "--seed", "2", "--quantize", "nf4"])
        let msSwift = try parse(["infer", "--model", model, "--adapters", "/tmp/a", "--val_dataset", test, "--result_path", "/tmp/r.jsonl",
                                 "--max_new_tokens", "8", "--temperature", "0.7", "--top_k", "5", "--top_p", "0.9",
                                 "--repetition_penalty", "1.1", "--max_batch_size", "4", "--seed", "2",
                                 "--quant_method", "bnb", "--quant_bits", "4"])
        let a = try #require(kebab.command as? InferCommand), b = try #require(msSwift.command as? InferCommand)
        #expect(a.dataset == b.dataset && a.output == b.output && a.maxNewTokens == b.maxNewTokens && a.sampling == b.sampling)
        #expect(a.batchSize == b.batchSize && a.modelOptions.adapters == b.modelOptions.adapters && a.modelOptions.quantize == b.modelOptions.quantize)
        let export = try #require(try parse(["export", "--model", model, "--adapters", "/tmp/a", "--merge_lora", "true",
                                             "--output_dir", "/tmp/m"]).command as? ExportCommand)
        #expect(export.mergeLora && export.output == "/tmp/m")
    }
}
