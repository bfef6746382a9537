#!/usr/bin/env python3
"""Per-step learning rates of transformers' schedulers, for SwiftTune's LearningRateSchedule tests.

    /work/venv-sched/bin/python Tools/generate_scheduler_fixtures.py           # (re)write the fixture
    /work/venv-sched/bin/python Tools/generate_scheduler_fixtures.py --check   # verify the committed file is current

Setup: `python3 -m venv VENV && VENV/bin/pip install transformers torch` (CPU wheels are enough).

Writes Tests/SwiftTuneCoreTests/Fixtures/schedulers/schedulers.json. For every transformers `SchedulerType` that
SwiftTune implements (constant, constant_with_warmup, linear, cosine, cosine_with_restarts, cosine_with_min_lr,
polynomial, inverse_sqrt, warmup_stable_decay), with several `lr_scheduler_kwargs`, and each with explicit warmup
steps, with a warmup ratio and without warmup, it records the learning rate of every optimizer step of a 50-step run.

The scheduler is built the way the Trainer builds it: `TrainingArguments(learning_rate=..., lr_scheduler_type=...,
lr_scheduler_kwargs=..., warmup_steps=...)` and `Trainer.create_optimizer_and_scheduler(num_training_steps=50)`,
so the warmup length is the Trainer's own `args.get_warmup_steps(50)` (a ratio is `ceil(50 * ratio)`; transformers
5.x takes a ratio as a float `warmup_steps` < 1, 4.x as `warmup_ratio`). The run then does what the Trainer's inner
loop does per step: read the rate that `optimizer.step()` is about to use (`param_groups[0]["lr"]`), call
`optimizer.step()` on a real gradient, then `lr_scheduler.step()`. Entry k of "rates" is therefore the rate of the
k-th update (0-based), which SwiftTune's `rate(at: k)` must equal; "warmup_steps" is the warmup the Trainer derived.

File format: {"format": "swifttune-scheduler-fixture", "version": 1, "transformers": ..., "torch": ...,
"total_steps": 50, "learning_rate": ..., "cases": [{"name", "lr_scheduler_type", "lr_scheduler_kwargs",
"warmup": {"steps": N} | {"ratio": r} | {}, "warmup_steps", "rates": [...]}]}.
"""
import json
import pathlib
import sys
import tempfile

import torch
import transformers
from transformers import Trainer, TrainingArguments

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures/schedulers/schedulers.json"
TOTAL = 50
LR = 3e-4

SCHEDULERS = [
    ("constant", {}),
    ("constant_with_warmup", {}),
    ("linear", {}),
    ("cosine", {}),
    ("cosine", {"num_cycles": 1.5}),
    ("cosine_with_restarts", {"num_cycles": 3}),
    ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
    ("cosine_with_min_lr", {"min_lr": 1e-5}),
    ("polynomial", {}),
    ("polynomial", {"lr_end": 1e-5, "power": 2.0}),
    ("inverse_sqrt", {}),
    ("inverse_sqrt", {"timescale": 20}),
    ("warmup_stable_decay", {"num_decay_steps": 15}),
    ("warmup_stable_decay", {"num_decay_steps": 10, "num_stable_steps": 20, "decay_type": "linear", "min_lr_ratio": 0.05}),
    ("warmup_stable_decay", {"num_decay_steps": 20, "decay_type": "1-sqrt", "warmup_type": "cosine", "min_lr_ratio": 0.1}),
    ("warmup_stable_decay", {"num_decay_steps": 12, "warmup_type": "1-sqrt"}),
]
WARMUPS = [{"steps": 7}, {"ratio": 0.1}, {}]


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, x):
        return self.linear(x).pow(2).mean()


def record(name, kwargs, warmup):
    torch.manual_seed(0)
    model = Tiny()
    with tempfile.TemporaryDirectory() as tmp:
        w = warmup.get("steps", warmup.get("ratio", 0))
        args = TrainingArguments(output_dir=tmp, learning_rate=LR, lr_scheduler_type=name,
                                 lr_scheduler_kwargs=dict(kwargs), warmup_steps=w, report_to=[], use_cpu=True)
        trainer = Trainer(model=model, args=args)
        trainer.create_optimizer_and_scheduler(num_training_steps=TOTAL)
        optimizer, scheduler = trainer.optimizer, trainer.lr_scheduler
        rates = []
        x = torch.randn(8, 4)
        for _ in range(TOTAL):
            rates.append(optimizer.param_groups[0]["lr"])
            model(x).backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        return {"name": name, "lr_scheduler_type": name, "lr_scheduler_kwargs": kwargs, "warmup": warmup,
                "warmup_steps": args.get_warmup_steps(TOTAL), "rates": rates}


def build():
    cases = [record(n, k, w) for n, k in SCHEDULERS for w in WARMUPS]
    return {"format": "swifttune-scheduler-fixture", "version": 1, "generator": "Tools/generate_scheduler_fixtures.py",
            "transformers": transformers.__version__, "torch": torch.__version__.split("+")[0],
            "total_steps": TOTAL, "learning_rate": LR, "cases": cases}


def main():
    text = json.dumps(build(), indent=1) + "\n"
    if "--check" in sys.argv:
        old = json.loads(OUT.read_text())
        new = json.loads(text)
        same = [c["rates"] for c in old["cases"]] == [c["rates"] for c in new["cases"]]
        print("schedulers.json is current" if same else "schedulers.json differs")
        sys.exit(0 if same else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(json.loads(text)['cases'])} cases)")


if __name__ == "__main__":
    main()
