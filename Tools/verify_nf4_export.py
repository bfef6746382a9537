#!/usr/bin/env python3
"""Checks that transformers + bitsandbytes load a folder written by `swifttune export --quantize nf4` as the model
bitsandbytes itself quantizes from the same source, and prints the numbers.

    swift build --product swifttune
    .build/debug/swifttune export --model SOURCE --quantize nf4 --output EXPORTED
    ~/torchenv/bin/python Tools/verify_nf4_export.py SOURCE EXPORTED [--swifttune .build/debug/swifttune]

SOURCE is the dense model folder that was exported. The script
  1. loads EXPORTED with `AutoModelForCausalLM.from_pretrained(EXPORTED)` (its config.json carries the
     quantization_config) and checks that every decoder projection is a bitsandbytes Linear4bit;
  2. quantizes SOURCE with transformers + bitsandbytes (nf4, double quantization, compute dtype float32,
     dtype "auto") and saves it, then compares the two folders' safetensors tensor by tensor (keys, dtypes,
     shapes, bytes; the quant_state JSON field by field) and config.json's quantization_config;
  3. compares logits on random rows: EXPORTED vs bitsandbytes' own quantization, and EXPORTED vs bitsandbytes'
     quantization with the 8-bit absmax codes re-derived by bitsandbytes' reference rule (exact nearest, as on
     CUDA; libbitsandbytes_cpu's lookup table picks a neighbouring code for a few), which must be exactly 0;
  4. with --swifttune (and a tokenizer.json in EXPORTED), runs `swifttune eval` on EXPORTED (SwiftTune loading the
     pre-quantized folder) and compares its per-row NLL with transformers' on the same folder in float32.
The difference from bitsandbytes' own CPU quantization is printed, not checked: it comes only from the absmax
codes where libbitsandbytes_cpu's lookup table differs from the reference rule (step 3 shows nothing else differs),
and for a bfloat16 model also from transformers computing in bfloat16.
Exits non-zero when a check fails.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import bitsandbytes as bnb
import bitsandbytes.functional as F
import torch
from safetensors import safe_open
from transformers import AutoModelForCausalLM, BitsAndBytesConfig

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from generate_nf4_fixtures import reference_quantize_blockwise  # noqa: E402


def tensors(folder):
    out = {}
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        for k in f.keys():
            out[k] = f.get_tensor(k)
    return out


def projections(model):
    return [(n, m) for n, m in model.named_modules() if n.split(".")[-1].endswith("_proj")]


def logits(model, rows):
    with torch.no_grad():
        return [model(torch.tensor([r])).logits[0].float() for r in rows]


def nll(model, rows):
    with torch.no_grad():
        return [float(model(torch.tensor([r]), labels=torch.tensor([r])).loss) for r in rows]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=pathlib.Path)
    parser.add_argument("exported", type=pathlib.Path)
    parser.add_argument("--swifttune", help="the swifttune binary, to compare its NLL on EXPORTED")
    args = parser.parse_args()
    failures = []

    ours = AutoModelForCausalLM.from_pretrained(args.exported).eval()
    kinds = {type(m).__name__ for _, m in projections(ours)}
    print(f"transformers loaded {args.exported}: projections are {sorted(kinds)}, dtype {ours.dtype}")
    if kinds != {"Linear4bit"}:
        failures.append(f"projections load as {kinds}, not Linear4bit")

    config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                bnb_4bit_compute_dtype=torch.float32)
    theirs = AutoModelForCausalLM.from_pretrained(args.source, quantization_config=config).eval()
    with tempfile.TemporaryDirectory() as tmp:
        saved = pathlib.Path(tmp)
        theirs.save_pretrained(saved)
        a, b = tensors(args.exported), tensors(saved)
        if sorted(a) != sorted(b):
            failures.append(f"keys differ: only ours {sorted(set(a) - set(b))}, only bnb {sorted(set(b) - set(a))}")
        differing_bytes = 0
        for k in sorted(set(a) & set(b)):
            if a[k].dtype != b[k].dtype or a[k].shape != b[k].shape:
                failures.append(f"{k}: ours {a[k].dtype} {tuple(a[k].shape)}, bnb {b[k].dtype} {tuple(b[k].shape)}")
            elif k.endswith("quant_state.bitsandbytes__nf4"):
                qa, qb = (json.loads(bytes(t.tolist()).decode()) for t in (a[k], b[k]))
                if qa != qb:
                    failures.append(f"{k}: quant state {qa} != {qb}")
            else:
                n = int((a[k].view(torch.uint8) != b[k].view(torch.uint8)).sum())
                differing_bytes += n
                if n and not k.endswith(".weight.absmax"):
                    failures.append(f"{k}: {n} bytes differ")
        total = sum(t.numel() * t.element_size() for t in b.values())
        print(f"tensors: {len(a)} keys, same dtypes and shapes; {differing_bytes} of {total} bytes differ "
              f"(all in 8-bit absmax codes)")
        qa = json.loads((args.exported / "config.json").read_text())["quantization_config"]
        qb = json.loads((saved / "config.json").read_text())["quantization_config"]
        if qa != qb:
            failures.append(f"quantization_config: ours {qa}, transformers {qb}")
        else:
            print("config.json quantization_config: equal")

    g = torch.Generator().manual_seed(0)
    vocab = ours.config.vocab_size
    rows = [torch.randint(0, vocab, (n,), generator=g).tolist() for n in (7, 16, 31)]
    lo, lt = logits(ours, rows), logits(theirs, rows)
    diff = max(float((x - y).abs().max()) for x, y in zip(lo, lt))
    scale = max(float(x.abs().max()) for x in lt)
    print(f"logits, exported vs bitsandbytes' own quantization (CPU): max |diff| {diff:.3e} (max |logit| {scale:.2f})")

    # bitsandbytes' quantization with the reference rule for the 8-bit absmax codes (what CUDA computes). A fresh
    # model: bitsandbytes' CPU path repacks the weight at its first inference forward, so patch before running it.
    theirs = AutoModelForCausalLM.from_pretrained(args.source, quantization_config=config).eval()
    code = F.create_dynamic_map(signed=True)
    dense = dict(AutoModelForCausalLM.from_pretrained(args.source).named_parameters())
    for name, m in projections(theirs):
        _, raw = F.quantize_4bit(dense[name + ".weight"].detach().float(), blocksize=64, compress_statistics=False,
                                 quant_type="nf4")
        state = m.weight.quant_state
        codes, absmax2 = reference_quantize_blockwise(raw.absmax - state.offset, code, 256)
        assert torch.equal(absmax2, state.state2.absmax), f"{name}: second-level absmax differ"
        state.absmax = codes.to(state.absmax.dtype)
    lr = logits(theirs, rows)
    exact = max(float((x - y).abs().max()) for x, y in zip(lo, lr))
    print(f"logits, exported vs bitsandbytes with reference-rule absmax codes: max |diff| {exact:.3e}")
    if exact != 0.0:
        failures.append(f"logits differ from the reference-rule model by {exact}")

    if args.swifttune and not (args.exported / "tokenizer.json").exists():
        print("no tokenizer.json in the exported folder: swifttune eval skipped")
    elif args.swifttune:
        with tempfile.TemporaryDirectory() as tmp:
            data, out = pathlib.Path(tmp) / "rows.jsonl", pathlib.Path(tmp) / "eval.jsonl"
            data.write_text("".join(json.dumps({"input_ids": r}) + "\n" for r in rows))
            subprocess.run([args.swifttune, "eval", "--model", str(args.exported), "--dataset", str(data),
                            "--output", str(out)], check=True, stdout=subprocess.DEVNULL)
            ours_nll = [json.loads(line)["nll"] for line in out.read_text().splitlines()]
        # SwiftTune computes in float32 with the float32 dequantized weights; so does transformers when the model
        # loads in float32 and the quant states dequantize to float32 (a bfloat16 model's say bfloat16).
        # (from_pretrained keeps a pre-quantized model's saved dtype, so the other weights are widened here.)
        f32 = AutoModelForCausalLM.from_pretrained(args.exported).eval()
        for p in f32.parameters():
            if p.dtype.is_floating_point:
                p.data = p.data.float()
        for _, m in projections(f32):
            m.weight.quant_state.dtype = torch.float32
        hf_nll = nll(f32, rows)
        worst = max(abs(x - y) for x, y in zip(ours_nll, hf_nll))
        print(f"NLL per row, swifttune eval on the exported folder vs transformers (float32): {ours_nll} vs "
              f"{[round(x, 6) for x in hf_nll]}, max |diff| {worst:.3e}")
        if worst > 1e-4:
            failures.append(f"swifttune NLL differs from transformers' by {worst}")

    print(f"bitsandbytes {bnb.__version__}, torch {torch.__version__}")
    if failures:
        sys.exit("FAILED:\n  " + "\n  ".join(failures))
    print("ok")


if __name__ == "__main__":
    main()
