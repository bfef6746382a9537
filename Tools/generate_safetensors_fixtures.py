#!/usr/bin/env python3
"""Tiny .safetensors files written by the official library, for SwiftTune's reader and writer tests.

    ~/torchenv/bin/python Tools/generate_safetensors_fixtures.py           # (re)write the fixtures
    ~/torchenv/bin/python Tools/generate_safetensors_fixtures.py --check   # verify the committed files are current

Writes into Tests/SwiftTuneCoreTests/Fixtures/safetensors/:
  f32.safetensors, f16.safetensors, bf16.safetensors   one dtype each, incl. a scalar [] and an empty [0, 3]
  mixed.safetensors                                    F64, I64, F32, BF16, F16 and one metadata key, with names
                                                       whose byte order matters (the writer must match it exactly)
  model-0000{1,2}-of-00002.safetensors + model.safetensors.index.json   a sharded pair, as transformers lays it out
  expected.json                                        every tensor's dtype, shape and values (float64, exact
                                                       widenings of the stored values; "nan", "inf", "-inf" as text)

Everything is written with safetensors.torch.save_file. Metadata has at most one key: the library keeps metadata in
a Rust HashMap, so the order of several keys (and so the bytes) changes from run to run.
"""
import json
import math
import pathlib
import struct
import sys

import safetensors
import torch
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures/safetensors"


def values(t):
    out = []
    for x in t.to(torch.float64).reshape(-1).tolist() if t.is_floating_point() else t.reshape(-1).tolist():
        if isinstance(x, float) and math.isnan(x):
            out.append("nan")
        elif isinstance(x, float) and math.isinf(x):
            out.append("inf" if x > 0 else "-inf")
        else:
            out.append(x)
    return out


DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
               torch.int64: "I64", torch.int32: "I32"}


# The quiet NaN each dtype gets from a Float NaN in Swift (Float.nan, Float16(Float.nan), BFloat16(Float.nan)).
# torch's vectorised float32 -> bfloat16 cast turns NaN into 0xFFFF instead, so NaNs are rewritten to these bit
# patterns to keep the files reproducible byte for byte by the Swift writer (expected.json cannot carry payloads).
CANONICAL_NAN = {torch.float32: (torch.int32, 0x7FC00000), torch.float16: (torch.int16, 0x7E00),
                 torch.bfloat16: (torch.int16, 0x7FC0)}


def canonical_nans(t):
    int_type, bits = CANONICAL_NAN[t.dtype]
    t = t.clone()
    t.view(int_type)[torch.isnan(t)] = bits
    return t


def files():
    g = torch.Generator().manual_seed(20240611)
    specials = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 1e-7, 6e-8, float("inf"), float("-inf"), float("nan"),
                             3.0e38, 1.0e-40])

    def base(dtype):
        return {
            "matrix": torch.randn(3, 4, generator=g).to(dtype),
            "scalar": torch.tensor(0.3333333333).to(dtype),
            "empty": torch.zeros(0, 3, dtype=dtype),
            "specials": canonical_nans(specials.to(dtype)),
            "cube": torch.randn(2, 2, 3, generator=g).to(dtype),
        }

    yield "f32.safetensors", base(torch.float32), {"format": "pt"}
    yield "f16.safetensors", base(torch.float16), None
    yield "bf16.safetensors", base(torch.bfloat16), {"format": "pt"}
    yield "mixed.safetensors", {
        "b.weight": torch.randn(2, 3, generator=g),
        "B.weight": torch.randn(3, generator=g).to(torch.bfloat16),
        "a.10.bias": torch.randn(2, generator=g).to(torch.float16),
        "a.9.bias": torch.randn(2, generator=g).to(torch.float16),
        "\u00e9t\u00e9": torch.randn(1, generator=g).to(torch.float64),
        "z": torch.randn(1, generator=g).to(torch.bfloat16),
        "positions": torch.arange(5, dtype=torch.int64) - 2,
        "scale": torch.tensor(0.5),
    }, {"note": "written by safetensors.torch.save_file"}
    yield "model-00001-of-00002.safetensors", {
        "model.embed_tokens.weight": torch.randn(4, 2, generator=g),
        "model.layers.0.weight": torch.randn(2, 2, generator=g).to(torch.bfloat16),
    }, {"format": "pt"}
    yield "model-00002-of-00002.safetensors", {
        "model.layers.1.weight": torch.randn(2, 2, generator=g).to(torch.bfloat16),
        "lm_head.weight": torch.randn(4, 2, generator=g),
    }, {"format": "pt"}


def render():
    """{file name: bytes} for every output, written to a scratch dict so --check can compare."""
    import tempfile
    outputs, expected = {}, {}
    weight_map, total = {}, 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, tensors, metadata in files():
            path = pathlib.Path(tmp) / name
            save_file(tensors, str(path), metadata=metadata)
            outputs[name] = path.read_bytes()
            expected[name] = {"metadata": metadata, "tensors": {
                k: {"dtype": DTYPE_NAMES[v.dtype], "shape": list(v.shape), "values": values(v)}
                for k, v in tensors.items()}}
            if name.startswith("model-"):
                for k, v in tensors.items():
                    weight_map[k] = name
                    total += v.numel() * v.element_size()
            # Cross-check the header layout the Swift writer reproduces: 8-byte aligned, space padded.
            data = outputs[name]
            (n,) = struct.unpack("<Q", data[:8])
            assert n % 8 == 0 and data[8:8 + n].rstrip(b" ").endswith(b"}"), name
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    outputs["model.safetensors.index.json"] = (json.dumps(index, indent=2) + "\n").encode()
    doc = {"format": "swifttune-fixture", "version": 1, "generator": "Tools/generate_safetensors_fixtures.py",
           "torch": torch.__version__, "safetensors": safetensors.__version__, "files": expected}
    outputs["expected.json"] = (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode()
    return outputs


def main():
    outputs = render()
    if "--check" in sys.argv:
        stale = [n for n, b in outputs.items() if not (OUT / n).exists() or (OUT / n).read_bytes() != b]
        if stale:
            sys.exit(f"stale fixtures: {', '.join(stale)}")
        print("fixtures are current")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in outputs.items():
        (OUT / name).write_bytes(data)
        print("wrote", OUT / name, len(data), "bytes")
    total = sum(len(b) for b in outputs.values())
    assert total < 50_000, f"fixtures total {total} bytes"


if __name__ == "__main__":
    main()
