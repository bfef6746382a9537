#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures for SwiftTune's fused ops.

How to run (from the repository root, /work/main):

    python3 -m venv ~/torchenv
    ~/torchenv/bin/pip install torch transformers peft safetensors
    ~/torchenv/bin/python Tools/generate_fused_fixtures.py

The script writes one small JSON file per op into
``Tests/SwiftTuneCoreTests/Fixtures/fused/`` (resolved relative to this file, so
the current directory does not matter).  Options:

    --out-dir DIR   write somewhere else (e.g. to inspect a regeneration)
    --check         regenerate in memory and compare with the files on disk;
                    exit status 1 if any file is missing or differs

The Swift tests only *read* these committed files; they never run Python.
Python/PyTorch are needed only to regenerate the fixtures.

Numerics
--------
* Every input (and every upstream gradient ``dout``) is drawn in float32 from a
  seeded ``torch.Generator`` (one generator per op, so adding or changing one op
  never changes the others).  The stored input values are exactly those float32
  values.
* References (forward outputs and gradients) are computed in float64 from those
  exact float32 values, so they are the "true" answer for the float32 inputs up
  to float64 rounding.  Swift tests compare their float32 (or float64) results
  against them with a tolerance appropriate to the precision under test.
* Gradients are from torch autograd of ``sum(out * dout)`` with the stored
  ``dout`` (for scalar losses ``dout`` is the scalar 1).
* Numbers are written with Python's ``repr`` of ``float`` (shortest string that
  round-trips a float64 exactly).  Parsing such a string as a Swift ``Double``
  recovers the float64 exactly; input values also round-trip exactly as
  ``Float``.

File format
-----------
Each file is a single JSON object::

    {"format": "swifttune-fixture", "version": 1,
     "generator": "Tools/generate_fused_fixtures.py",
     "torch": "<torch.__version__>",
     "op": "<name>",
     "params": {...},
     "tensors": {"<name>": {"shape": [...], "data": [flat row-major numbers]}, ...}}

Integer tensors (token ids, targets, positions) use the same layout with
integer ``data``.  A scalar has ``"shape": []`` and a ``data`` list of one
number.

Where transformers is importable, the script also cross-checks its float64
formulas against the transformers implementations (LlamaRMSNorm, Llama's and
Phi-3's ``apply_rotary_pos_emb``, the default RoPE frequencies, causal-LM loss)
and refuses to write anything if a check fails.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

GENERATOR = "Tools/generate_fused_fixtures.py"
FORMAT = "swifttune-fixture"
VERSION = 1
MAX_FILE_BYTES = 60 * 1024

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = REPO_ROOT / "Tests" / "SwiftTuneCoreTests" / "Fixtures" / "fused"

F64 = torch.float64


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #

def make_gen(seed: int) -> torch.Generator:
    g = torch.Generator(device="cpu")
    g.manual_seed(seed)
    return g


def randn(g: torch.Generator, *shape: int, std: float = 1.0, mean: float = 0.0) -> torch.Tensor:
    """float32 normal samples (scaled in float32, so the result *is* the stored value)."""
    t = torch.randn(*shape, generator=g, dtype=torch.float32)
    return t * std + mean


def uniform(g: torch.Generator, *shape: int, low: float, high: float) -> torch.Tensor:
    """float32 uniform samples in [low, high)."""
    t = torch.rand(*shape, generator=g, dtype=torch.float32)
    return t * (high - low) + low


def leaf64(t32: torch.Tensor) -> torch.Tensor:
    """Exact float64 copy of a float32 tensor, as an autograd leaf."""
    assert t32.dtype == torch.float32
    return t32.detach().to(F64).requires_grad_(True)


def grads(out: torch.Tensor, dout32: torch.Tensor, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Gradients of sum(out * dout) w.r.t. inputs (dout is a float32 tensor, used exactly)."""
    loss = (out * dout32.to(F64)).sum()
    return list(torch.autograd.grad(loss, inputs))


def tensor_entry(t: torch.Tensor) -> dict:
    t = t.detach().cpu()
    shape = list(t.shape)
    flat = t.contiguous().reshape(-1)
    if t.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
        data = [int(v) for v in flat.tolist()]
    elif t.dtype in (torch.float32, torch.float64):
        # float32 values are widened to float64 exactly; repr is round-trip exact.
        data = [float(v) for v in flat.to(F64).tolist()]
        for v in data:
            if not math.isfinite(v):
                raise ValueError("non-finite value in fixture tensor")
    else:
        raise TypeError(f"unsupported dtype {t.dtype}")
    return {"shape": shape, "data": data}


def fixture(op: str, params: dict, tensors: dict[str, torch.Tensor]) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "generator": GENERATOR,
        "torch": torch.__version__,
        "op": op,
        "params": params,
        "tensors": {name: tensor_entry(t) for name, t in tensors.items()},
    }


def dumps(obj: dict) -> str:
    """Deterministic JSON: one top-level key per line, one tensor per line.

    json.dumps writes floats with float.__repr__, i.e. full round-trip precision.
    """
    lines = ["{"]
    keys = list(obj.keys())
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        if key == "tensors":
            lines.append(f'  {json.dumps(key)}: {{')
            names = list(obj[key].keys())
            for j, name in enumerate(names):
                tcomma = "," if j < len(names) - 1 else ""
                body = json.dumps(obj[key][name], separators=(", ", ": "), allow_nan=False)
                lines.append(f"    {json.dumps(name)}: {body}{tcomma}")
            lines.append(f"  }}{comma}")
        else:
            body = json.dumps(obj[key], separators=(", ", ": "), allow_nan=False)
            lines.append(f"  {json.dumps(key)}: {body}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def close(a: torch.Tensor, b: torch.Tensor, what: str, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    a = a.detach().to(F64)
    b = b.detach().to(F64)
    if a.shape != b.shape or not torch.allclose(a, b, rtol=rtol, atol=atol):
        diff = (a - b).abs().max().item() if a.shape == b.shape else float("nan")
        raise AssertionError(f"cross-check failed: {what} (max abs diff {diff})")


try:  # Optional cross-checks against transformers' own implementations.
    import transformers  # noqa: F401
    from transformers.models.llama import modeling_llama as hf_llama
    try:
        from transformers.models.phi3 import modeling_phi3 as hf_phi3
    except Exception:  # pragma: no cover - older/newer layouts
        hf_phi3 = None
    HAVE_HF = True
except Exception as exc:  # pragma: no cover
    print(f"warning: transformers not importable ({exc}); skipping transformers cross-checks", file=sys.stderr)
    hf_llama = hf_phi3 = None
    HAVE_HF = False


# --------------------------------------------------------------------------- #
# Fixtures
# --------------------------------------------------------------------------- #

def gen_rmsnorm() -> dict:
    seed, eps = 1001, 1e-6
    g = make_gen(seed)
    x32 = randn(g, 5, 13)
    w32 = randn(g, 13, std=0.1, mean=1.0)
    dout32 = randn(g, 5, 13)

    x, w = leaf64(x32), leaf64(w32)
    out = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w
    dx, dw = grads(out, dout32, [x, w])

    if HAVE_HF:
        norm = hf_llama.LlamaRMSNorm(13, eps=eps)
        with torch.no_grad():
            norm.weight.copy_(w32)
            close(norm(x32), out, "rmsnorm vs LlamaRMSNorm (float32)", rtol=1e-5, atol=1e-5)

    return fixture(
        "rmsnorm",
        {"eps": eps, "axis": -1, "formula": "x * rsqrt(mean(x^2, -1) + eps) * weight", "seed": seed},
        {"x": x32, "weight": w32, "dout": dout32, "out": out, "dx": dx, "dweight": dw},
    )


def gen_swiglu() -> dict:
    seed = 1002
    g = make_gen(seed)
    gate32 = randn(g, 4, 9, std=2.0)
    up32 = randn(g, 4, 9)
    dout32 = randn(g, 4, 9)

    gate, up = leaf64(gate32), leaf64(up32)
    out = F.silu(gate) * up
    dgate, dup = grads(out, dout32, [gate, up])
    close(out, gate * torch.sigmoid(gate) * up, "swiglu manual")

    return fixture(
        "swiglu",
        {"formula": "silu(gate) * up", "seed": seed},
        {"gate": gate32, "up": up32, "dout": dout32, "out": out, "dgate": dgate, "dup": dup},
    )


def _softmax_like(op: str, seed: int, fn) -> dict:
    g = make_gen(seed)
    x32 = randn(g, 6, 11, std=3.0)
    dout32 = randn(g, 6, 11)
    x = leaf64(x32)
    out = fn(x)
    (dx,) = grads(out, dout32, [x])
    return out, fixture(
        op,
        {"axis": -1, "seed": seed},
        {"x": x32, "dout": dout32, "out": out, "dx": dx},
    )


def gen_softmax() -> dict:
    out, fx = _softmax_like("softmax", 1003, lambda x: F.softmax(x, dim=-1))
    return fx


def gen_log_softmax() -> dict:
    out, fx = _softmax_like("log_softmax", 1004, lambda x: F.log_softmax(x, dim=-1))
    return fx


def _cross_entropy(op: str, seed: int, weighted: bool) -> dict:
    ignore = -100
    g = make_gen(seed)
    n, v = 7, 11
    logits32 = randn(g, n, v, std=2.0)
    targets = torch.randint(0, v, (n,), generator=g, dtype=torch.int64)
    targets[2] = ignore
    targets[5] = ignore
    w32 = uniform(g, n, low=0.25, high=2.0) if weighted else None

    logits = leaf64(logits32)
    per_token = F.cross_entropy(logits, targets, reduction="none", ignore_index=ignore)
    count = int((targets != ignore).sum().item())
    weighted_terms = per_token * w32.to(F64) if weighted else per_token
    loss = weighted_terms.sum() / count
    (dlogits,) = torch.autograd.grad(loss, [logits])

    # Checks: ignored rows contribute 0; unweighted case equals the causal-LM mean.
    assert per_token[targets == ignore].abs().max().item() == 0.0
    assert dlogits[targets == ignore].abs().max().item() == 0.0
    if not weighted:
        close(loss, F.cross_entropy(logits, targets, ignore_index=ignore), "CE mean over scored tokens")
    manual = -(torch.log_softmax(logits, -1).gather(1, targets.clamp(min=0)[:, None])[:, 0])
    manual = torch.where(targets == ignore, torch.zeros_like(manual), manual)
    close(per_token, manual, "CE per-token manual")

    tensors = {"logits": logits32, "targets": targets}
    if weighted:
        tensors["weights"] = w32
    tensors.update({
        "dout": torch.tensor(1.0, dtype=F64),
        "loss": loss,
        "per_token": per_token,
        "dlogits": dlogits,
    })
    formula = ("sum_r w_r * CE_r / count(targets != ignore_index)" if weighted
               else "sum_r CE_r / count(targets != ignore_index)")
    return fixture(
        op,
        {"ignore_index": ignore, "num_scored": count, "weighted": weighted, "formula": formula,
         "per_token": "unweighted CE, 0 for ignored rows", "seed": seed},
        tensors,
    )


def gen_cross_entropy() -> dict:
    return _cross_entropy("cross_entropy", 1005, weighted=True)


def gen_cross_entropy_unweighted() -> dict:
    return _cross_entropy("cross_entropy_unweighted", 1006, weighted=False)


def gen_embedding() -> dict:
    seed = 1007
    g = make_gen(seed)
    table32 = randn(g, 10, 6)
    ids = torch.tensor([3, 7, 3, 0, 9, 3, 5, 7], dtype=torch.int64)  # 3 x3, 7 x2; rows 1,2,4,6,8 unused
    dout32 = randn(g, 8, 6)

    table = leaf64(table32)
    out = F.embedding(ids, table)
    (dtable,) = grads(out, dout32, [table])
    manual = torch.zeros(10, 6, dtype=F64).index_add_(0, ids, dout32.to(F64))
    close(dtable, manual, "embedding scatter-add")

    return fixture(
        "embedding",
        {"seed": seed},
        {"table": table32, "ids": ids, "dout": dout32, "out": out, "dtable": dtable},
    )


def _rope(op: str, seed: int, head_dim: int, rot_dim: int) -> dict:
    theta = 10000.0
    b, t, h = 2, 5, 3
    g = make_gen(seed)
    x32 = randn(g, b, t, h, head_dim)
    positions = torch.tensor([[0, 1, 2, 3, 4], [0, 1, 2, 0, 1]], dtype=torch.int64)
    dout32 = randn(g, b, t, h, head_dim)

    inv_freq = 1.0 / (theta ** (torch.arange(0, rot_dim, 2, dtype=torch.int64).to(F64) / rot_dim))
    freqs = positions[..., None].to(F64) * inv_freq            # [B, T, rot_dim/2]
    emb = torch.cat((freqs, freqs), dim=-1)                     # [B, T, rot_dim]
    cos = emb.cos()[:, :, None, :]                              # [B, T, 1, rot_dim]
    sin = emb.sin()[:, :, None, :]

    def rotate_half(z):
        z1, z2 = z[..., : z.shape[-1] // 2], z[..., z.shape[-1] // 2:]
        return torch.cat((-z2, z1), dim=-1)

    x = leaf64(x32)
    x_rot, x_pass = x[..., :rot_dim], x[..., rot_dim:]
    out = torch.cat((x_rot * cos + rotate_half(x_rot) * sin, x_pass), dim=-1)
    (dx,) = grads(out, dout32, [x])

    if rot_dim < head_dim:
        close(out[..., rot_dim:], x[..., rot_dim:], "rope pass-through")
        close(dx[..., rot_dim:], dout32[..., rot_dim:], "rope pass-through grad")

    if HAVE_HF:
        c2, s2 = emb.cos(), emb.sin()  # [B, T, rot_dim]; unsqueeze_dim=2 for [B, T, H, D]
        with torch.no_grad():
            if rot_dim == head_dim:
                ref, _ = hf_llama.apply_rotary_pos_emb(x, x, c2, s2, unsqueeze_dim=2)
                close(out, ref, "rope vs transformers llama apply_rotary_pos_emb")
            if hf_phi3 is not None:
                ref, _ = hf_phi3.apply_rotary_pos_emb(x, x, c2, s2, unsqueeze_dim=2)
                close(out, ref, "rope vs transformers phi3 apply_rotary_pos_emb (partial aware)")
            # transformers builds inv_freq / cos / sin in float32: agree to float32 precision.
            inv32 = 1.0 / (theta ** (torch.arange(0, rot_dim, 2, dtype=torch.int64).to(dtype=torch.float) / rot_dim))
            close(inv32, inv_freq, "inv_freq vs float32 transformers formula", rtol=1e-6, atol=0)

    params = {
        "theta": theta, "rot_dim": rot_dim, "head_dim": head_dim, "layout": "BTHD",
        "inv_freq": "1 / theta ** (arange(0, rot_dim, 2) / rot_dim), computed in float64",
        "rotate_half": "cat(-x2, x1) over the halves of the first rot_dim dims; dims >= rot_dim pass through",
        "seed": seed,
    }
    return fixture(op, params, {"x": x32, "positions": positions, "dout": dout32, "out": out, "dx": dx})


def gen_rope() -> dict:
    return _rope("rope", 1008, head_dim=8, rot_dim=8)


def gen_rope_partial() -> dict:
    return _rope("rope_partial", 1009, head_dim=10, rot_dim=6)


def gen_unary() -> dict:
    seed = 1010
    g = make_gen(seed)
    grid = torch.linspace(-6.0, 6.0, 13, dtype=torch.float32)
    jitter = uniform(g, 13, low=-0.25, high=0.25)
    jitter[0] = 0.0
    jitter[-1] = 0.0          # keep the endpoints exactly -6 and 6
    near_zero = torch.tensor([-0.03, -1e-3, 2e-4, 0.05], dtype=torch.float32)
    x32 = torch.cat((grid + jitter, near_zero))              # [17]
    x_pos32 = x32.abs() + 0.1                                 # float32, stored as-is
    dout32 = randn(g, 17)

    ops = {
        "exp": (torch.exp, "x"),
        "log": (torch.log, "x_pos"),
        "sqrt": (torch.sqrt, "x_pos"),
        "rsqrt": (torch.rsqrt, "x_pos"),
        "tanh": (torch.tanh, "x"),
        "sigmoid": (torch.sigmoid, "x"),
        "silu": (F.silu, "x"),
        "gelu": (lambda z: F.gelu(z, approximate="none"), "x"),
    }
    tensors: dict[str, torch.Tensor] = {"x": x32, "x_pos": x_pos32, "dout": dout32}
    for name, (fn, src) in ops.items():
        inp = leaf64(x32 if src == "x" else x_pos32)
        out = fn(inp)
        (dx,) = grads(out, dout32, [inp])
        tensors[f"out_{name}"] = out
        tensors[f"dx_{name}"] = dx

    # Hand-derived gradient checks.
    xd, xp, dd = x32.to(F64), x_pos32.to(F64), dout32.to(F64)
    close(tensors["dx_log"], dd / xp, "dlog")
    close(tensors["dx_rsqrt"], dd * -0.5 * xp.pow(-1.5), "drsqrt")
    phi = torch.exp(-0.5 * xd * xd) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + torch.erf(xd / math.sqrt(2)))
    close(tensors["dx_gelu"], dd * (cdf + xd * phi), "dgelu")

    return fixture(
        "unary",
        {"inputs": {"exp": "x", "log": "x_pos", "sqrt": "x_pos", "rsqrt": "x_pos", "tanh": "x",
                    "sigmoid": "x", "silu": "x", "gelu": "x"},
         "x_pos": "abs(x) + 0.1 (computed in float32)",
         "gelu": "exact erf form: 0.5 * x * (1 + erf(x / sqrt(2)))",
         "seed": seed},
        tensors,
    )


def gen_matmul() -> dict:
    seed = 1011
    g = make_gen(seed)
    a32, b32 = randn(g, 3, 5), randn(g, 5, 4)
    a3_32, b3_32 = randn(g, 2, 3, 5), randn(g, 2, 5, 4)
    dout32, dout3_32 = randn(g, 3, 4), randn(g, 2, 3, 4)

    a, b = leaf64(a32), leaf64(b32)
    out = a @ b
    da, db = grads(out, dout32, [a, b])
    a3, b3 = leaf64(a3_32), leaf64(b3_32)
    out3 = a3 @ b3
    da3, db3 = grads(out3, dout3_32, [a3, b3])
    close(da, dout32.to(F64) @ b.detach().T, "da")
    close(db3, a3.detach().transpose(1, 2) @ dout3_32.to(F64), "db3")

    return fixture(
        "matmul",
        {"formula": "out = a @ b; out3 = a3 @ b3 (batched over dim 0)", "seed": seed},
        {"a": a32, "b": b32, "dout": dout32, "out": out, "da": da, "db": db,
         "a3": a3_32, "b3": b3_32, "dout3": dout3_32, "out3": out3, "da3": da3, "db3": db3},
    )


def gen_logsumexp() -> dict:
    seed = 1012
    g = make_gen(seed)
    x32 = randn(g, 4, 6, std=2.0)
    dout1_32 = randn(g, 4)
    dout0_32 = randn(g, 6)

    x = leaf64(x32)
    out1 = torch.logsumexp(x, dim=1)
    (dx1,) = grads(out1, dout1_32, [x])
    out0 = torch.logsumexp(x, dim=0)
    (dx0,) = grads(out0, dout0_32, [x])
    close(dx1, torch.softmax(x.detach(), 1) * dout1_32.to(F64)[:, None], "dlogsumexp axis1")

    return fixture(
        "logsumexp",
        {"axes": [1, 0], "keepdim": False, "seed": seed},
        {"x": x32, "dout_axis1": dout1_32, "out_axis1": out1, "dx_axis1": dx1,
         "dout_axis0": dout0_32, "out_axis0": out0, "dx_axis0": dx0},
    )


def gen_attention_tiny() -> dict:
    seed = 1013
    b, t, hq, hkv, d = 1, 4, 2, 1, 8
    g = make_gen(seed)
    q32 = randn(g, b, t, hq, d)
    k32 = randn(g, b, t, hkv, d)
    v32 = randn(g, b, t, hkv, d)
    dout32 = randn(g, b, t, hq, d)
    scale = 1.0 / math.sqrt(d)

    q, k, v = leaf64(q32), leaf64(k32), leaf64(v32)
    rep = hq // hkv
    k_rep = k.repeat_interleave(rep, dim=2)                     # [B, T, Hq, D]
    v_rep = v.repeat_interleave(rep, dim=2)
    o = F.scaled_dot_product_attention(
        q.transpose(1, 2), k_rep.transpose(1, 2), v_rep.transpose(1, 2),
        is_causal=True, scale=scale,
    )                                                           # [B, Hq, T, D]
    out = o.transpose(1, 2)                                     # [B, T, Hq, D]
    dq, dk, dv = grads(out, dout32, [q, k, v])

    # Manual causal attention as an independent check.
    with torch.no_grad():
        qq, kk, vv = q.transpose(1, 2), k_rep.transpose(1, 2), v_rep.transpose(1, 2)
        s = (qq @ kk.transpose(-1, -2)) * scale
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        s = s.masked_fill(~mask, float("-inf"))
        close(out, (torch.softmax(s, -1) @ vv).transpose(1, 2), "attention manual")

    return fixture(
        "attention_tiny",
        {"layout": "BTHD", "causal": True, "scale": scale, "num_heads": hq, "num_kv_heads": hkv,
         "head_dim": d, "gqa": "query head h uses kv head h // (num_heads / num_kv_heads)",
         "seed": seed},
        {"q": q32, "k": k32, "v": v32, "dout": dout32, "out": out, "dq": dq, "dk": dk, "dv": dv},
    )


GENERATORS = [
    ("rmsnorm.json", gen_rmsnorm),
    ("swiglu.json", gen_swiglu),
    ("softmax.json", gen_softmax),
    ("log_softmax.json", gen_log_softmax),
    ("cross_entropy.json", gen_cross_entropy),
    ("cross_entropy_unweighted.json", gen_cross_entropy_unweighted),
    ("embedding.json", gen_embedding),
    ("rope.json", gen_rope),
    ("rope_partial.json", gen_rope_partial),
    ("unary.json", gen_unary),
    ("matmul.json", gen_matmul),
    ("logsumexp.json", gen_logsumexp),
    ("attention_tiny.json", gen_attention_tiny),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--check", action="store_true",
                        help="compare regenerated fixtures with those on disk instead of writing")
    args = parser.parse_args()

    torch.use_deterministic_algorithms(True)
    rendered = []
    for filename, fn in GENERATORS:
        text = dumps(fn())
        size = len(text.encode("utf-8"))
        if size >= MAX_FILE_BYTES:
            raise SystemExit(f"{filename} is {size} bytes (limit {MAX_FILE_BYTES})")
        rendered.append((filename, text))

    if args.check:
        bad = 0
        for filename, text in rendered:
            path = args.out_dir / filename
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"differs: {path}")
                bad += 1
        print(f"{len(rendered) - bad}/{len(rendered)} fixtures up to date")
        return 1 if bad else 0

    args.out_dir.mkdir(parents=True, exist_ok=True)
    for filename, text in rendered:
        path = args.out_dir / filename
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(text.encode('utf-8'))} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
