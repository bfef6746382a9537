#!/usr/bin/env python3
"""RoPE reference tables from transformers itself, for the scaled variants SwiftTune supports.

    ~/torchenv/bin/python Tools/generate_rope_fixtures.py

For each case, builds a LlamaConfig with the given rope parameters, instantiates transformers'
LlamaRotaryEmbedding (the code the models run) and records inv_freq and the cos/sin it produces at a set of
positions, including long ones where float32 angle rounding matters. Writes
Tests/SwiftTuneCoreTests/Fixtures/rope/<case>.json in the swifttune-fixture format.
"""
import json
import pathlib

import torch
import transformers
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures/rope"
POSITIONS = [0, 1, 2, 7, 100, 1000, 4097, 8191, 12000]

CASES = {
    "default": {"rope_type": "default", "rope_theta": 10000.0},
    "linear": {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0},
    "llama3": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
}


def entry(t):
    return {"shape": list(t.shape), "data": [float(x) for x in t.reshape(-1).tolist()]}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rope in CASES.items():
        config = LlamaConfig(hidden_size=256, num_attention_heads=4, head_dim=64, max_position_embeddings=16384,
                             rope_parameters=dict(rope))
        emb = LlamaRotaryEmbedding(config)
        pos = torch.tensor([POSITIONS])
        x = torch.zeros(1, len(POSITIONS), 64)
        cos, sin = emb(x, pos)
        half = 32
        doc = {"format": "swifttune-fixture", "version": 1, "generator": "Tools/generate_rope_fixtures.py",
               "torch": torch.__version__, "transformers": transformers.__version__, "op": f"rope_{name}",
               "params": {k: v for k, v in rope.items() if k != "rope_type"} | {"head_dim": 64},
               "tensors": {"positions": {"shape": [len(POSITIONS)], "data": POSITIONS},
                           "inv_freq": entry(emb.inv_freq),
                           "cos": entry(cos[0, :, :half]), "sin": entry(sin[0, :, :half])}}
        (OUT / f"{name}.json").write_text(json.dumps(doc) + "\n")
        print("wrote", OUT / f"{name}.json")


if __name__ == "__main__":
    main()
