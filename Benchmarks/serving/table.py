"""Table of a compare-serving.sh run: reads the `summary` lines of load.py's JSON-lines files and rss.json.

Usage: python Benchmarks/serving/table.py OUT_DIR [--ours LABEL] [--peer LABEL]
Prints, per concurrency: generated tokens/s (median of the rounds, min-max), TTFT p50 / p99 and ITL p50 / p99
(medians), for every server; then the goals: ours at 8 / ours at 1, ours / peer at each concurrency (median ratio,
with the spread min(ours)/max(peer) .. max(ours)/min(peer)), and RSS after the run vs after warm-up.
"""
import argparse
import glob
import json
import os


def load(out_dir):
    servers = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "*.jsonl"))):
        for line in open(path):
            row = json.loads(line)
            if row.get("kind") == "summary":
                servers.setdefault(row["label"], {})[row["concurrency"]] = row
    return servers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--ours", default="swifttune")
    ap.add_argument("--peer", default="llama-server-np8")
    args = ap.parse_args()
    servers = load(args.out_dir)
    levels = sorted({c for s in servers.values() for c in s})
    print("| server | concurrency | tokens/s median (min-max) | TTFT p50 / p99 ms | ITL p50 / p99 ms | tokens/request |")
    print("|---|---|---|---|---|---|")
    for label, rows in servers.items():
        for c in levels:
            r = rows.get(c)
            if not r:
                continue
            print(f"| {label} | {c} | {r['tokens_per_s']:.1f} ({r['tokens_per_s_min']:.1f}-{r['tokens_per_s_max']:.1f}) "
                  f"| {r['ttft_p50_ms']:.0f} / {r['ttft_p99_ms']:.0f} | {r['itl_p50_ms']:.1f} / {r['itl_p99_ms']:.1f} "
                  f"| {r['mean_completion_tokens']:.0f} |")
    print()
    ours = servers.get(args.ours, {})
    if 1 in ours and 8 in ours:
        a, b = ours[8], ours[1]
        print(f"goal {args.ours} c8 / c1 >= 3: {a['tokens_per_s'] / b['tokens_per_s']:.2f}x "
              f"({a['tokens_per_s_min'] / b['tokens_per_s_max']:.2f}-{a['tokens_per_s_max'] / b['tokens_per_s_min']:.2f})")
    for peer_label, peer in servers.items():
        if peer_label == args.ours:
            continue
        if 1 in peer and 8 in peer:
            a, b = peer[8], peer[1]
            print(f"{peer_label} c8 / c1: {a['tokens_per_s'] / b['tokens_per_s']:.2f}x")
        for c in levels:
            if c in ours and c in peer:
                o, p = ours[c], peer[c]
                print(f"{args.ours} / {peer_label} at c{c}: {o['tokens_per_s'] / p['tokens_per_s']:.2f}x "
                      f"({o['tokens_per_s_min'] / p['tokens_per_s_max']:.2f}-"
                      f"{o['tokens_per_s_max'] / p['tokens_per_s_min']:.2f})")
    rss_path = os.path.join(args.out_dir, "rss.json")
    if os.path.exists(rss_path):
        rss = json.load(open(rss_path))
        for label, r in rss.items():
            growth = (r["after_run_kb"] - r["after_warmup_kb"]) / r["after_warmup_kb"] * 100
            print(f"RSS {label}: after warm-up {r['after_warmup_kb'] / 1024:.0f} MiB, after the run "
                  f"{r['after_run_kb'] / 1024:.0f} MiB ({growth:+.1f}%; goal within 5%)")


if __name__ == "__main__":
    main()
