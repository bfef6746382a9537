/// ms-swift's option names and what each means in SwiftTune: the one table the translation
/// (``ArgumentTranslation``) applies and `Documentation/CLI.md` documents (a test holds the two together).
///
/// Names are those of ms-swift 4.x (`swift/arguments/*.py`, `swift/trainers/arguments.py`) and the transformers
/// `TrainingArguments` it inherits; `train_type` is ms-swift 3.x's name of `tuner_type`.
enum MSSwiftOptions {
    /// The SwiftTune commands an ms-swift option applies to.
    enum Command: String, CaseIterable {
        case train, infer, eval, export
        /// `rlhf`: its own options (`rlhf_type`, `beta`, …); it also takes every `train` option.
        case rlhf
        /// `deploy`: ms-swift's `swift deploy` (the OpenAI-compatible server).
        case deploy

        /// `pt` and `sft` are `train`; tokenize, init and demo take no ms-swift names.
        init?(subcommand: String) {
            switch subcommand {
            case "pt", "sft": self = .train
            case "rlhf": self = .rlhf
            case "infer": self = .infer
            case "eval": self = .eval
            case "export": self = .export
            case "deploy": self = .deploy
            default: return nil
            }
        }
    }

    /// What an ms-swift option becomes.
    enum Target: Equatable {
        /// Renamed to `--name`; its values pass through unchanged (lists stay space-separated lists).
        case option(String)
        /// A boolean, `--x true|false` or `--x` alone: becomes `--name` or `--no-name`.
        case flag(String)
        /// `train_type` / `tuner_type`: `lora` or `full` → `--tuner`. ms-swift has no `dora` type (DoRA is
        /// `--train_type lora --use_dora true`).
        case tuner
        /// `optim`: transformers' optimizer names `adamw_torch`, `adamw_torch_fused`, `sgd` → `--optimizer adamw|sgd`.
        case optim
        /// `max_steps`: → `--max-steps` (where a value below 1 is refused); transformers' -1 ("no limit") is dropped.
        case maxSteps
        /// One of the bitsandbytes options that together mean `--quantize nf4`: `--quant_method bnb --quant_bits 4`
        /// (with ms-swift's defaults `bnb_4bit_quant_type nf4`, `bnb_4bit_use_double_quant true`).
        case quantization

        /// How the SwiftTune side reads in the documentation table.
        var documentation: String {
            switch self {
            case let .option(name): return "--\(name)"
            case let .flag(name): return "--\(name)"
            case .tuner: return "--tuner"
            case .optim: return "--optimizer"
            case .maxSteps: return "--max-steps"
            case .quantization: return "--quantize nf4"
            }
        }
    }

    struct Entry {
        /// The ms-swift spelling, without `--`.
        let name: String
        let target: Target
        let commands: Set<Command>
    }

    private static let train: Set<Command> = [.train]
    private static let loading: Set<Command> = [.train, .infer, .eval, .export, .deploy]
    private static let generation: Set<Command> = [.infer]

    /// Every ms-swift option SwiftTune answers to.
    static let table: [Entry] = [
        // Base and model arguments.
        Entry(name: "model", target: .option("model"), commands: loading),
        Entry(name: "adapters", target: .option("adapters"), commands: loading),
        Entry(name: "train_type", target: .tuner, commands: train),
        Entry(name: "tuner_type", target: .tuner, commands: train),
        Entry(name: "seed", target: .option("seed"), commands: [.train, .infer]),
        Entry(name: "quant_method", target: .quantization, commands: loading),
        Entry(name: "quant_bits", target: .quantization, commands: loading),
        Entry(name: "bnb_4bit_quant_type", target: .quantization, commands: loading),
        Entry(name: "bnb_4bit_use_double_quant", target: .quantization, commands: loading),
        // Data and template arguments.
        Entry(name: "dataset", target: .option("dataset"), commands: [.train, .infer, .eval]),
        // Template arguments: a template name (SwiftTune's built-ins or a .jinja file; ms-swift's own template
        // names are not SwiftTune's) and the default system message.
        Entry(name: "template", target: .option("template"), commands: [.train, .infer, .eval, .deploy]),
        Entry(name: "system", target: .option("system"), commands: [.train, .infer, .eval, .deploy]),
        Entry(name: "val_dataset", target: .option("val-dataset"), commands: train),
        Entry(name: "dataset_shuffle", target: .flag("shuffle"), commands: train),
        Entry(name: "max_length", target: .option("max-length"), commands: train),
        Entry(name: "truncation_strategy", target: .option("truncation-strategy"), commands: train),
        Entry(name: "packing", target: .flag("packing"), commands: train),
        // Tuner arguments.
        Entry(name: "target_modules", target: .option("target-modules"), commands: train),
        Entry(name: "lora_rank", target: .option("lora-rank"), commands: train),
        Entry(name: "lora_alpha", target: .option("lora-alpha"), commands: train),
        Entry(name: "lora_dropout", target: .option("lora-dropout"), commands: train),
        Entry(name: "use_rslora", target: .flag("use-rslora"), commands: train),
        Entry(name: "use_dora", target: .flag("use-dora"), commands: train),
        Entry(name: "lorap_lr_ratio", target: .option("lorap-lr-ratio"), commands: train),
        // Trainer arguments (transformers' TrainingArguments with ms-swift's defaults).
        Entry(name: "output_dir", target: .option("output"), commands: [.train, .export]),
        Entry(name: "optim", target: .optim, commands: train),
        Entry(name: "learning_rate", target: .option("learning-rate"), commands: train),
        Entry(name: "weight_decay", target: .option("weight-decay"), commands: train),
        Entry(name: "adam_beta1", target: .option("adam-beta1"), commands: train),
        Entry(name: "adam_beta2", target: .option("adam-beta2"), commands: train),
        Entry(name: "adam_epsilon", target: .option("adam-epsilon"), commands: train),
        Entry(name: "max_grad_norm", target: .option("max-grad-norm"), commands: train),
        Entry(name: "lr_scheduler_type", target: .option("lr-scheduler"), commands: train),
        Entry(name: "lr_scheduler_kwargs", target: .option("lr-scheduler-kwargs"), commands: train),
        Entry(name: "warmup_steps", target: .option("warmup-steps"), commands: train),
        Entry(name: "warmup_ratio", target: .option("warmup-ratio"), commands: train),
        Entry(name: "num_train_epochs", target: .option("num-train-epochs"), commands: train),
        Entry(name: "max_steps", target: .maxSteps, commands: train),
        Entry(name: "per_device_train_batch_size", target: .option("batch-size"), commands: train),
        Entry(name: "gradient_accumulation_steps", target: .option("gradient-accumulation-steps"), commands: train),
        Entry(name: "gradient_checkpointing", target: .flag("gradient-checkpointing"), commands: train),
        Entry(name: "save_steps", target: .option("save-steps"), commands: train),
        Entry(name: "eval_steps", target: .option("eval-steps"), commands: train),
        Entry(name: "logging_steps", target: .option("logging-steps"), commands: train),
        Entry(name: "resume_from_checkpoint", target: .option("resume-from-checkpoint"), commands: train),
        // RLHF arguments (`RLHFArguments`; `rlhf` also takes every option above marked pt, sft).
        Entry(name: "rlhf_type", target: .option("rlhf-type"), commands: [.rlhf]),
        Entry(name: "beta", target: .option("beta"), commands: [.rlhf]),
        Entry(name: "loss_type", target: .option("loss-type"), commands: [.rlhf]),
        Entry(name: "loss_weights", target: .option("loss-weights"), commands: [.rlhf]),
        Entry(name: "label_smoothing", target: .option("label-smoothing"), commands: [.rlhf]),
        Entry(name: "rpo_alpha", target: .option("rpo-alpha"), commands: [.rlhf]),
        Entry(name: "ld_alpha", target: .option("ld-alpha"), commands: [.rlhf]),
        Entry(name: "discopop_tau", target: .option("discopop-tau"), commands: [.rlhf]),
        Entry(name: "simpo_gamma", target: .option("simpo-gamma"), commands: [.rlhf]),
        Entry(name: "cpo_alpha", target: .option("cpo-alpha"), commands: [.rlhf]),
        Entry(name: "desirable_weight", target: .option("desirable-weight"), commands: [.rlhf]),
        Entry(name: "undesirable_weight", target: .option("undesirable-weight"), commands: [.rlhf]),
        Entry(name: "precompute_ref_log_probs", target: .flag("precompute-ref-log-probs"), commands: [.rlhf]),
        Entry(name: "ref_model", target: .option("ref-model"), commands: [.rlhf]),
        Entry(name: "ref_adapters", target: .option("ref-adapters"), commands: [.rlhf]),
        // Inference (generation) arguments.
        Entry(name: "val_dataset", target: .option("dataset"), commands: generation),
        Entry(name: "result_path", target: .option("output"), commands: generation),
        Entry(name: "max_new_tokens", target: .option("max-new-tokens"), commands: generation),
        Entry(name: "temperature", target: .option("temperature"), commands: generation),
        Entry(name: "top_k", target: .option("top-k"), commands: generation),
        Entry(name: "top_p", target: .option("top-p"), commands: generation),
        Entry(name: "repetition_penalty", target: .option("repetition-penalty"), commands: generation),
        Entry(name: "max_batch_size", target: .option("batch-size"), commands: generation),
        // Export arguments.
        Entry(name: "merge_lora", target: .flag("merge-lora"), commands: [.export]),
        // Deploy arguments (`DeployArguments`, with vLLM's engine sizes).
        Entry(name: "served_model_name", target: .option("served-model-name"), commands: [.deploy]),
        Entry(name: "host", target: .option("host"), commands: [.deploy]),
        Entry(name: "port", target: .option("port"), commands: [.deploy]),
        Entry(name: "api_key", target: .option("api-key"), commands: [.deploy]),
        Entry(name: "max_batch_size", target: .option("max-batch-size"), commands: [.deploy]),
        Entry(name: "max_model_len", target: .option("max-model-len"), commands: [.deploy]),
    ]

    /// ms-swift options SwiftTune knows of and does not implement: naming one is an error that says so (never
    /// silently ignored).
    static let unsupported: [String] = [
        // Base and model arguments.
        "tuner_backend", "external_plugins", "custom_register_path", "model_kwargs", "load_args", "load_data_args",
        "use_hf", "hub_token", "ddp_timeout", "ddp_backend", "ignore_args_error", "use_swift_lora",
        "model_type", "model_revision", "task_type", "torch_dtype", "attn_impl", "experts_impl", "new_special_tokens",
        "num_labels", "problem_type", "rope_scaling", "device_map", "max_memory", "local_repo_path",
        "init_strategy",
        // Data arguments.
        "cached_dataset", "cached_val_dataset", "split_dataset_ratio", "data_seed", "dataset_num_proc",
        "load_from_cache_file", "val_dataset_shuffle", "streaming", "interleave_prob", "stopping_strategy",
        "shuffle_buffer_size", "download_mode", "columns", "strict", "remove_unused_columns",
        "disable_auto_column_mapping", "model_name", "model_author", "custom_dataset_info",
        // Template arguments SwiftTune has no counterpart for.
        "max_pixels", "agent_template", "norm_bbox", "use_chat_template", "padding_side", "padding_free", "loss_scale",
        "sequence_parallel_size", "template_backend", "response_prefix", "enable_thinking", "preserve_thinking",
        "add_non_thinking_prefix", "packing_length", "packing_strategy", "packing_num_proc", "lazy_tokenize",
        // Generation and inference arguments.
        "num_beams", "stream", "stop_words", "logprobs", "top_logprobs", "infer_backend", "write_batch_size", "metric",
        "val_dataset_sample",
        // Quantization arguments besides the NF4 ones.
        "hqq_axis", "bnb_4bit_compute_dtype", "bnb_4bit_quant_storage",
        // Trainer arguments.
        "deepspeed", "zero_hpz_partition_size", "deepspeed_autotp_size", "fsdp", "fsdp_config",
        "per_device_eval_batch_size", "vit_lr", "aligner_lr", "vit_gradient_checkpointing",
        "gradient_checkpointing_kwargs", "full_determinism", "report_to", "logging_first_step", "logging_dir",
        "router_aux_loss_coef", "enable_dft_loss", "enable_channel_loss", "safe_serialization", "max_shard_size",
        "predict_with_generate", "metric_for_best_model", "greater_is_better", "max_epochs", "save_strategy",
        "eval_strategy", "eval_on_start", "save_total_limit", "save_on_each_node", "save_only_model",
        "resume_only_model", "ignore_data_skip", "ddp_find_unused_parameters", "dataloader_num_workers",
        "dataloader_pin_memory", "dataloader_persistent_workers", "dataloader_prefetch_factor",
        "train_dataloader_shuffle", "optim_args", "group_by_length", "neftune_noise_alpha", "use_liger_kernel",
        "average_tokens_across_devices", "push_to_hub", "hub_model_id", "hub_private_repo", "fp16", "bf16",
        "add_version", "create_checkpoint_symlink", "loss_type", "callbacks", "early_stop_interval", "acc_strategy",
        // Tuner arguments.
        "freeze_llm", "freeze_vit", "freeze_aligner", "target_regex", "target_parameters", "init_weights",
        "modules_to_save", "freeze_parameters", "freeze_parameters_regex", "freeze_parameters_ratio",
        "trainable_parameters", "trainable_parameters_regex", "lora_bias", "lora_dtype", "use_galore",
        "lisa_activated_layers",
    ]

    /// The table's entry for `name` in `command` (`rlhf` also finds the `train` entries).
    static func entry(_ name: String, for command: Command) -> Entry? {
        table.first { $0.name == name && ($0.commands.contains(command) || command == .rlhf && $0.commands.contains(.train)) }
    }

    /// Whether naming `name` in `command` is an error: it is in ``unsupported`` and the command has no entry for
    /// it (`loss_type` is unsupported for pt/sft and translated for rlhf).
    static func isUnsupported(_ name: String, for command: Command?) -> Bool {
        unsupported.contains(name) && command.flatMap { entry(name, for: $0) } == nil
    }
}
