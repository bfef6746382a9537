#!/usr/bin/env python3
"""Reference folders for SwiftTune's NF4 export: tiny models quantized by transformers + bitsandbytes and saved.

    ~/torchenv/bin/python Tools/generate_nf4_export_fixtures.py          # (re)write the fixtures
    ~/torchenv/bin/python Tools/generate_nf4_export_fixtures.py --check  # verify the committed files are current

For each source model in Tests/SwiftTuneCoreTests/Fixtures/models/ (written by generate_model_fixtures.py):

    AutoModelForCausalLM.from_pretrained(source, quantization_config=BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.float32))           # dtype "auto": the source's dtype, as users load it
    .save_pretrained(Tests/SwiftTuneCoreTests/Fixtures/nf4/bnb-<source>/)

and writes expected.json beside config.json, generation_config.json and model.safetensors:
  - "nested_code_differences": {"<m>.weight.absmax": [[index, bnb_cpu_code, reference_code], ...]}: the 8-bit
    absmax codes where libbitsandbytes_cpu's quantize_cpu (a 65536-bin lookup table since 0.50.1) differs from
    bitsandbytes' reference rule (exact nearest dynamic-map entry, ties to the lower one, as on CUDA), which
    SwiftTune follows; see generate_nf4_fixtures.py. Every other byte of the folder's tensors is what SwiftTune's
    export must write.
  - "rows", "logits" (float32 sources only): transformers' float32 logits of the quantized model for one row,
    [T, V] flattened, to check that SwiftTune computes with a folder saved by transformers as transformers does.
    (For a bfloat16 source transformers computes in bfloat16, so its logits are not a float32 reference.)

The sources:
  llama-gqa              float32, GQA, untied lm_head: quant states with dtype "float32".
  qwen2-bias-tied-bf16   bfloat16, q/k/v biases, tied embeddings: dtype "bfloat16", biases and the other weights
                         in BF16, no lm_head.weight.

How to check that transformers loads a folder SwiftTune exported (not run by the tests, which never need Python):

    swift build --product swifttune
    .build/debug/swifttune export --model Tests/SwiftTuneCoreTests/Fixtures/models/llama-gqa \\
        --quantize nf4 --output /tmp/llama-gqa-nf4
    ~/torchenv/bin/python Tools/verify_nf4_export.py Tests/SwiftTuneCoreTests/Fixtures/models/llama-gqa \\
        /tmp/llama-gqa-nf4 --swifttune .build/debug/swifttune
"""
import argparse
import filecmp
import json
import pathlib
import shutil
import sys
import tempfile

import bitsandbytes
import bitsandbytes.functional as F
import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, BitsAndBytesConfig

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from generate_nf4_fixtures import reference_quantize_blockwise  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures"
SOURCES = [("llama-gqa", True), ("qwen2-bias-tied-bf16", False)]
FORMAT, VERSION = "swifttune-nf4-export-fixture", 1
MAX_BYTES = 200 * 1024


def bnb_config():
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.float32)


def nested_code_differences(source, saved):
    """Where bnb's CPU codes for the absmax differ from the reference rule's, per `.absmax` tensor."""
    dense = load_file(source / "model.safetensors") if (source / "model.safetensors").exists() else None
    quantized = load_file(saved / "model.safetensors")
    code = F.create_dynamic_map(signed=True)
    out = {}
    for key in sorted(quantized):
        if not key.endswith(".weight.nested_absmax"):
            continue
        name = key[: -len(".nested_absmax")]
        weight = dense[name].float()
        packed, state = F.quantize_4bit(weight, blocksize=64, compress_statistics=False, quant_type="nf4")
        assert torch.equal(packed, quantized[name]), f"{name}: packed codes differ from quantize_4bit"
        offset = state.absmax.mean()
        codes, absmax2 = reference_quantize_blockwise(state.absmax - offset, code, 256)
        assert torch.equal(absmax2, quantized[key]), f"{key}: second-level absmax differ from the reference"
        bnb_codes = quantized[name + ".absmax"]
        diff = (codes != bnb_codes).nonzero().reshape(-1).tolist()
        for i in diff:
            assert abs(int(codes[i]) - int(bnb_codes[i])) == 1, f"{name}.absmax[{i}]: codes differ by more than 1"
        if diff:
            out[name + ".absmax"] = [[i, int(bnb_codes[i]), int(codes[i])] for i in diff]
    return out


def write(name, with_logits, out_root):
    source = ROOT / "models" / name
    folder = out_root / f"bnb-{name}"
    if folder.exists():
        shutil.rmtree(folder)
    model = AutoModelForCausalLM.from_pretrained(source, quantization_config=bnb_config()).eval()
    model.save_pretrained(folder)
    for extra in folder.iterdir():
        if extra.name not in ("config.json", "generation_config.json", "model.safetensors"):
            extra.unlink()
    expected = {"format": FORMAT, "version": VERSION, "generator": "Tools/generate_nf4_export_fixtures.py",
                "torch": torch.__version__, "transformers": transformers.__version__,
                "bitsandbytes": bitsandbytes.__version__, "source": f"models/{name}",
                "nested_code_differences": nested_code_differences(source, folder)}
    if with_logits:
        rows = json.loads((source / "expected.json").read_text())["rows"]
        row = rows[0][:8]
        reloaded = AutoModelForCausalLM.from_pretrained(folder).eval()
        with torch.no_grad():
            logits = reloaded(torch.tensor([row])).logits[0]
        expected["rows"] = [row]
        expected["logits"] = [[float(x) for x in logits.reshape(-1).tolist()]]
    (folder / "expected.json").write_text(json.dumps(expected) + "\n")
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert size < MAX_BYTES, f"{folder}: {size} bytes, more than {MAX_BYTES}"
    differences = sum(len(v) for v in expected["nested_code_differences"].values())
    print(f"bnb-{name}: {size // 1024} KB, {differences} absmax codes where bnb's CPU rule differs from the reference")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare")
    args = parser.parse_args()
    torch.manual_seed(0)
    out_root = pathlib.Path(tempfile.mkdtemp()) if args.check else ROOT / "nf4"
    for name, with_logits in SOURCES:
        write(name, with_logits, out_root)
    if args.check:
        stale = []
        for name, _ in SOURCES:
            new, old = out_root / f"bnb-{name}", ROOT / "nf4" / f"bnb-{name}"
            for f in sorted(p.name for p in new.iterdir()):
                if not (old / f).exists() or not filecmp.cmp(new / f, old / f, shallow=False):
                    stale.append(f"bnb-{name}/{f}")
        shutil.rmtree(out_root)
        if stale:
            sys.exit("stale fixtures: " + ", ".join(stale))
        print("fixtures are current")


if __name__ == "__main__":
    main()
