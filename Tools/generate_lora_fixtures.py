#!/usr/bin/env python3
"""PEFT LoRA / rsLoRA / DoRA adapters on a tiny Llama and what PEFT computes with them, for SwiftTune's adapter tests.

    ~/torchenv/bin/python Tools/generate_lora_fixtures.py            # (re)write the fixtures, then self-check
    ~/torchenv/bin/python Tools/generate_lora_fixtures.py --verify DIR [DIR ...]
                                                                     # load folders SwiftTune wrote with PEFT

The base model is Tests/SwiftTuneCoreTests/Fixtures/models/llama-gqa (a LlamaForCausalLM saved by transformers,
see generate_model_fixtures.py). For each variant (lora, rslora, dora) the script wraps it with PEFT
(r=4, lora_alpha=8, lora_dropout=0, target_modules="all-linear"), sets every lora_B to nonzero random values
(and, for DoRA, perturbs lora_magnitude_vector, so m ≠ ‖W + s·B·A‖), and writes
Tests/SwiftTuneCoreTests/Fixtures/lora/<variant>/:
  - adapter_config.json, adapter_model.safetensors: PEFT's save_pretrained (float32; the model card is dropped and
    base_model_name_or_path is set to "llama-gqa" so the files do not depend on the checkout's path);
  - expected.safetensors: "input_ids" [2, 8] (I64), "labels" [2, 8] (I64, with -100 entries), "loss" [1] and
    "logits" [2, 8, V], and for every adapter tensor its gradient under the same PEFT key prefixed with "grad.".
    References are computed in float64 from the saved float32 weights and stored as F64 (loss) / F32.

Self-checks (nothing is written if one fails): the saved folder loads back with PeftModel.from_pretrained and gives
the same logits; and a folder whose files are built exactly as SwiftTune's PEFTAdapterFolder writes them (its
adapter_config.json keys and values, "all-linear", the same tensor keys, metadata {"format": "pt"}) loads in PEFT
with the same logits.

--verify: the Swift test `savedFolderLoadsInPEFT` writes folders SwiftTune saved (plus swifttune_expected.safetensors
with SwiftTune's logits for the fixture ids) under $SWIFTTUNE_LORA_EXPORT_DIR/<variant> when that variable is set:

    SWIFTTUNE_LORA_EXPORT_DIR=/tmp/swifttune-lora swift test --filter LoRA
    ~/torchenv/bin/python Tools/generate_lora_fixtures.py --verify /tmp/swifttune-lora/*

The script loads each with PEFT and compares PEFT's logits with SwiftTune's.
"""
import copy
import json
import pathlib
import shutil
import sys
import tempfile

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASE = ROOT / "Tests/SwiftTuneCoreTests/Fixtures/models/llama-gqa"
OUT = ROOT / "Tests/SwiftTuneCoreTests/Fixtures/lora"
VARIANTS = {"lora": dict(), "rslora": dict(use_rslora=True), "dora": dict(use_dora=True)}
MAX_TOTAL_BYTES = 300_000


def base_model(dtype=torch.float32):
    return AutoModelForCausalLM.from_pretrained(BASE, dtype=dtype).eval()


def inputs():
    g = torch.Generator().manual_seed(11)
    ids = torch.randint(3, 96, (2, 8), generator=g)
    labels = ids.clone()
    labels[0, 5] = -100
    labels[1, 2] = -100
    return ids, labels


def peft_key(name):
    """A parameter name → its key in adapter_model.safetensors: the adapter name goes, and DoRA's
    `lora_magnitude_vector.default.weight` is saved as `lora_magnitude_vector` (PEFT's save_and_load)."""
    key = name.replace(".default", "")
    return key[: -len(".weight")] if key.endswith("lora_magnitude_vector.weight") else key


def forward(model, ids, labels):
    out = model(input_ids=ids, labels=labels)
    return out.logits, out.loss


def swift_style_config(variant_kwargs):
    """adapter_config.json exactly as SwiftTune's LoRAConfiguration.encode writes it (sorted keys, indent 2)."""
    return {
        "alpha_pattern": {}, "base_model_name_or_path": "llama-gqa", "bias": "none", "exclude_modules": None,
        "fan_in_fan_out": False, "inference_mode": False, "init_lora_weights": True, "layers_pattern": None,
        "layers_to_transform": None, "lora_alpha": 8, "lora_bias": False, "lora_dropout": 0, "modules_to_save": None,
        "peft_type": "LORA", "r": 4, "rank_pattern": {}, "revision": None, "target_modules": "all-linear",
        "task_type": "CAUSAL_LM", "use_dora": bool(variant_kwargs.get("use_dora", False)),
        "use_rslora": bool(variant_kwargs.get("use_rslora", False)),
    }


def load_and_compare(folder, ids, reference_logits, what):
    loaded = PeftModel.from_pretrained(base_model(torch.float64), str(folder)).eval()
    with torch.no_grad():
        logits = loaded(input_ids=ids).logits
    diff = (logits - reference_logits).abs().max().item()
    assert diff < 1e-4, f"{what}: PEFT logits differ by {diff}"
    return diff


def build(name, kwargs, ids, labels, work):
    torch.manual_seed(100 + list(VARIANTS).index(name))
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM",
                        **kwargs)
    model = get_peft_model(base_model(), config)
    g = torch.Generator().manual_seed(200 + list(VARIANTS).index(name))
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "lora_B" in pname:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif "lora_magnitude_vector" in pname:
                p.mul_(1 + 0.1 * torch.randn(p.shape, generator=g))
    model.peft_config["default"].base_model_name_or_path = "llama-gqa"
    folder = work / name
    model.save_pretrained(str(folder))
    (folder / "README.md").unlink(missing_ok=True)

    # float64 references from the saved float32 weights.
    model = model.double().train()
    model.zero_grad()
    logits, loss = forward(model, ids, labels)
    loss.backward()
    expected = {"input_ids": ids, "labels": labels, "loss": loss.detach().reshape(1),
                "logits": logits.detach().float()}
    saved = load_file(str(folder / "adapter_model.safetensors"))
    for pname, p in model.named_parameters():
        if p.requires_grad:
            key = peft_key(pname)
            assert key in saved, f"{key} not in the saved adapter (keys: {sorted(saved)[:4]} …)"
            expected["grad." + key] = p.grad.detach().float()
    assert len(saved) == sum(1 for k in expected if k.startswith("grad.")), "saved keys and gradients differ"
    save_file({k: v.contiguous() for k, v in expected.items()}, str(folder / "expected.safetensors"))

    # The folder reloads in PEFT; a folder built as SwiftTune writes it loads too.
    load_and_compare(folder, ids, logits.detach(), f"{name}: PEFT's own folder")
    swift = work / (name + "-swift-style")
    swift.mkdir()
    (swift / "adapter_config.json").write_text(json.dumps(swift_style_config(kwargs), indent=2, sort_keys=True) + "\n")
    save_file(saved, str(swift / "adapter_model.safetensors"), metadata={"format": "pt"})
    diff = load_and_compare(swift, ids, logits.detach(), f"{name}: SwiftTune-style folder")
    print(f"{name}: loss {loss.item():.6f}, {len(saved)} adapter tensors, SwiftTune-style folder loads in PEFT "
          f"(max |Δlogits| {diff:.2e})")
    return folder


def verify(folders):
    ids, _ = inputs()
    for folder in map(pathlib.Path, folders):
        config = json.loads((folder / "adapter_config.json").read_text())
        swift_logits = load_file(str(folder / "swifttune_expected.safetensors"))["logits"].double()
        peft = PeftModel.from_pretrained(base_model(torch.float64), str(folder)).eval()
        with torch.no_grad():
            logits = peft(input_ids=ids).logits
        diff = (logits - swift_logits).abs().max().item()
        ok = diff < 1e-4
        print(f"{folder}: use_dora={config.get('use_dora')} use_rslora={config.get('use_rslora')}: PEFT vs SwiftTune "
              f"max |Δlogits| {diff:.2e} {'ok' if ok else 'MISMATCH'}")
        if not ok:
            sys.exit(1)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--verify":
        verify(sys.argv[2:])
        return
    torch.use_deterministic_algorithms(True)
    ids, labels = inputs()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        built = [build(name, kwargs, ids, labels, work) for name, kwargs in VARIANTS.items()]
        total = sum(f.stat().st_size for folder in built for f in folder.iterdir())
        assert total < MAX_TOTAL_BYTES, f"fixtures take {total} bytes, more than {MAX_TOTAL_BYTES}"
        for folder in built:
            target = OUT / folder.name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target)
        print(f"wrote {OUT.relative_to(ROOT)} ({total} bytes)")


if __name__ == "__main__":
    main()
