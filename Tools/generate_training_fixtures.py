#!/usr/bin/env python3
"""Reference training steps from PyTorch + PEFT on the tiny llama-gqa fixture model, for SwiftTune's trainer tests.

    ~/torchenv/bin/python Tools/generate_training_fixtures.py

Cases (fixed batch of 2 rows × 12 tokens, labels with a few -100, same batch every step):
  full-adamw : 3 steps of torch.optim.AdamW(lr 1e-2, betas (0.9, 0.95), eps 1e-8, weight_decay 0.1) on all weights,
               with transformers Trainer's groups (no weight decay for the names get_decay_parameter_names rejects:
               norm scales and biases)
  full-sgd   : 1 step of torch.optim.SGD(lr 0.1, momentum 0.9, weight_decay 0.01), the same groups
  lora-adamw : PEFT LoRA r=4 alpha=8 dropout 0 all-linear, 3 AdamW steps on the adapter
  dora-adamw : the same with use_dora=True
  doraplus-adamw : DoRA with PEFT's create_loraplus_optimizer (loraplus_lr_ratio 4, weight decay 0.1): lora_B and
               the 1-D magnitude vectors learn at 4 × lr
Each case folder holds the starting adapter (PEFT save_pretrained, for lora/dora), expected.safetensors with the
trained tensors under SwiftTune's parameter paths (HF names for full, PEFT keys for adapters), and losses.json
with the loss before each step. Writes Tests/SwiftTuneCoreTests/Fixtures/training/<case>/.
"""
import json
import pathlib
import shutil

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from peft.optimizers import create_loraplus_optimizer
from transformers import AutoModelForCausalLM, Trainer

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODEL = ROOT / "Tests/SwiftTuneCoreTests/Fixtures/models/llama-gqa"
OUT = ROOT / "Tests/SwiftTuneCoreTests/Fixtures/training"

g = torch.Generator().manual_seed(7)
IDS = torch.randint(3, 96, (2, 12), generator=g)
LABELS = IDS.clone()
LABELS[0, :3] = -100
LABELS[1, :5] = -100


def run(name, model, params, make_opt, steps, key):
    opt = make_opt(params)
    losses = []
    for _ in range(steps):
        out = model(input_ids=IDS, labels=LABELS)
        losses.append(float(out.loss))
        out.loss.backward()
        opt.step()
        opt.zero_grad()
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {key(n): p.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    save_file(tensors, str(folder / "expected.safetensors"))
    (folder / "losses.json").write_text(json.dumps({"ids": IDS.tolist(), "labels": LABELS.tolist(), "losses": losses}) + "\n")
    print(name, losses)


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    adamw = lambda ps: torch.optim.AdamW(ps, lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1, foreach=False)
    sgd = lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01, foreach=False)
    for name, make, steps in (("full-adamw", adamw, 3), ("full-sgd", sgd, 1)):
        model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
        decay = set(Trainer.get_decay_parameter_names(None, model))
        named = list(model.named_parameters())
        groups = [{"params": [p for n, p in named if n in decay]},
                  {"params": [p for n, p in named if n not in decay], "weight_decay": 0.0}]
        run(name, model, groups, make, steps, lambda n: n)
    loraplus = lambda model: lambda _: create_loraplus_optimizer(
        model, torch.optim.AdamW, lr=1e-2, loraplus_lr_ratio=4.0, loraplus_weight_decay=0.1,
        betas=(0.9, 0.95), eps=1e-8, foreach=False)
    for name, dora in (("lora-adamw", False), ("dora-adamw", True), ("doraplus-adamw", True)):
        torch.manual_seed(3)
        base = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
        model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules="all-linear",
                                                use_dora=dora, task_type="CAUSAL_LM"))
        folder = OUT / name
        model.save_pretrained(folder / "initial")
        (folder / "initial" / "README.md").unlink(missing_ok=True)  # PEFT's model card template
        def key(n):
            n = n.replace(".default", "")
            return n[:-len(".weight")] if n.endswith("lora_magnitude_vector.weight") else n
        make = loraplus(model) if name.startswith("doraplus") else adamw
        run(name, model, [p for p in model.parameters() if p.requires_grad], make, 3, key)


if __name__ == "__main__":
    main()
