#!/usr/bin/env bash
# SwiftTune side by side with PyTorch on the SmolLM-135M shape, in one run: the machine's limits (limits.c), the
# PyTorch + PEFT anchor (torch_anchor.py --config smol --threads 2) and SwiftTune's smol-report, back to back,
# then a table of ratios (SwiftTune tokens/s ÷ PyTorch tokens/s) with MFU and decode's share of the bandwidth
# limit.
#
# usage: Benchmarks/compare-torch.sh [smol-report options...]
#   options          passed to smol-report, e.g. --reps 2, --workloads lora,prefill, --checkpointing
#
# Environment:
#   ANCHORS=dir      where limits.c and torch_anchor.py are (default ../../shared/anchors relative to Benchmarks/)
#   PYTHON=path      a Python with torch, transformers and peft (default ~/torchenv/bin/python)
#   THREADS=n        threads for both sides (default 2)
#   NO_BUILD=1       reuse the smol-report binary already built (e.g. while Sources/ is mid-edit)
#   SKIP_TORCH=1     reuse $OUT_DIR/torch.jsonl from an earlier run (PyTorch's side takes ~2-4 minutes)
#   REALTIME=1       run the three programs under `chrt -f 10` (SCHED_FIFO; needs root or CAP_SYS_NICE); see
#                    compare-limits.sh: on a busy shared machine it is the only way to near-quiet numbers, but it
#                    holds back everything else for the whole run (~10 minutes here), so use it sparingly.
#   OUT_DIR=dir      where the JSON lines go (default Benchmarks/.build/compare-torch/): limits.jsonl,
#                    torch.jsonl, smol.jsonl.
#
# Gradient checkpointing: off on both sides by default. torch_anchor.py never calls
# gradient_checkpointing_enable(), so smol-report keeps model.gradientCheckpointing = false for the LoRA and full
# steps to compare like with like (pass --checkpointing to see its cost; the ratio is then not like for like).
#
# Needs: cc with OpenMP (gcc), pkg-config and libopenblas-dev, swift, the torch venv. Takes ~8-12 minutes on
# 2 cores (both sides time 1 warmup + 3 repetitions of each workload at seq 512).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
anchors="${ANCHORS:-$here/../../shared/anchors}"
python="${PYTHON:-$HOME/torchenv/bin/python}"
threads="${THREADS:-2}"
out_dir="${OUT_DIR:-$here/.build/compare-torch}"
mkdir -p "$out_dir"
for f in limits.c torch_anchor.py; do
    if [[ ! -f "$anchors/$f" ]]; then
        echo "compare-torch: $anchors/$f not found (set ANCHORS=dir)" >&2
        exit 2
    fi
done

# 1. Build everything first, so no build overlaps a measurement.
echo "compare-torch: building limits.c" >&2
cc -O3 -march=native -fopenmp "$anchors/limits.c" -o "$out_dir/limits" $(pkg-config --cflags --libs openblas)
if [[ -z "${NO_BUILD:-}" ]]; then
    echo "compare-torch: building smol-report (release)" >&2
    (cd "$here" && swift build -c release --product smol-report >&2)
fi
report="$(cd "$here" && swift build -c release --show-bin-path)/smol-report"

runner=()
if [[ -n "${REALTIME:-}" ]]; then
    runner=(chrt -f 10)
fi

# 2. limits, PyTorch, SwiftTune, back to back.
echo "compare-torch: $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); running limits.c ${runner[*]}" >&2
"${runner[@]}" env OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" "$out_dir/limits" \
    | tee "$out_dir/limits.jsonl"
if [[ -z "${SKIP_TORCH:-}" ]]; then
    echo "compare-torch: $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); running torch_anchor.py --config smol --threads $threads ${runner[*]}" >&2
    "${runner[@]}" "$python" "$anchors/torch_anchor.py" --config smol --threads "$threads" | tee "$out_dir/torch.jsonl"
fi
echo "compare-torch: $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); running smol-report ${runner[*]}" >&2
"${runner[@]}" env OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" "$report" --threads "$threads" \
    --limits "$out_dir/limits.jsonl" --torch "$out_dir/torch.jsonl" "$@" | tee "$out_dir/smol.jsonl"
echo "compare-torch: $(date -u +%FT%TZ) done; JSON lines in $out_dir/{limits,torch,smol}.jsonl" >&2
