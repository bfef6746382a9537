#!/usr/bin/env bash
# SwiftTune's DPO step vs PyTorch + PEFT on the SmolLM-135M shape (random weights), RUNS interleaved rounds:
# each round runs torch_anchor.py --only dpo_step, then smol-report --workloads dpo (ratio vs that round's
# PyTorch line), then smol-report --workloads sft_pair (the LoRA SFT step over the same 2 × T tokens, in its own
# process, for the peak-RSS comparison). The load average is recorded before each program. Ends with a summary:
# ratio median / min / max over the rounds, and dpo_step's peak RSS vs sft_pair_step's.
#
# usage: Benchmarks/compare-dpo.sh
# Environment: RUNS (default 3), THREADS (2), PYTHON (default /work/venv/bin/python), ANCHORS (default
# ../../shared/anchors), NO_BUILD=1 to reuse the built smol-report, OUT_DIR (default .build/compare-dpo).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
anchors="${ANCHORS:-$here/../../shared/anchors}"
python="${PYTHON:-/work/venv/bin/python}"
threads="${THREADS:-2}"
runs="${RUNS:-3}"
out_dir="${OUT_DIR:-$here/.build/compare-dpo}"
mkdir -p "$out_dir"
if [[ -z "${NO_BUILD:-}" ]]; then
    (cd "$here" && swift build -c release --product smol-report >&2)
fi
report="$(cd "$here" && swift build -c release --show-bin-path)/smol-report"
load() { cut -d' ' -f1-3 /proc/loadavg; }
: > "$out_dir/rounds.jsonl"
for i in $(seq 1 "$runs"); do
    l1="$(load)"
    env OMP_NUM_THREADS="$threads" "$python" "$anchors/torch_anchor.py" --config smol --threads "$threads" \
        --only dpo_step > "$out_dir/torch-$i.jsonl"
    l2="$(load)"
    "$report" --threads "$threads" --workloads dpo --torch "$out_dir/torch-$i.jsonl" > "$out_dir/dpo-$i.jsonl"
    l3="$(load)"
    "$report" --threads "$threads" --workloads sft_pair > "$out_dir/sft-$i.jsonl"
    "$python" - "$i" "$l1" "$l2" "$l3" "$out_dir" >> "$out_dir/rounds.jsonl" <<'PY'
import json, sys
i, l1, l2, l3, d = sys.argv[1:]
last = lambda f, w: [json.loads(x) for x in open(f"{d}/{f}-{i}.jsonl") if f'"{w}"' in x][-1]
t, s, f = last("torch", "dpo_step"), last("dpo", "dpo_step"), last("sft", "sft_pair_step")
print(json.dumps(dict(round=int(i), load_torch=l1, load_swift=l2, load_sft=l3, torch_sec=t["sec"], swift_sec=s["sec"],
                      swift_sec_all=s["sec_all"], ratio=s["ratio_vs_torch"], dpo_maxrss_mb=s["maxrss_mb"],
                      sft_pair_maxrss_mb=f["maxrss_mb"], sft_pair_sec=f["sec"])))
PY
    tail -1 "$out_dir/rounds.jsonl" >&2
done
"$python" - "$out_dir/rounds.jsonl" <<'PY'
import json, statistics, sys
rs = [json.loads(x) for x in open(sys.argv[1])]
r = [x["ratio"] for x in rs]
rss = [x["dpo_maxrss_mb"] / x["sft_pair_maxrss_mb"] for x in rs]
print(f"dpo_step SwiftTune/PyTorch tok/s ratio: median {statistics.median(r):.3f}, min {min(r):.3f}, max {max(r):.3f} "
      f"over {len(r)} rounds; peak RSS dpo/sft_pair: {', '.join(f'{x:.3f}' for x in rss)}")
PY
