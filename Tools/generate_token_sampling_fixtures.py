#!/usr/bin/env python3
"""Reference distributions of transformers' logits processors and vLLM's penalties, for SwiftTune's TokenSampler tests.

    /work/venv/bin/python Tools/generate_token_sampling_fixtures.py

Needs torch and transformers. Writes Tests/SwiftTuneCoreTests/Fixtures/sampling/token_sampling.json. For random
float32 logits and many option combinations, each case holds:
- "logits": float32 values, the float32 nearest to the 6-significant-digit decimal written (read it as a double,
  then round to float32, as torch.tensor(..., dtype=float32) does);
- "penalized": {id: value} where it differs from "logits", the logits after transformers' `RepetitionPenaltyLogitsProcessor` on prompt + generated ids, then
  vLLM's `apply_penalties` frequency and presence terms on the generated ids (copied below as `vllm_penalties`);
- "kept" / "probabilities": the tokens left with a non-zero probability, increasing id, and their probabilities,
  after the sampling warpers that `GenerationMixin._get_logits_processor` builds for the options (temperature,
  top-k, top-p, min-p, in the order it returns them; read off a tiny GPT-2 so the order is transformers' own);
- "draws": uniforms u with the token the documented draw picks (kept ids increasing, the first whose cumulative
  probability exceeds u), or for temperature 0 the argmax of the penalised logits;
- "top_logprobs": the 5 best tokens of `log_softmax(raw logits)` (float64) with their log-probabilities.
Cases whose kept set depends on float rounding (a top-p, min-p or top-k boundary within 1e-4 relative) are redrawn,
so the kept sets are exact and the probabilities agree to float32 rounding.
"""
import json
import math
import pathlib
import random

import torch
import transformers
from transformers import GenerationConfig, GPT2Config, GPT2LMHeadModel
from transformers.generation.logits_process import LogitsProcessorList

transformers.logging.set_verbosity_error()

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures/sampling/token_sampling.json"


def vllm_penalties(logits, output_tokens, presence, frequency):
    """vLLM's apply_penalties (vllm/model_executor/layers/utils.py) minus the repetition term, for one row."""
    vocab_size = logits.shape[-1]
    counts = torch.zeros(vocab_size + 1, dtype=torch.long)
    if output_tokens:
        counts.scatter_add_(0, torch.tensor(output_tokens), torch.ones(len(output_tokens), dtype=torch.long))
    counts = counts[:vocab_size]
    mask = counts > 0
    logits = logits.clone()
    logits -= torch.tensor(frequency, dtype=torch.float32) * counts
    logits -= torch.tensor(presence, dtype=torch.float32) * mask
    return logits


def processors_for(model, opts, prompt_length):
    config = GenerationConfig(do_sample=opts["temperature"] > 0, temperature=opts["temperature"] or None,
                              top_k=opts["top_k"], top_p=opts["top_p"],
                              min_p=opts["min_p"] if opts["min_p"] > 0 else None,
                              repetition_penalty=opts["repetition_penalty"])
    config._eos_token_tensor = None
    return model._get_logits_processor(generation_config=config, input_ids_seq_length=prompt_length,
                                       encoder_input_ids=None, logits_processor=LogitsProcessorList(), device="cpu")


def ambiguous(penalized, opts):
    """True when a truncation boundary is within 1e-4 (relative) of flipping, in float64."""
    t = opts["temperature"]
    if t == 0:
        top2 = torch.topk(penalized.double(), 2).values
        return bool(top2[0] - top2[1] < 1e-4)
    z = penalized.double() / t
    V = z.numel()
    k = opts["top_k"]
    if 0 < k < V:
        s = torch.sort(z, descending=True).values
        if s[k - 1] - s[k] < 1e-4:
            return True
        z = torch.where(z >= s[k - 1], z, torch.tensor(-math.inf, dtype=torch.float64))
    p = torch.softmax(z, -1)
    if opts["top_p"] < 1:
        s = torch.sort(p, descending=True).values
        c = torch.cumsum(s, -1)
        if torch.min(torch.abs(c - opts["top_p"])) < 1e-4:
            return True
        keep = int(torch.searchsorted(c, torch.tensor([opts["top_p"]], dtype=torch.float64))[0]) + 1
        cut = s[min(keep, V) - 1]
        p = torch.where(p >= cut, p, torch.zeros_like(p))
        p = p / p.sum()
    if opts["min_p"] > 0:
        r = p / p.max()
        live = r[r > 0]
        if torch.min(torch.abs(live - opts["min_p"])) < 1e-4:
            return True
    return False


def main():
    rng = random.Random(20261204)
    torch.manual_seed(20261204)
    cases = []
    grid_t = [0.0, 0.3, 0.7, 1.0, 1.5]
    grid_k = [0, 0, 1, 5, 40]
    grid_p = [1.0, 1.0, 0.5, 0.9, 0.95]
    grid_min_p = [0.0, 0.0, 0.05, 0.2]
    grid_rep = [1.0, 1.0, 1.3, 0.8]
    grid_pres = [0.0, 0.0, 0.5, -1.0, 2.0]
    grid_freq = [0.0, 0.0, 0.3, -0.5, 2.0]
    combos = [
        # each step alone, then random mixtures
        dict(temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, repetition_penalty=1.0, presence=0.0, frequency=0.0),
        dict(temperature=0.7, top_k=0, top_p=1.0, min_p=0.0, repetition_penalty=1.0, presence=0.0, frequency=0.0),
        dict(temperature=1.0, top_k=10, top_p=1.0, min_p=0.0, repetition_penalty=1.0, presence=0.0, frequency=0.0),
        dict(temperature=1.0, top_k=0, top_p=0.9, min_p=0.0, repetition_penalty=1.0, presence=0.0, frequency=0.0),
        dict(temperature=1.0, top_k=0, top_p=1.0, min_p=0.1, repetition_penalty=1.0, presence=0.0, frequency=0.0),
        dict(temperature=0.0, top_k=0, top_p=1.0, min_p=0.0, repetition_penalty=1.5, presence=0.0, frequency=0.0),
        dict(temperature=0.0, top_k=0, top_p=1.0, min_p=0.0, repetition_penalty=1.0, presence=1.0, frequency=0.0),
        dict(temperature=0.0, top_k=0, top_p=1.0, min_p=0.0, repetition_penalty=1.0, presence=0.0, frequency=1.0),
        dict(temperature=0.8, top_k=50, top_p=0.9, min_p=0.05, repetition_penalty=1.1, presence=0.4, frequency=0.3),
    ]
    while len(combos) < 72:
        combos.append(dict(temperature=rng.choice(grid_t), top_k=rng.choice(grid_k), top_p=rng.choice(grid_p),
                           min_p=rng.choice(grid_min_p), repetition_penalty=rng.choice(grid_rep),
                           presence=rng.choice(grid_pres), frequency=rng.choice(grid_freq)))
    models = {}
    for n, opts in enumerate(combos):
        V = [32, 300, 600][n % 3]
        if V not in models:
            models[V] = GPT2LMHeadModel(GPT2Config(vocab_size=V, n_positions=64, n_embd=8, n_layer=1, n_head=1))
        model = models[V]
        scale = [0.5, 1.5, 3.0][(n // 3) % 3]
        for _ in range(1000):
            raw_decimals = [float(f"{x:.6g}") for x in (torch.randn(V) * scale).tolist()]
            logits = torch.tensor(raw_decimals, dtype=torch.float32)
            prompt = [rng.randrange(V) for _ in range(rng.randrange(1, 12))]
            generated = [rng.randrange(V) for _ in range(rng.randrange(0, 10))]
            if generated and rng.random() < 0.5:
                generated += rng.choices(generated, k=4)          # repeats, so counts exceed 1
            processors = processors_for(model, opts, len(prompt))
            names = [type(p).__name__ for p in processors]
            input_ids = torch.tensor([prompt + generated])
            scores = logits[None, :].clone()
            rest = list(processors)
            if rest and names[0] == "RepetitionPenaltyLogitsProcessor":
                scores = rest.pop(0)(input_ids, scores)
            penalized = vllm_penalties(scores[0], generated, opts["presence"], opts["frequency"])
            if not ambiguous(penalized, opts):
                break
        else:
            raise RuntimeError(f"case {n}: no unambiguous logits")
        order = ["TemperatureLogitsWarper", "TopKLogitsWarper", "TopPLogitsWarper", "MinPLogitsWarper"]
        warpers = [type(p).__name__ for p in rest]
        assert warpers == [w for w in order if w in warpers], warpers
        changed = {str(i): float(penalized[i]) for i in range(V) if penalized[i] != logits[i]}
        case = dict(vocabulary=V, logits=raw_decimals, prompt=prompt,
                    generated=generated, options=opts, processors=names, penalized=changed)
        raw = torch.log_softmax(logits.double(), -1)
        top = torch.topk(raw, 5)
        case["top_logprobs"] = [dict(token=int(i), logprob=float(v)) for v, i in zip(top.values, top.indices)]
        if opts["temperature"] == 0:
            case["kept"], case["probabilities"] = [int(torch.argmax(penalized))], [1.0]
            case["draws"] = [dict(u=0.5, token=int(torch.argmax(penalized)))]
        else:
            final = penalized[None, :].clone()
            for p in rest:
                final = p(input_ids, final)
            probs = torch.softmax(final[0].double(), -1)
            kept = [int(i) for i in torch.nonzero(probs > 0).flatten()]
            case["kept"] = kept
            case["probabilities"] = [float(f"{float(probs[i]):.7g}") for i in kept]
            cumulative = torch.cumsum(torch.tensor(case["probabilities"], dtype=torch.float64), 0)
            draws = []
            for u in [0.0, 0.1, 0.37, 0.5, 0.8, 0.999] + [rng.random() for _ in range(6)]:
                if torch.min(torch.abs(cumulative - u)) < 1e-5:
                    continue
                j = int(torch.searchsorted(cumulative, torch.tensor([u], dtype=torch.float64), right=True)[0])
                draws.append(dict(u=u, token=kept[min(j, len(kept) - 1)]))
            case["draws"] = draws
        cases.append(case)
    data = {"format": "swifttune-token-sampling-fixture", "version": 1,
            "generator": "Tools/generate_token_sampling_fixtures.py",
            "torch": torch.__version__, "transformers": transformers.__version__, "cases": cases}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data) + "\n")
    print(f"wrote {OUT}: {len(cases)} cases, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
