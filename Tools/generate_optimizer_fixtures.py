#!/usr/bin/env python3
"""Reference trajectories of torch.optim.AdamW (and SGD) for SwiftTune's optimizer tests.

    ~/torchenv/bin/python Tools/generate_optimizer_fixtures.py

Writes Tests/SwiftTuneCoreTests/Fixtures/optim/adamw.json: float32 parameters updated by torch.optim.AdamW
(foreach=False, the single-tensor path, in float32 as training runs) for 25 steps with a fresh float32 gradient per
step, plus the final moments. The Swift test feeds the same gradients to the fused CKernels AdamW and compares.
Same file format as generate_fused_fixtures.py ({"format": "swifttune-fixture", "version": 1, ...}).
"""
import json
import pathlib

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures/optim"


def entry(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(x) for x in t.reshape(-1).tolist()]}


def adamw_case():
    g = torch.Generator().manual_seed(2024)
    n, steps = 37, 25  # 37: not a multiple of the 8-lane vector width
    lr, betas, eps, wd = 3e-3, (0.9, 0.95), 1e-8, 0.1
    p = torch.nn.Parameter(torch.randn(n, generator=g, dtype=torch.float32))
    initial = p.detach().clone()
    opt = torch.optim.AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=wd, foreach=False)
    grads = []
    for step in range(steps):
        grad = torch.randn(n, generator=g, dtype=torch.float32) * (0.1 + step / steps)
        grads.append(grad)
        p.grad = grad.clone()
        opt.step()
    state = opt.state[p]
    return {
        "format": "swifttune-fixture", "version": 1, "generator": "Tools/generate_optimizer_fixtures.py",
        "torch": torch.__version__, "op": "adamw",
        "params": {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": wd, "steps": steps},
        "tensors": {"initial": entry(initial), "grads": entry(torch.stack(grads)), "final": entry(p),
                    "exp_avg": entry(state["exp_avg"]), "exp_avg_sq": entry(state["exp_avg_sq"])},
    }


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "adamw.json").write_text(json.dumps(adamw_case()) + "\n")
    print("wrote", OUT / "adamw.json")
