#!/usr/bin/env python3
"""Tiny random Hugging Face models and what transformers computes with them, for SwiftTune's model tests.

    ~/torchenv/bin/python Tools/generate_model_fixtures.py

Writes Tests/SwiftTuneCoreTests/Fixtures/models/<name>/ as transformers saves it (config.json,
generation_config.json, model.safetensors or shards + model.safetensors.index.json) and expected.json with:
  - "rows": token-id rows; "logits": transformers' float32 logits for each row ([T, V] each);
  - "nll": mean next-token negative log-likelihood per row (labels = input ids, the model shifts);
  - "greedy": for each prompt, the ids of 8 greedy new tokens (KV cache, transformers' generate).
Weights are drawn with std 0.3 (not 0.02) so attention is far from uniform: a wrong RoPE convention, mask or
GQA mapping changes the logits visibly.
"""
import json
import pathlib

import torch
import transformers
from transformers import (AutoModelForCausalLM, LlamaConfig, Qwen2Config, Qwen3Config)

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures/models"
V = 96


def configs():
    common = dict(vocab_size=V, hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                  max_position_embeddings=256, bos_token_id=1, eos_token_id=2, rms_norm_eps=1e-6)
    yield "llama-gqa", LlamaConfig(**common, num_attention_heads=6, num_key_value_heads=2, rope_theta=10000.0,
                                   tie_word_embeddings=False, attention_bias=False), torch.float32, None
    yield "llama3-rope", LlamaConfig(**common, num_attention_heads=4, num_key_value_heads=4,
                                     tie_word_embeddings=False,
                                     rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                                      "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                      "original_max_position_embeddings": 32}), torch.float32, None
    yield "qwen2-bias-tied-bf16", Qwen2Config(**common, num_attention_heads=4, num_key_value_heads=2,
                                              rope_theta=1000000.0, tie_word_embeddings=True), torch.bfloat16, None
    yield "qwen3-headdim-sharded", Qwen3Config(**common, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                                               rope_theta=1000000.0, tie_word_embeddings=False), torch.float32, "60KB"


def main():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    rows = [torch.randint(3, V, (n,), generator=g).tolist() for n in (13, 5, 29)]
    prompts = [rows[0][:6], rows[1][:3], [1] + rows[2][:10]]
    for name, config, dtype, shard in configs():
        config.architectures = [type(config).__name__.replace("Config", "ForCausalLM")]
        model = AutoModelForCausalLM.from_config(config)
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() == 2:
                    p.normal_(0, 0.3, generator=g)
                else:  # norms and biases: around 1 / 0 but not exactly
                    p.copy_((1.0 if p.abs().sum() > 0 else 0.0) + 0.1 * torch.randn(p.shape, generator=g))
        model = model.to(dtype)
        folder = OUT / name
        folder.mkdir(parents=True, exist_ok=True)
        for f in folder.glob("*"):
            f.unlink()
        kwargs = {"max_shard_size": shard} if shard else {}
        model.save_pretrained(folder, safe_serialization=True, **kwargs)
        # Reference numbers come from the saved weights, computed in float32.
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        expected = {"format": "swifttune-fixture", "version": 1, "generator": "Tools/generate_model_fixtures.py",
                    "torch": torch.__version__, "transformers": transformers.__version__, "op": f"model_{name}",
                    "rows": rows, "logits": [], "nll": [], "prompts": prompts, "greedy": []}
        with torch.no_grad():
            for r in rows:
                ids = torch.tensor([r])
                out = model(ids, labels=ids)
                expected["logits"].append([float(x) for x in out.logits[0].reshape(-1).tolist()])
                expected["nll"].append(float(out.loss))
            for p in prompts:
                gen = model.generate(torch.tensor([p]), max_new_tokens=8, do_sample=False, eos_token_id=None,
                                     pad_token_id=0, min_new_tokens=8)
                expected["greedy"].append(gen[0, len(p):].tolist())
        (folder / "expected.json").write_text(json.dumps(expected) + "\n")
        size = sum(f.stat().st_size for f in folder.glob("*"))
        print(f"wrote {folder} ({size // 1024} KB): {sorted(f.name for f in folder.glob('*'))}")


if __name__ == "__main__":
    main()
