#!/usr/bin/env python3
"""NF4 (QLoRA 4-bit NormalFloat) reference fixtures from bitsandbytes itself.

    ~/torchenv/bin/pip install bitsandbytes      # 0.50.2 was used; it has a CPU backend
    ~/torchenv/bin/python Tools/generate_nf4_fixtures.py

For each case a float32 weight is quantized with `bitsandbytes.functional.quantize_4bit(blocksize=64,
quant_type="nf4")`, once without and once with `compress_statistics=True` (double quantization), and dequantized
with `dequantize_4bit`. Writes Tests/SwiftTuneCoreTests/Fixtures/nf4/<case>.json plus codebooks.json (the NF4
codebook and the signed 8-bit dynamic map, `create_dynamic_map(signed=True)`).

What comes from where (all run on CPU):
  packed, absmax, dequantized, dequantized_nested, nested.offset, nested.codes_bnb_cpu, nested.absmax2_bnb_cpu:
      bitsandbytes itself. On CPU, quantize_4bit runs bitsandbytes/backends/default/ops.py (exact nearest code,
      torch.bucketize on the float32 midpoints, so a tie goes to the lower code, the same rule as the CUDA
      decision tree dQuantizeNF4) and the nested 8-bit step runs libbitsandbytes_cpu's quantize_cpu.
  nested.codes, nested.absmax2:
      the 8-bit step recomputed here with bitsandbytes' reference algorithm for quantize_blockwise (copied from
      bitsandbytes/backends/default/ops.py: exact nearest dynamic-map entry, ties to the lower one; CUDA's
      dQuantize agrees). Since 0.50.1 libbitsandbytes_cpu's quantize_cpu instead rounds through a 65536-bin
      lookup table, which picks a neighbouring code for roughly 0.2% of values (those within ~1.5e-5 of a
      midpoint, and most values below ~1e-3). SwiftTune follows the reference/CUDA rule; `codes_bnb_cpu` is kept
      so the difference is visible, and `codes_differ_from_bnb_cpu` counts it per case. The absmax2 agree
      except for an all-zero 256-block in the last (short) position: quantize_cpu stores 0, the reference 1e-38.
Floats are written as Python floats of float32 values, so they round-trip exactly.
"""
import json
import pathlib

import bitsandbytes
import bitsandbytes.functional as F
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures/nf4"
FORMAT, VERSION = "swifttune-nf4-fixture", 1


def reference_quantize_blockwise(a, code, blocksize):
    """bitsandbytes/backends/default/ops.py quantize_blockwise (0.50.2), verbatim in substance."""
    a_flat = a.reshape(-1).float()
    n = a_flat.numel()
    rem = n % blocksize
    full = n - rem
    blocks = full // blocksize
    a_com = a_flat[:full].reshape(blocks, blocksize)
    absmax = a_com.abs().max(dim=-1)[0]
    scaled = torch.clamp(a_com * (1.0 / absmax.clamp(min=1e-38).view(-1, 1)), -1, 1).reshape(-1)
    if rem:
        am = a_flat[full:].abs().max().clamp(min=1e-38)
        absmax = torch.cat([absmax, am.unsqueeze(0)])
        scaled = torch.cat([scaled, torch.clamp(a_flat[full:] / am, -1, 1)])
    bounds = (code[:-1] + code[1:]) / 2
    q = torch.bucketize(scaled, bounds, out_int32=True).to(torch.uint8)
    return q, absmax


def floats(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def ints(t):
    return [int(v) for v in t.reshape(-1).tolist()]


def case(name, weight, note):
    shape = list(weight.shape)
    packed, raw = F.quantize_4bit(weight, blocksize=64, compress_statistics=False, quant_type="nf4")
    packed2, nested = F.quantize_4bit(weight, blocksize=64, compress_statistics=True, quant_type="nf4")
    assert torch.equal(packed, packed2)
    dq = F.dequantize_4bit(packed, raw)
    dq_nested = F.dequantize_4bit(packed2, nested)
    code = nested.state2.code
    ref_codes, ref_absmax2 = reference_quantize_blockwise(raw.absmax - nested.offset, code, 256)
    same = (ref_absmax2 == nested.state2.absmax) | ((ref_absmax2 <= 1e-38) & (nested.state2.absmax == 0))
    assert bool(same.all()), "absmax2 differs from bitsandbytes"
    differ = int((ref_codes != nested.absmax).sum())
    doc = {
        "format": FORMAT, "version": VERSION, "name": name, "note": note,
        "bitsandbytes": bitsandbytes.__version__, "torch": torch.__version__,
        "blocksize": 64, "shape": shape,
        "weight": floats(weight),
        "packed": ints(packed),
        "absmax": floats(raw.absmax),
        "dequantized": floats(dq),
        "nested": {
            "blocksize": nested.state2.blocksize,
            "offset": float(nested.offset),
            "absmax2": floats(ref_absmax2),
            "absmax2_bnb_cpu": floats(nested.state2.absmax),
            "codes": ints(ref_codes),
            "codes_bnb_cpu": ints(nested.absmax),
            "codes_differ_from_bnb_cpu": differ,
        },
        "dequantized_nested": floats(dq_nested),
    }
    (OUT / f"{name}.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"{name}: shape {shape}, {len(doc['packed'])} bytes, {len(doc['absmax'])} absmax, "
          f"nested codes differing from libbitsandbytes_cpu: {differ}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(20240611)
    nf4 = F.get_4bit_type("nf4", device="cpu")
    dynamic = F.create_dynamic_map(signed=True)
    (OUT / "codebooks.json").write_text(json.dumps({
        "format": FORMAT, "version": VERSION, "bitsandbytes": bitsandbytes.__version__,
        "nf4": floats(nf4), "dynamic_signed": floats(dynamic),
    }) + "\n")

    case("w7x13", torch.randn(7, 13, generator=g) * 0.02,
         "91 elements: one full block and a 27-element tail; odd count, so the last byte's low nibble is padding")
    case("w3x100", torch.randn(3, 100, generator=g) * 0.05 + 0.01,
         "300 elements: 4 full blocks and a 44-element tail; blocks straddle rows")
    case("w64x96", torch.randn(64, 96, generator=g) * 0.03,
         "6144 elements: 96 blocks, 96 absmax in one 256-block of the double quantization")
    heavy = torch.randn(40, 130, generator=g) * 0.02
    heavy[::7, ::11] *= 30.0   # outliers give a wide spread of absmax, exercising the whole dynamic map
    case("w40x130", heavy, "5200 elements: 82 blocks (tail of 16), outliers spread the absmax")

    # Ties: with a block absmax of exactly 1 the scaled value is the weight itself, so weights placed exactly on
    # the float32 midpoints between codes test the tie rule (a tie goes to the lower code), in a full block
    # (scaled by a reciprocal multiply) and in the tail (scaled by a division).
    mids = ((nf4[:-1] + nf4[1:]) / 2).tolist()
    full = [1.0, -1.0] + mids + [-m for m in mids] + [0.0] * 17 + [m * 0.5 for m in mids]
    tail = [-1.0] + mids
    ties = torch.tensor(full[:64] + tail, dtype=torch.float32).reshape(2, 40)
    case("ties", ties, "weights on the midpoints between codes with absmax 1, in a full block and in the tail")

    zeros = torch.zeros(3, 50)
    zeros[0, 5] = 0.25
    case("zeros", zeros, "150 elements; block 1 (full) and block 2 (a 22-element tail) are all zero: the full "
         "block's absmax is 0, the tail's 1e-38 (the reference clamps a tail's absmax, not a full block's)")


if __name__ == "__main__":
    main()
