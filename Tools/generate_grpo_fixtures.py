#!/usr/bin/env python3
"""Reference fixtures for SwiftTune's GRPO advantages and loss (GRPOAdvantages, GRPOLoss).

Nothing of the math is re-implemented here: the real functions are read from ms-swift's sources and executed.

* `swift/rl_core/advantage.py`: `compute_advantages`, `compute_reward_metrics` (with `RewardMetrics` and
  `swift/utils/torch_utils.py`'s `nanstd`).
* `swift/rlhf_trainers/grpo_trainer.py`: `GRPOTrainer._compute_loss_and_metrics`, run with a stub `self` whose
  `_get_per_token_logps_and_entropies` hands back given per-token log-probabilities (a float64 leaf) and
  entropies, one process (`gather`, `gather_for_metrics` are the identity), no teacher, no rollout correction,
  no entropy mask (`top_entropy_quantile` 1), no CHORD/SDAR. TRL's `nanmin` / `nanmax` come from the installed TRL.
* TRL's own `GRPOTrainer._compute_loss` (the installed TRL), stub `self` likewise, on every case TRL can express
  (no `sequence_token`, no truncation masking, which TRL applies when building the batch): its loss and gradient
  are stored next to ms-swift's as `trl_loss` / `trl_grad_policy`. They agree here because the k3 clamps (the one
  formula difference) are inactive on these inputs and one process without accumulation makes the DAPO
  normalisers equal; the script checks that before writing.

Usage (torch and trl in a venv):

    git -C <ms-swift clone> show HEAD:swift/rlhf_trainers/grpo_trainer.py > /tmp/grpo_trainer.py
    git -C <ms-swift clone> show HEAD:swift/rl_core/advantage.py > /tmp/advantage.py
    git -C <ms-swift clone> show HEAD:swift/utils/torch_utils.py > /tmp/torch_utils.py
    python Tools/generate_grpo_fixtures.py --trainer /tmp/grpo_trainer.py --advantage /tmp/advantage.py \
        --torch-utils /tmp/torch_utils.py --ms-swift-version 4.6.0.dev0@<commit>

Writes Tests/SwiftTuneCoreTests/Fixtures/grpo/grpo_loss.json (float64 inputs and results).
"""
import argparse
import ast
import json
import math
import types
import typing
from collections import defaultdict
from dataclasses import dataclass

import torch
import trl
from trl.trainer.utils import nanmax, nanmin

OUT = "Tests/SwiftTuneCoreTests/Fixtures/grpo/grpo_loss.json"


def extract(path, names, class_name=None, env=None):
    tree = ast.parse(open(path).read())
    scope = tree.body
    if class_name:
        scope = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name).body
    nodes = [n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in names]
    for n in nodes:
        n.decorator_list = [d for d in n.decorator_list if ast.unparse(d) == "dataclass"]
    missing = set(names) - {n.name for n in nodes}
    if missing:
        raise SystemExit(f"{path}: {sorted(missing)} not found")
    g = dict(torch=torch, math=math, dataclass=dataclass)
    g.update({k: getattr(typing, k) for k in ("Any", "Dict", "List", "Optional", "Tuple", "Union")})
    g.update(env or {})
    exec(compile(ast.Module(body=nodes, type_ignores=[]), path, "exec"), g)
    return {name: g[name] for name in names}


class Accel:
    num_processes = 1

    @staticmethod
    def gather_for_metrics(x):
        return x


def stub_trainer(loss_fn, *, loss_type, level, beta, epsilon, epsilon_high, delta, max_len, overlong, leaf,
                 entropies):
    s = types.SimpleNamespace()
    s.model = types.SimpleNamespace(training=True)
    s.compute_entropy = True
    s.args = types.SimpleNamespace(log_entropy=True, top_entropy_quantile=1.0, delta=delta)
    s.top_entropy_quantile = 1.0
    s.overlong_filter = overlong
    s.beta = beta
    s.kl_in_reward = False
    s.rollout_importance_sampling_mode = None
    s.log_rollout_offpolicy_metrics = False
    s.disable_rollout_importance_sampling = True
    s.importance_sampling_level = level
    s._has_teacher = False
    s.loss_type = loss_type
    s.epsilon_low = epsilon
    s.epsilon_high = epsilon_high if epsilon_high is not None else epsilon
    s.off_policy_sequence_mask_delta = None
    s.max_completion_length = max_len
    s.accelerator = Accel()
    s.sdar_loss_coef = 0
    s.chord_sft_iterator = None
    s._metrics = {"train": defaultdict(list)}
    s._get_per_token_logps_and_entropies = lambda model, inputs, batch, compute_entropy=False: (leaf, entropies)
    return types.MethodType(loss_fn, s)


def trl_loss(trl_fn, *, loss_type, level, beta, epsilon, epsilon_high, delta, max_len, leaf, entropies, mask,
             advantages, old, ref, num_items):
    s = types.SimpleNamespace()
    s.model = types.SimpleNamespace(training=True)
    s.top_entropy_quantile = 1.0
    s.off_policy_mask_threshold = None
    s.importance_sampling_level = level
    s.beta = beta
    s.args = types.SimpleNamespace(use_bias_correction_kl=False, delta=delta, steps_per_generation=1)
    s.loss_type = loss_type
    s.epsilon_low = epsilon
    s.epsilon_high = epsilon_high if epsilon_high is not None else epsilon
    s.use_vllm = False
    s.vllm_importance_sampling_correction = False
    s.current_gradient_accumulation_steps = 1
    s._entropy_bonus_enabled = False
    s.aux_loss_enabled = False
    s.max_completion_length = max_len
    s._metrics = {"train": defaultdict(list)}
    s.accelerator = types.SimpleNamespace(num_processes=1, reduce=lambda x, reduction="sum": x, gather=lambda x: x,
                                          gather_for_metrics=lambda x: x)
    s._get_per_token_logps_and_entropies = lambda *args, **kwargs: (leaf, entropies, None)
    B, T = mask.shape
    inputs = dict(prompt_ids=torch.zeros(B, 1, dtype=torch.long), prompt_mask=torch.ones(B, 1, dtype=torch.long),
                  completion_ids=torch.zeros(B, T, dtype=torch.long), completion_mask=mask.long(),
                  advantages=advantages, old_per_token_logps=old, ref_per_token_logps=ref,
                  num_items_in_batch=torch.tensor(num_items))
    return types.MethodType(trl_fn, s)(None, inputs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trainer", required=True)
    ap.add_argument("--advantage", required=True)
    ap.add_argument("--torch-utils", required=True)
    ap.add_argument("--ms-swift-version", required=True)
    a = ap.parse_args()
    torch.set_default_dtype(torch.float64)

    nanstd = extract(a.torch_utils, ["nanstd"])["nanstd"]
    adv = extract(a.advantage, ["RewardMetrics", "compute_advantages", "compute_reward_metrics"],
                  env=dict(nanstd=nanstd))
    loss_fn = extract(a.trainer, ["_compute_loss_and_metrics"], class_name="GRPOTrainer",
                      env=dict(gather=lambda x: x, gather_object=lambda x: x, nanmin=nanmin, nanmax=nanmax,
                               logger=types.SimpleNamespace(info=lambda *x: None),
                               compute_sdar_loss=None, compute_chord_loss=None, GRPOBatch=object))["_compute_loss_and_metrics"]

    import inspect
    from trl.trainer.grpo_trainer import GRPOTrainer as TRLGRPOTrainer
    trl_fn = TRLGRPOTrainer._compute_loss
    if "nanmin" not in trl_fn.__globals__:
        raise SystemExit("TRL's _compute_loss no longer uses nanmin; check the stub")

    g = torch.Generator().manual_seed(15)
    B, T, K = 6, 5, 3
    lengths = [5, 3, 1, 4, 0, 2]      # row 4 has no scored token
    truncated = [True, False, False, True, False, False]
    mask = torch.tensor([[t < n for t in range(T)] for n in lengths])
    policy = -torch.rand(B, T, generator=g) * 3 - 0.05
    old = policy + (torch.rand(B, T, generator=g) - 0.5) * 0.9   # ratios e^±0.45: both clip sides active
    ref = policy + (torch.rand(B, T, generator=g) - 0.5) * 2.0
    entropies = torch.rand(B, T, generator=g) * 2
    rewards_pf = torch.tensor([[1.0, 0.2], [0.0, float("nan")], [1.0, 0.7], [0.0, 0.1], [0.0, float("nan")],
                               [1.0, -0.3]])
    advantages, _ = adv["compute_advantages"](rewards_per_func=rewards_pf, reward_weights=torch.tensor([1.0, 0.5]),
                                              num_generations=K)
    A = advantages.tolist()

    loss_cases = []
    specs = []
    for lt in ["grpo", "bnpo", "dr_grpo", "dapo", "cispo"]:
        for level in ["token", "sequence", "sequence_token"]:
            for beta in [0.0, 0.04]:
                specs.append(dict(loss_type=lt, level=level, beta=beta))
    specs += [
        dict(loss_type="grpo", level="token", beta=0.04, epsilon_high=0.28, delta=1.3),
        dict(loss_type="dapo", level="token", beta=0.0, epsilon_high=0.28, delta=1.3, num_items=40),
        dict(loss_type="grpo", level="token", beta=0.1, overlong=True),
        dict(loss_type="bnpo", level="sequence", beta=0.04, overlong=True),
        dict(loss_type="dr_grpo", level="token", beta=0.04, overlong=True, max_len=7),
        dict(loss_type="cispo", level="token", beta=0.0, epsilon_high=1.1),
        dict(loss_type="cispo", level="sequence", beta=0.04, epsilon_high=1.05, overlong=True),
        dict(loss_type="grpo", level="token", beta=0.04, on_policy=True),
        dict(loss_type="dapo", level="sequence", beta=0.0, on_policy=True, epsilon=0.1),
        dict(loss_type="grpo", level="token", beta=0.0, epsilon=0.05, epsilon_high=0.1),
    ]
    for spec in specs:
        leaf = policy.clone().requires_grad_(True)
        lt, level, beta = spec["loss_type"], spec["level"], spec["beta"]
        eps, eps_high, delta = spec.get("epsilon", 0.2), spec.get("epsilon_high"), spec.get("delta")
        max_len = spec.get("max_len", T)
        overlong = spec.get("overlong", False)
        on_policy = spec.get("on_policy", False)
        num_items = spec.get("num_items", float(mask.sum()))
        fn = stub_trainer(loss_fn, loss_type=lt, level=level, beta=beta, epsilon=eps, epsilon_high=eps_high,
                          delta=delta, max_len=max_len, overlong=overlong, leaf=leaf, entropies=entropies.clone())
        batch = types.SimpleNamespace(
            completion_mask=mask.clone(), truncated_mask=torch.tensor(truncated),
            ref_per_token_logps=ref.clone(), advantages=advantages.unsqueeze(1).expand(B, T).clone(),
            old_per_token_logps=None if on_policy else old.clone(), rollout_per_token_logps=None,
            num_items_in_batch=torch.tensor(num_items), teacher_per_token_logps=None)
        loss, data = fn(None, {}, batch)
        loss.backward()
        metrics = {}
        if "kl" in data:
            metrics["kl"] = data["kl"]
        c = data["clipping"]
        if "cispo_clip_ratio" in c:
            metrics["cispo_clip_ratio"] = c["cispo_clip_ratio"]
        else:
            metrics["clip_ratio/low_mean"] = c["low_clip_mean"]
            metrics["clip_ratio/high_mean"] = c["high_clip_mean"]
            metrics["clip_ratio/region_mean"] = c["region_clip_mean"]
            assert c["low_clip_min"] == c["low_clip_mean"] and c["high_clip_max"] == c["high_clip_mean"]
        e = data["entropy"]
        metrics.update({"entropy/mean": e["entropy_mean"], "entropy/max": e["entropy_max"],
                        "entropy/min": e["entropy_min"]})
        name = f"{lt}/{level}/beta={beta}" + "".join(
            f"/{k}={v}" for k, v in spec.items() if k not in ("loss_type", "level", "beta"))
        case_trl = {}
        if level != "sequence_token" and not overlong:
            tleaf = policy.clone().requires_grad_(True)
            tl = trl_loss(trl_fn, loss_type=lt, level=level, beta=beta, epsilon=eps, epsilon_high=eps_high,
                          delta=delta, max_len=max_len, leaf=tleaf, entropies=entropies.clone(), mask=mask.clone(),
                          advantages=advantages.clone(), old=None if on_policy else old.clone(), ref=ref.clone(),
                          num_items=num_items)
            tl.backward()
            if not torch.allclose(tl, loss, rtol=1e-12, atol=1e-14) or not torch.allclose(
                    tleaf.grad, leaf.grad, rtol=1e-12, atol=1e-14):
                raise SystemExit(f"{name}: TRL {tl.item()} vs ms-swift {loss.item()}")
            case_trl = dict(trl_loss=tl.item(), trl_grad_policy=tleaf.grad.flatten().tolist())
        loss_cases.append(dict(**case_trl, name=name, loss_type=lt, level=level, beta=beta, epsilon=eps, epsilon_high=eps_high,
                               delta=delta, max_completion_length=max_len, mask_truncated=overlong,
                               on_policy=on_policy, num_items_in_batch=spec.get("num_items"),
                               loss=loss.item(), grad_policy=leaf.grad.flatten().tolist(), metrics=metrics))
    kinds = {(c["loss_type"], c["level"], c["beta"] > 0) for c in loss_cases}
    assert len(kinds) == 30, kinds
    assert any(c["metrics"].get("clip_ratio/low_mean", 0) > 0 for c in loss_cases)
    assert any(c["metrics"].get("clip_ratio/high_mean", 0) > 0 for c in loss_cases)
    assert any(c["metrics"].get("cispo_clip_ratio", 0) > 0 for c in loss_cases)

    # Advantages: every estimator × scaling, K = 1 / 3 / 4, unscored (None) entries, all-equal groups.
    adv_cases = []
    matrices = {
        "mixed": ([[1.0, 0.2], [0.0, None], [1.0, 0.7], [0.0, 0.1], [0.0, None], [1.0, -0.3],
                   [0.5, 0.5], [0.25, 0.0], [1.0, 1.0], [0.0, 0.0], [0.75, None], [None, None]], [1.0, 0.5]),
        "equal_groups": ([[1.0], [1.0], [1.0], [0.0], [0.0], [0.0], [2.0], [2.0], [2.0], [0.5], [1.5], [0.5]], [2.0]),
        "three_funcs": ([[0.1 * i, (-1) ** i * 0.3, None if i % 5 == 0 else i / 7] for i in range(12)],
                        [1.0, -0.5, 0.25]),
    }
    for mname, (rows, weights) in matrices.items():
        t = torch.tensor([[math.nan if v is None else v for v in r] for r in rows])
        names = [f"f{j}" for j in range(len(weights))]
        for k in [1, 3, 4]:
            for est in ["grpo", "rloo", "reinforce_plus_plus"]:
                for scale in ["group", "batch", "none"]:
                    advs, rw = adv["compute_advantages"](rewards_per_func=t, reward_weights=torch.tensor(weights),
                                                         num_generations=k, advantage_estimator=est,
                                                         scale_rewards=scale)
                    m = adv["compute_reward_metrics"](rewards=rw, rewards_per_func=t, reward_func_names=names,
                                                      num_generations=k, scale_rewards=scale)
                    metrics = {"reward": m.reward_mean, "reward_std": m.reward_std,
                               "frac_reward_zero_std": m.frac_reward_zero_std}
                    for n in names:
                        metrics[f"rewards/{n}/mean"] = m.per_func_mean[n]
                        metrics[f"rewards/{n}/std"] = m.per_func_std[n]
                    adv_cases.append(dict(name=f"{mname}/K={k}/{est}/{scale}", rewards=rows, weights=weights,
                                          names=names, num_generations=k, estimator=est, scaling=scale,
                                          advantages=advs.tolist(), weighted=rw.tolist(),
                                          metrics={k2: (None if math.isnan(v) else v) for k2, v in metrics.items()}))

    out = dict(generator="Tools/generate_grpo_fixtures.py",
               versions=dict(ms_swift=a.ms_swift_version, torch=torch.__version__, trl=trl.__version__),
               batch=B, length=T, num_generations=K, lengths=lengths, truncated=truncated,
               policy=policy.flatten().tolist(), old=old.flatten().tolist(), reference=ref.flatten().tolist(),
               entropies=entropies.flatten().tolist(), advantages=A, loss=loss_cases, advantage_cases=adv_cases)
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}: {len(loss_cases)} loss cases, {len(adv_cases)} advantage cases")


if __name__ == "__main__":
    main()
