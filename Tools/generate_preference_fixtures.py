#!/usr/bin/env python3
"""Reference fixtures for SwiftTune's preference losses (DPO family, KTO, ORPO, CPO/SimPO).

The loss code is NOT re-implemented here: the real methods are read from the reference sources and executed
with a stub `self`:

* ms-swift `swift/rlhf_trainers/dpo_trainer.py`: `DPOTrainer.concatenated_forward` (IPO per-token means, LD-DPO
  weighting, the chosen NLL), `DPOTrainer.dpo_loss` and `DPOTrainer.get_batch_loss_metrics` (loss types combined
  with loss_weights, rpo_alpha, metrics). The model call and `get_per_token_logps` are stubbed to hand back
  given per-token log-probabilities, so everything after the logits is ms-swift's code.
* TRL (the 0.x release ms-swift supports): `RunningMoments` (bco_pair), `KTOTrainer.kto_loss`,
  `ORPOTrainer.odds_ratio_loss` with `log1mexp`, `CPOTrainer.cpo_loss`. The few lines of their
  `get_batch_loss_metrics` that combine the pieces (ORPO: nll − mean(losses); CPO: mean(losses) +
  cpo_alpha·nll; KTO: nanmean and the metric means) are written out below.

Usage (torch in a venv; nothing else is imported from either project):

    git -C <ms-swift clone> show HEAD:swift/rlhf_trainers/dpo_trainer.py > /tmp/dpo_trainer.py
    pip download 'trl<1.0' --no-deps -d /tmp/trl && (cd /tmp/trl && python -m zipfile -e trl-*.whl x)
    python Tools/generate_preference_fixtures.py --ms-swift-dpo /tmp/dpo_trainer.py --trl /tmp/trl/x/trl \
        --ms-swift-version 4.6.0.dev0@<commit> --trl-version 0.29.1

Writes Tests/SwiftTuneCoreTests/Fixtures/preference/preference_losses.json (float64 inputs and results).
"""
import argparse
import ast
import json
import math
import os
import types
import typing
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = "Tests/SwiftTuneCoreTests/Fixtures/preference/preference_losses.json"


# ms-swift's non-padding-free IPO path divides the [B, T] per-token log-probs by the [B] completion lengths,
# which broadcasts over T (an error unless T == B, and the wrong row otherwise). TRL divides each sequence by its
# own length; the fixture applies that one-token fix to ms-swift's line and records it.
IPO_LINE = "per_token_logps = per_token_logps / size_completion\n"
IPO_FIX = "per_token_logps = per_token_logps / size_completion.unsqueeze(-1)\n"


def extract(path, names, class_name=None, patches=()):
    """Compiles the named functions (methods of `class_name`, or module level) / classes from a source file."""
    text = open(path).read()
    for old, new in patches:
        if text.count(old) != 1:
            raise SystemExit(f"{path}: expected one {old!r}")
        text = text.replace(old, new)
    tree = ast.parse(text)
    scope = tree.body
    if class_name:
        scope = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name).body
    nodes = [n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in names]
    for n in nodes:  # drop decorators such as @torch.no_grad / @staticmethod; re-added below where needed
        n.decorator_list = [d for d in n.decorator_list if ast.unparse(d) == "dataclass"] if isinstance(
            n, ast.ClassDef) else []
    found = {n.name for n in nodes}
    missing = set(names) - found
    if missing:
        raise SystemExit(f"{path}: {sorted(missing)} not found")
    env = dict(torch=torch, nn=nn, F=F, math=math, dataclass=dataclass, Accelerator=object,
               PreTrainedModel=object, contextmanager=None, nullcontext=None)
    env.update({k: getattr(typing, k) for k in ("Any", "Dict", "List", "Literal", "Optional", "Tuple", "Union")})
    exec(compile(ast.Module(body=nodes, type_ignores=[]), path, "exec"), env)
    return {name: env[name] for name in names}


class Accel:
    device = torch.device("cpu")
    use_distributed = False
    is_main_process = True

    @staticmethod
    def gather_for_metrics(x):
        return x


def rows(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make_inputs(gen, pairs, length):
    n = 2 * pairs
    scored = torch.rand(n, length, generator=gen, dtype=torch.float64) < 0.7
    for i in range(n):
        if not scored[i].any():
            scored[i, 0] = True
    policy = -torch.rand(n, length, generator=gen, dtype=torch.float64) * 2.5 - 0.05
    reference = policy + torch.randn(n, length, generator=gen, dtype=torch.float64) * 0.4
    reference = reference.clamp(max=-0.01)
    policy = policy * scored
    reference = reference * scored
    return scored, policy, reference


def dpo_cases():
    cases = []
    for t in ["sigmoid", "hinge", "ipo", "robust", "bco_pair", "sppo_hard", "nca_pair", "exo_pair", "aot",
              "aot_unpaired", "apo_zero", "apo_down", "discopop", "sft"]:
        cases.append(dict(name=t, loss_type=[t]))
    cases += [
        dict(name="sigmoid_beta0.5_ls0.1", loss_type=["sigmoid"], beta=0.5, label_smoothing=0.1),
        dict(name="robust_ls0.2", loss_type=["robust"], beta=0.3, label_smoothing=0.2),
        dict(name="exo_pair_ls0.05", loss_type=["exo_pair"], beta=0.5, label_smoothing=0.05),
        dict(name="exo_then_sigmoid_ls0", loss_type=["exo_pair", "sigmoid"], beta=0.5),
        dict(name="aot_ls0.1", loss_type=["aot"], beta=0.5, label_smoothing=0.1),
        dict(name="discopop_tau0.2", loss_type=["discopop"], beta=0.5, discopop_tau=0.2),
        dict(name="bco_pair_3steps", loss_type=["bco_pair"], beta=0.5, repeat=3),
        dict(name="rpo", loss_type=["sigmoid"], rpo_alpha=0.7),
        dict(name="ld_alpha", loss_type=["sigmoid"], beta=0.5, ld_alpha=0.3),
        dict(name="ipo_ld_alpha", loss_type=["ipo"], beta=0.5, ld_alpha=0.3),
        dict(name="mpo_weighted", loss_type=["sigmoid", "bco_pair", "sft"], loss_weights=[0.8, 0.2, 1.0],
             beta=0.3),
        dict(name="mixed_ipo_hinge_rpo", loss_type=["ipo", "hinge"], loss_weights=[1.0, 0.5], beta=0.4,
             rpo_alpha=0.3),
    ]
    return cases


def run_dpo(src, RunningMoments, scored, policy, reference, pairs, case):
    fns = extract(src, ["concatenated_forward", "dpo_loss", "get_batch_loss_metrics"], "DPOTrainer",
                  patches=[(IPO_LINE, IPO_FIX)])
    self = types.SimpleNamespace()
    loss_types = case["loss_type"]
    self.loss_type = loss_types if len(loss_types) > 1 else loss_types[0]
    self.loss_weights = case.get("loss_weights")
    self.beta = case.get("beta", 0.1)
    self.label_smoothing = case.get("label_smoothing", 0.0)
    self.reference_free = False
    self.f_divergence_type = "reverse_kl"
    self.f_divergence_params = None
    self.use_weighting = False
    self.aux_loss_enabled = False
    self.is_encoder_decoder = False
    self.label_pad_token_id = -100
    self.accelerator = Accel()
    self.running = RunningMoments(accelerator=Accel())
    self.args = types.SimpleNamespace(rpo_alpha=case.get("rpo_alpha"), ld_alpha=case.get("ld_alpha"),
                                      discopop_tau=case.get("discopop_tau", 0.05))
    self.template = types.SimpleNamespace(sequence_parallel_size=1, padding_free=False)
    self.get_use_logits_to_keep = lambda *a, **k: False
    current = {}
    self.get_per_token_logps = lambda logits, labels, label_pad_token_id=-100: (
        current["logps"], torch.zeros_like(current["logps"]), scored)
    for name in ("concatenated_forward", "dpo_loss"):
        setattr(self, name, types.MethodType(fns[name], self))
    model = lambda **kw: types.SimpleNamespace(logits=torch.zeros(2 * pairs, scored.shape[1], 1))
    labels = torch.zeros(2 * pairs, scored.shape[1], dtype=torch.long)
    current["logps"] = reference.clone()
    ref = self.concatenated_forward(model, {"labels": labels}, is_ref_model=True)
    for step in range(case.get("repeat", 1)):
        grad_policy = policy.clone().requires_grad_(True)
        current["logps"] = grad_policy
        batch = {"labels": labels, "ref_chosen_logps": ref["chosen_logps"].detach(),
                 "ref_rejected_logps": ref["rejected_logps"].detach()}
        loss, metrics = fns["get_batch_loss_metrics"](self, model, batch)
        loss.backward()
    return dict(case, loss=float(loss.detach()), grad_policy=rows(grad_policy.grad),
                metrics={k: float(v) for k, v in metrics.items() if not k.startswith("logits/")},
                label_smoothing_after=float(self.label_smoothing),
                running_mean=float(self.running.mean))


def run_kto(trl, gen, case):
    fns = extract(os.path.join(trl, "experimental/kto/kto_trainer.py"), ["kto_loss"], "KTOTrainer")
    n = 7
    desirable = [bool(v) for v in (torch.rand(n, generator=gen) < 0.5).tolist()]
    desirable[0], desirable[1] = True, False
    if case.get("only_desirable"):
        desirable = [True] * n
    policy = -torch.rand(n, generator=gen, dtype=torch.float64) * 20 - 1
    reference = policy + torch.randn(n, generator=gen, dtype=torch.float64) * 2
    policy_kl = -torch.rand(n, generator=gen, dtype=torch.float64) * 20 - 1
    reference_kl = policy_kl + torch.randn(n, generator=gen, dtype=torch.float64) * 2 + case.get("kl_shift", 0)
    self = types.SimpleNamespace(calculate_KL=case["loss_type"] == "kto", accelerator=Accel(),
                                 beta=case.get("beta", 0.1), loss_type=case["loss_type"],
                                 desirable_weight=case.get("desirable_weight", 1.0),
                                 undesirable_weight=case.get("undesirable_weight", 1.0))
    p = policy.clone().requires_grad_(True)
    lab = torch.tensor(desirable)
    ci, ri = torch.nonzero(lab).view(-1), torch.nonzero(~lab).view(-1)
    losses, chosen_rewards, rejected_rewards, kl = fns["kto_loss"](
        self, p.index_select(0, ci), p.index_select(0, ri), policy_kl, reference.index_select(0, ci),
        reference.index_select(0, ri), reference_kl)
    loss = losses.nanmean()  # KTOTrainer.get_batch_loss_metrics / _compute_loss
    loss.backward()
    metrics = {"kl": float(kl.reshape(-1)[0])}
    if len(ci):
        metrics["rewards/chosen"] = float(chosen_rewards.nansum() / len(ci))
        metrics["logps/chosen"] = float(p.detach().index_select(0, ci).nansum() / len(ci))
    if len(ri):
        metrics["rewards/rejected"] = float(rejected_rewards.nansum() / len(ri))
        metrics["logps/rejected"] = float(p.detach().index_select(0, ri).nansum() / len(ri))
    if len(ci) and len(ri):
        metrics["rewards/margins"] = metrics["rewards/chosen"] - metrics["rewards/rejected"]
    return dict(case, desirable=desirable, policy=rows(policy), reference=rows(reference),
                policy_kl=rows(policy_kl), reference_kl=rows(reference_kl), loss=float(loss.detach()),
                losses=rows(losses), chosen_rewards=rows(chosen_rewards), rejected_rewards=rows(rejected_rewards),
                grad_policy=rows(p.grad), metrics=metrics)


def sums_and_means(logps, scored, pairs):
    sums = logps.sum(-1)
    means = sums / scored.sum(-1)
    nll = -logps[:pairs][scored[:pairs]].mean()  # token-mean over the chosen completions
    return sums, means, nll


def pairwise_metrics(chosen_rewards, rejected_rewards, c, r):
    return {"rewards/chosen": float(chosen_rewards.mean()), "rewards/rejected": float(rejected_rewards.mean()),
            "rewards/accuracies": float((chosen_rewards > rejected_rewards).double().mean()),
            "rewards/margins": float((chosen_rewards - rejected_rewards).mean()),
            "logps/chosen": float(c.detach().mean()), "logps/rejected": float(r.detach().mean())}


def run_orpo(trl, scored, policy, pairs, case):
    path = os.path.join(trl, "experimental/orpo/orpo_trainer.py")
    helpers = extract(path, ["log1mexp"])
    fns = extract(path, ["odds_ratio_loss"], "ORPOTrainer")
    fns["odds_ratio_loss"].__globals__["log1mexp"] = helpers["log1mexp"]
    self = types.SimpleNamespace(beta=case.get("beta", 0.1), accelerator=Accel())
    p = policy.clone().requires_grad_(True)
    _, means, nll = sums_and_means(p, scored, pairs)
    losses, chosen_rewards, rejected_rewards, log_odds_ratio, log_odds_chosen = fns["odds_ratio_loss"](
        self, means[:pairs], means[pairs:])
    loss = nll - losses.mean()
    loss.backward()
    metrics = pairwise_metrics(chosen_rewards, rejected_rewards, means[:pairs], means[pairs:])
    metrics.update({"nll_loss": float(nll.detach()), "log_odds_ratio": float(log_odds_ratio.detach()),
                    "log_odds_chosen": float(log_odds_chosen.detach())})
    return dict(case, loss=float(loss.detach()), losses=rows(losses), grad_policy=rows(p.grad), metrics=metrics)


def run_cpo(trl, scored, policy, pairs, case):
    fns = extract(os.path.join(trl, "experimental/cpo/cpo_trainer.py"), ["cpo_loss"], "CPOTrainer")
    lt = case["loss_type"]
    beta = case.get("beta", 2.0 if lt == "simpo" else 0.1)
    self = types.SimpleNamespace(alpha=0.0, beta=beta, loss_type=lt, simpo_gamma=case.get("simpo_gamma", 1.0),
                                 label_smoothing=case.get("label_smoothing", 0.0), accelerator=Accel())
    cpo_alpha = case.get("cpo_alpha", 1.0)
    p = policy.clone().requires_grad_(True)
    sums, means, nll = sums_and_means(p, scored, pairs)
    lp = means if lt in ("ipo", "simpo") else sums
    if cpo_alpha == 0:
        nll = torch.tensor(0.0, dtype=torch.float64)
    losses, chosen_rewards, rejected_rewards = fns["cpo_loss"](self, lp[:pairs], lp[pairs:])
    loss = losses.mean() + cpo_alpha * nll
    loss.backward()
    metrics = pairwise_metrics(chosen_rewards, rejected_rewards, lp[:pairs], lp[pairs:])
    metrics["nll_loss"] = float(nll.detach())
    return dict(case, beta=beta, cpo_alpha=cpo_alpha, loss=float(loss.detach()), losses=rows(losses),
                grad_policy=rows(p.grad), metrics=metrics)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ms-swift-dpo", required=True, help="ms-swift swift/rlhf_trainers/dpo_trainer.py")
    ap.add_argument("--trl", required=True, help="the trl package folder of a TRL 0.x release")
    ap.add_argument("--ms-swift-version", required=True)
    ap.add_argument("--trl-version", required=True)
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(20260613)
    pairs, length = 4, 6
    scored, policy, reference = make_inputs(gen, pairs, length)
    RunningMoments = extract(os.path.join(a.trl, "experimental/bco/bco_trainer.py"), ["RunningMoments"])[
        "RunningMoments"]
    update = RunningMoments.update
    RunningMoments.update = torch.no_grad()(update)
    targets = [1 if s else -100 for s in scored.reshape(-1).tolist()]
    out = {
        "versions": {"torch": torch.__version__, "trl": a.trl_version, "ms_swift": a.ms_swift_version},
        "patches": ["ms-swift concatenated_forward: " + IPO_LINE.strip() + " -> " + IPO_FIX.strip()],
        "pairs": pairs, "length": length, "targets": targets,
        "policy": rows(policy), "reference": rows(reference),
        "dpo": [run_dpo(a.ms_swift_dpo, RunningMoments, scored, policy, reference, pairs, c) for c in dpo_cases()],
        "kto": [run_kto(a.trl, gen, c) for c in [
            dict(name="kto", loss_type="kto"),
            dict(name="kto_weighted", loss_type="kto", beta=0.3, desirable_weight=1.5, undesirable_weight=0.7),
            dict(name="kto_negative_kl_clamped", loss_type="kto", kl_shift=30.0),
            dict(name="kto_only_desirable", loss_type="kto", only_desirable=True),
            dict(name="apo_zero_unpaired", loss_type="apo_zero_unpaired", beta=0.2)]],
        "orpo": [run_orpo(a.trl, scored, policy, pairs, c) for c in [
            dict(name="orpo"), dict(name="orpo_beta0.5", beta=0.5)]],
        "cpo": [run_cpo(a.trl, scored, policy, pairs, c) for c in [
            dict(name="sigmoid", loss_type="sigmoid"),
            dict(name="sigmoid_ls", loss_type="sigmoid", beta=0.5, label_smoothing=0.1, cpo_alpha=0.5),
            dict(name="hinge", loss_type="hinge", beta=0.5),
            dict(name="ipo", loss_type="ipo", beta=0.5),
            dict(name="simpo", loss_type="simpo"),
            dict(name="simpo_pure", loss_type="simpo", cpo_alpha=0.0, simpo_gamma=0.5, label_smoothing=0.05)]],
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
