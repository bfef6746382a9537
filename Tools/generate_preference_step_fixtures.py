#!/usr/bin/env python3
"""End-to-end reference for ONE preference-training step on the tiny llama-gqa model, for SwiftTune's
PreferenceStepFixtureTests.

Setup: Tests/SwiftTuneCoreTests/Fixtures/models/llama-gqa in float64, a PEFT LoRA adapter (r 2, alpha 4, dropout 0,
q_proj / v_proj / down_proj, seeded; B set to seeded N(0, 0.05²) so the policy differs from the reference), three
pre-tokenized preference pairs and five KTO rows (ids in 3..95, right-padded with 0). For every case:

1. per-token log-probabilities as ms-swift's `concatenated_forward` + `get_per_token_logps` form them (labels rolled
   by −1, `log_softmax` gathered, 0 where the label is −100), rows = chosen then rejected: the reference with the
   adapters disabled (`disable_adapter()`, no gradients), then the policy (with gradients);
2. the loss and metrics from the SAME code as Tools/generate_preference_fixtures.py runs (ms-swift's
   `DPOTrainer.dpo_loss` / `get_batch_loss_metrics`, TRL's `KTOTrainer.kto_loss`, `ORPOTrainer.odds_ratio_loss`,
   `CPOTrainer.cpo_loss`), imported from that script, fed with these model log-probabilities; the gradient it
   returns with respect to the per-token log-probabilities is back-propagated into the model;
3. one plain SGD step (θ ← θ − lr·∇θ, lr 0.1, no momentum, weight decay or clipping) on the adapter.

KTO: the KL completions are TRL's in-batch shift (row i pairs its prompt with completion i − 1, row 0 with the last
one), their log-probabilities computed without gradients under the policy and the reference (TRL's
`_compute_kl_logps`); loss = nanmean of `kto_loss`'s losses.

Also one full-tuning DPO case (`full_sigmoid`): every weight of llama-gqa trains, the reference is the separate model
Fixtures/models/llama3-rope (same vocabulary); it records the update of three small tensors in full and the L2
norm of every tensor's update.

Usage (torch + transformers + peft; the TRL 0.x wheel and ms-swift's dpo_trainer.py as for
generate_preference_fixtures.py):

    git -C <ms-swift clone> show HEAD:swift/rlhf_trainers/dpo_trainer.py > /tmp/dpo_trainer.py
    pip download 'trl==0.29.1' --no-deps -d /tmp/trl && (cd /tmp/trl && python -m zipfile -e trl-*.whl x)
    python Tools/generate_preference_step_fixtures.py --ms-swift-dpo /tmp/dpo_trainer.py --trl /tmp/trl/x/trl \
        --ms-swift-version 4.6.0.dev0@<commit> --trl-version 0.29.1

Writes Tests/SwiftTuneCoreTests/Fixtures/preference-step/: adapter/ (the PEFT folder, float32), data.json (ids,
labels, versions, lr) and one <case>.json per case (loss, metrics, per-sequence log-probabilities, the adapter
after the step under SwiftTune's parameter paths).
"""
import argparse
import json
import os
import pathlib
import shutil
import sys

import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_preference_fixtures as ref  # noqa: E402  (the loss code runners: ms-swift / TRL methods)

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = ROOT / "Tests/SwiftTuneCoreTests/Fixtures"
MODEL = FIX / "models/llama-gqa"
REF_MODEL = FIX / "models/llama3-rope"
OUT = FIX / "preference-step"
LR = 0.1
TARGETS = ["q_proj", "v_proj", "down_proj"]


def make_data():
    g = torch.Generator().manual_seed(1313)
    tok = lambda n: torch.randint(3, 96, (n,), generator=g).tolist()
    pairs = [dict(prompt=tok(p), chosen=tok(c), rejected=tok(r)) for p, c, r in ((3, 4, 3), (5, 2, 5), (2, 5, 4))]
    kto = [dict(prompt=tok(p), completion=tok(c), desirable=d)
           for p, c, d in ((3, 4, True), (4, 2, False), (2, 5, True), (5, 3, False), (3, 3, True))]
    return pairs, kto


def padded(rows):
    """rows: (prompt, completion) → ids, labels [N, T] (right padding with id 0, label −100)."""
    T = max(len(p) + len(c) for p, c in rows)
    ids = torch.zeros(len(rows), T, dtype=torch.long)
    labels = torch.full((len(rows), T), -100, dtype=torch.long)
    mask = torch.zeros(len(rows), T, dtype=torch.long)
    for i, (p, c) in enumerate(rows):
        n = len(p) + len(c)
        ids[i, :n] = torch.tensor(p + c)
        labels[i, len(p):n] = torch.tensor(c)
        mask[i, :n] = 1
    return ids, labels, mask


def per_token(model, ids, labels, mask):
    """ms-swift concatenated_forward + RLHFTrainerMixin.get_per_token_logps: [N, T] and the scored mask."""
    logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits
    rolled = torch.roll(labels, shifts=-1, dims=1)
    scored = rolled != -100
    safe = rolled.clone()
    safe[~scored] = 0
    lp = torch.gather(logits.log_softmax(-1), 2, safe.unsqueeze(-1)).squeeze(-1)
    return lp * scored, scored


def reference_logps(model, ids, labels, mask, peft):
    with torch.no_grad():
        if peft:
            with model.disable_adapter():
                return per_token(model, ids, labels, mask)[0]
        return per_token(model, ids, labels, mask)[0]


def adapter_state(model):
    return {n.replace(".default", ""): p for n, p in model.named_parameters() if p.requires_grad}


def sgd(params):
    with torch.no_grad():
        for p in params:
            p -= LR * p.grad
            p.grad = None


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def sequence_logps(lp, pairs):
    sums = lp.detach().sum(-1)
    return dict(chosen=values(sums[:pairs]), rejected=values(sums[pairs:]))


def write(name, result):
    with open(OUT / f"{name}.json", "w") as f:
        json.dump(result, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    print(name, result["loss"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ms-swift-dpo", required=True)
    ap.add_argument("--trl", required=True)
    ap.add_argument("--ms-swift-version", required=True)
    ap.add_argument("--trl-version", required=True)
    a = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)

    torch.manual_seed(13)
    base = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
    model = get_peft_model(base, LoraConfig(r=2, lora_alpha=4, lora_dropout=0.0, target_modules=TARGETS,
                                            task_type="CAUSAL_LM"))
    g = torch.Generator().manual_seed(14)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    model.save_pretrained(OUT / "adapter")
    (OUT / "adapter" / "README.md").unlink(missing_ok=True)
    config_path = OUT / "adapter" / "adapter_config.json"   # PEFT writes target_modules from a set: sort them
    config = json.loads(config_path.read_text())
    config["target_modules"] = sorted(config["target_modules"])
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    model = model.double()
    initial = {n: p.detach().clone() for n, p in adapter_state(model).items()}

    def reset():
        with torch.no_grad():
            for n, p in adapter_state(model).items():
                p.copy_(initial[n])
                p.grad = None

    pairs, kto = make_data()
    P = len(pairs)
    ids, labels, mask = padded([(r["prompt"], r["chosen"]) for r in pairs] + [(r["prompt"], r["rejected"]) for r in pairs])
    reference = reference_logps(model, ids, labels, mask, peft=True)
    RunningMoments = ref.extract(os.path.join(a.trl, "experimental/bco/bco_trainer.py"), ["RunningMoments"])[
        "RunningMoments"]
    RunningMoments.update = torch.no_grad()(RunningMoments.update)

    def step(grad_of_per_token, extra):
        """Runs the loss on the model's per-token log-probs, back-propagates, applies SGD; returns the record."""
        reset()
        lp, scored = per_token(model, ids, labels, mask)
        out = grad_of_per_token(lp.detach(), scored)
        lp.backward(torch.tensor(out.pop("grad_policy"), dtype=torch.float64).reshape(lp.shape))
        sgd(adapter_state(model).values())
        out = {k: v for k, v in out.items() if k in ("name", "loss", "metrics", "loss_type", "loss_weights", "beta",
                                                     "label_smoothing", "rpo_alpha", "discopop_tau", "cpo_alpha",
                                                     "simpo_gamma")}
        out.update(extra, policy=sequence_logps(lp, P), reference=sequence_logps(reference, P),
                   after={n: values(p) for n, p in adapter_state(model).items()})
        return out

    # DPO: every loss type, label smoothing, rpo_alpha, a weighted mix (ms-swift's dpo_loss / get_batch_loss_metrics).
    dpo = [dict(name=t, loss_type=[t]) for t in [
        "sigmoid", "hinge", "ipo", "robust", "bco_pair", "sppo_hard", "nca_pair", "exo_pair", "aot", "aot_unpaired",
        "apo_zero", "apo_down", "discopop", "sft"]]
    dpo += [dict(name="sigmoid_ls0.1", loss_type=["sigmoid"], beta=0.5, label_smoothing=0.1),
            dict(name="rpo0.5", loss_type=["sigmoid"], rpo_alpha=0.5),
            dict(name="mix_sigmoid_bco_sft", loss_type=["sigmoid", "bco_pair", "sft"], loss_weights=[0.8, 0.2, 1.0],
                 beta=0.3)]
    names = []
    for case in dpo:
        rec = step(lambda lp, s, c=case: ref.run_dpo(a.ms_swift_dpo, RunningMoments, s, lp, reference, P, c),
                   dict(kind="dpo"))
        write("dpo_" + case["name"], rec)
        names.append("dpo_" + case["name"])
    for case in [dict(name="orpo", beta=0.1)]:
        write("orpo", step(lambda lp, s, c=case: ref.run_orpo(a.trl, s, lp, P, c), dict(kind="orpo")))
        names.append("orpo")
    for case in [dict(name="cpo", loss_type="sigmoid"),
                 dict(name="simpo", loss_type="simpo", cpo_alpha=0.0, simpo_gamma=0.5)]:
        write(case["name"], step(lambda lp, s, c=case: ref.run_cpo(a.trl, s, lp, P, c), dict(kind="cpo")))
        names.append(case["name"])

    # KTO (TRL kto_loss, calculate_KL with the in-batch shifted completions).
    kto_loss = ref.extract(os.path.join(a.trl, "experimental/kto/kto_trainer.py"), ["kto_loss"], "KTOTrainer")[
        "kto_loss"]
    kids, klabels, kmask = padded([(r["prompt"], r["completion"]) for r in kto])
    shifted = [kto[-1]] + kto[:-1]
    kl_ids, kl_labels, kl_mask = padded([(r["prompt"], o["completion"]) for r, o in zip(kto, shifted)])
    reset()
    with torch.no_grad():
        policy_kl = per_token(model, kl_ids, kl_labels, kl_mask)[0].sum(-1)
    reference_kl = reference_logps(model, kl_ids, kl_labels, kl_mask, peft=True).sum(-1)
    kref = reference_logps(model, kids, klabels, kmask, peft=True).sum(-1)
    lp = per_token(model, kids, klabels, kmask)[0].sum(-1)
    desirable = torch.tensor([r["desirable"] for r in kto])
    ci, ri = torch.nonzero(desirable).view(-1), torch.nonzero(~desirable).view(-1)
    self = ref.types.SimpleNamespace(calculate_KL=True, accelerator=ref.Accel(), beta=0.1, loss_type="kto",
                                     desirable_weight=1.0, undesirable_weight=1.0)
    losses, chosen_rewards, rejected_rewards, kl = kto_loss(self, lp.index_select(0, ci), lp.index_select(0, ri),
                                                            policy_kl, kref.index_select(0, ci),
                                                            kref.index_select(0, ri), reference_kl)
    loss = losses.nanmean()
    loss.backward()
    sgd(adapter_state(model).values())
    metrics = {"kl": float(kl.reshape(-1)[0]),
               "rewards/chosen": float(chosen_rewards.nansum() / len(ci)),
               "logps/chosen": float(lp.detach().index_select(0, ci).nansum() / len(ci)),
               "rewards/rejected": float(rejected_rewards.nansum() / len(ri)),
               "logps/rejected": float(lp.detach().index_select(0, ri).nansum() / len(ri))}
    metrics["rewards/margins"] = metrics["rewards/chosen"] - metrics["rewards/rejected"]
    write("kto", dict(name="kto", kind="kto", loss_type="kto", beta=0.1, loss=float(loss.detach()), metrics=metrics,
                      policy=values(lp), reference=values(kref), policy_kl=values(policy_kl),
                      reference_kl=values(reference_kl),
                      after={n: values(p) for n, p in adapter_state(model).items()}))
    names.append("kto")

    # Full tuning, DPO sigmoid, separate reference model.
    policy = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float64)
    ref_model = AutoModelForCausalLM.from_pretrained(REF_MODEL, dtype=torch.float64)
    before = {n: p.detach().clone() for n, p in policy.named_parameters()}
    full_ref = reference_logps(ref_model, ids, labels, mask, peft=False)
    lp, scored = per_token(policy, ids, labels, mask)
    case = dict(name="full_sigmoid", loss_type=["sigmoid"], beta=0.1)
    out = ref.run_dpo(a.ms_swift_dpo, RunningMoments, scored, lp.detach(), full_ref, P, case)
    lp.backward(torch.tensor(out["grad_policy"], dtype=torch.float64).reshape(lp.shape))
    sgd(policy.parameters())
    delta = {n: p.detach() - before[n] for n, p in policy.named_parameters()}
    full = ["model.norm.weight", "model.layers.1.input_layernorm.weight", "model.layers.0.self_attn.k_proj.weight"]
    write("full_sigmoid", dict(name="full_sigmoid", kind="full", loss_type=["sigmoid"], beta=0.1, loss=out["loss"],
                               metrics=out["metrics"], policy=sequence_logps(lp, P),
                               reference=sequence_logps(full_ref, P),
                               delta={n: values(delta[n]) for n in full},
                               delta_norm={n: float(d.norm()) for n, d in delta.items()}))
    names.append("full_sigmoid")

    data = dict(versions={"torch": torch.__version__, "trl": a.trl_version, "ms_swift": a.ms_swift_version},
                lr=LR, cases=names, pair_count=P, ids=ids.tolist(), labels=labels.tolist(),
                pairs=pairs, kto=kto, kto_kl_shift="TRL: row i uses completion i-1 (row 0 the last)")
    with open(OUT / "data.json", "w") as f:
        json.dump(data, f, sort_keys=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
