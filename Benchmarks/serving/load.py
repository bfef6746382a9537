"""Load generator for an OpenAI-compatible server (a benchmark, never a test).

N concurrent clients, each in a closed loop sending `--requests-per-client` streaming `POST /v1/completions`
requests one after the other: a prompt of exactly `--prompt-tokens` tokens (by the model's own tokenizer, a
Hugging Face folder given with `--tokenizer`), `max_tokens = --new-tokens`, `temperature 0`, `ignore_eos: true`
(vLLM's and llama.cpp's extension, so every request generates all its tokens) and
`stream_options.include_usage`. Every prompt is different (no prefix cache helps either server).

Per concurrency level and round it prints one JSON line:
  aggregate generated tokens/s = sum of completion tokens / wall time of the round (first request sent to last
  stream closed); TTFT (request sent -> first chunk with text) p50/p99 in ms; inter-token latency (gap between
  successive text chunks, divided by the tokens in the later chunk when usage tells them apart) p50/p99 in ms;
  mean completion tokens per request (to see a server that stopped early).
After all rounds of a level, one summary line (`"kind": "summary"`) with the median and min-max of each figure.

Usage: python Benchmarks/serving/load.py --url http://127.0.0.1:8080 --model NAME --tokenizer HF_DIR
         [--concurrency 1,4,8,16] [--rounds 3] [--requests-per-client 2] [--prompt-tokens 128]
         [--new-tokens 128] [--label NAME] [--warmup 1] [--api-key KEY]
"""
import argparse
import asyncio
import json
import random
import statistics
import sys
import time

import httpx

WORDS = ("time person year way day thing man world life hand part child eye woman place work week case point "
         "government company number group problem fact river mountain garden window music story letter answer "
         "question morning evening table bridge forest island winter summer market paper voice colour silver "
         "engine planet harbour lantern meadow orchard").split()


def make_prompts(tokenizer_dir, count, n_tokens, seed=0):
    """`count` distinct texts, each of exactly `n_tokens` tokens under the tokenizer (checked by re-encoding)."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    rng = random.Random(seed)
    prompts = []
    while len(prompts) < count:
        words = [rng.choice(WORDS) for _ in range(n_tokens * 2)]
        text = f"Request {len(prompts)}: " + " ".join(words)
        ids = tok(text, add_special_tokens=False)["input_ids"][:n_tokens]
        cut = tok.decode(ids)
        if len(tok(cut, add_special_tokens=False)["input_ids"]) == n_tokens:
            prompts.append(cut)
    return prompts


def pct(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


async def one_request(client, url, headers, model, prompt, new_tokens):
    body = {"model": model, "prompt": prompt, "max_tokens": new_tokens, "temperature": 0, "stream": True,
            "ignore_eos": True, "stream_options": {"include_usage": True}}
    t0 = time.perf_counter()
    first = None
    stamps = []           # time of each chunk with text
    chunk_texts = 0
    usage_tokens = None
    async with client.stream("POST", url + "/v1/completions", json=body, headers=headers) as resp:
        if resp.status_code != 200:
            raise RuntimeError(f"HTTP {resp.status_code}: {(await resp.aread())[:300]!r}")
        async for line in resp.aiter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            chunk = json.loads(data)
            if "error" in chunk:
                raise RuntimeError(f"stream error: {chunk['error']}")
            if chunk.get("usage") and chunk["usage"].get("completion_tokens") is not None:
                usage_tokens = chunk["usage"]["completion_tokens"]
            choices = chunk.get("choices") or []
            if choices and choices[0].get("text"):
                now = time.perf_counter()
                if first is None:
                    first = now
                stamps.append(now)
                chunk_texts += 1
    t1 = time.perf_counter()
    tokens = usage_tokens if usage_tokens is not None else chunk_texts
    # if a server packs several tokens into one chunk, spread each gap over the chunk's share of tokens
    per_chunk = (tokens - 1) / (len(stamps) - 1) if len(stamps) > 1 and tokens > len(stamps) else 1.0
    gaps = [(b - a) / per_chunk for a, b in zip(stamps, stamps[1:])]
    return {"ttft": (first - t0) if first else None, "gaps": gaps, "tokens": tokens, "start": t0, "end": t1}


async def run_level(url, headers, model, prompts, concurrency, per_client, new_tokens, timeout):
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), limits=limits) as client:
        queue = list(prompts)

        async def worker():
            out = []
            for _ in range(per_client):
                out.append(await one_request(client, url, headers, model, queue.pop(), new_tokens))
            return out

        t0 = time.perf_counter()
        results = [r for rs in await asyncio.gather(*[worker() for _ in range(concurrency)]) for r in rs]
        wall = time.perf_counter() - t0
    tokens = sum(r["tokens"] for r in results)
    ttft = [r["ttft"] * 1e3 for r in results if r["ttft"] is not None]
    gaps = [g * 1e3 for r in results for g in r["gaps"]]
    return {"concurrency": concurrency, "requests": len(results), "wall_s": round(wall, 3),
            "tokens_per_s": round(tokens / wall, 2),
            "ttft_p50_ms": round(pct(ttft, 0.5), 1), "ttft_p99_ms": round(pct(ttft, 0.99), 1),
            "itl_p50_ms": round(pct(gaps, 0.5), 2), "itl_p99_ms": round(pct(gaps, 0.99), 2),
            "mean_completion_tokens": round(tokens / len(results), 2)}


def summarize(label, rows):
    out = {"kind": "summary", "label": label, "concurrency": rows[0]["concurrency"], "rounds": len(rows)}
    for key in ("tokens_per_s", "ttft_p50_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p99_ms", "mean_completion_tokens"):
        xs = [r[key] for r in rows]
        out[key] = statistics.median(xs)
        out[key + "_min"] = min(xs)
        out[key + "_max"] = max(xs)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True, help="Hugging Face folder of the served model (its tokenizer)")
    ap.add_argument("--concurrency", default="1,4,8,16")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests-per-client", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=1, help="warm-up requests at concurrency 1 before measuring")
    ap.add_argument("--label", default="server")
    ap.add_argument("--api-key", default=None)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()

    levels = [int(x) for x in args.concurrency.split(",")]
    needed = args.warmup + sum(c * args.requests_per_client for c in levels) * args.rounds
    prompts = make_prompts(args.tokenizer, needed, args.prompt_tokens)
    prompts.reverse()  # pop() takes them in order
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    url = args.url.rstrip("/")

    async def go():
        if args.warmup:
            w = await run_level(url, headers, args.model, [prompts.pop() for _ in range(args.warmup)], 1,
                                args.warmup, args.new_tokens, args.timeout)
            print(json.dumps({"kind": "warmup", "label": args.label, **w}), flush=True)
        for c in levels:
            rows = []
            for r in range(args.rounds):
                batch = [prompts.pop() for _ in range(c * args.requests_per_client)]
                row = await run_level(url, headers, args.model, batch, c, args.requests_per_client,
                                      args.new_tokens, args.timeout)
                rows.append(row)
                print(json.dumps({"kind": "round", "label": args.label, "round": r, **row}), flush=True)
            print(json.dumps(summarize(args.label, rows)), flush=True)

    asyncio.run(go())


if __name__ == "__main__":
    sys.exit(main())
