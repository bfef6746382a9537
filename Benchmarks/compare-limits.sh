#!/usr/bin/env bash
# Side by side, in one run: the machine's limits (limits.c: OpenBLAS sgemm GFLOP/s at the transformer shapes and
# triad GB/s) and SwiftTune's Foundation workloads (foundation-report: matmul GFLOP/s next to raw cblas_sgemm,
# kernel GB/s), with the ratios.
#
# usage: Benchmarks/compare-limits.sh [path/to/limits.c] [foundation-report options...]
#   path/to/limits.c   default: ../../shared/anchors/limits.c relative to this Benchmarks/ directory
#                      (i.e. shared/anchors/ next to the repository); or set LIMITS_C.
#   options            passed to foundation-report, e.g. --budget 3 or --filter matmul (see its --help).
#
# Output: JSON lines on stdout (limits.c's lines, then foundation-report's: a "context" line and one line per
# workload); a summary table on stderr. Also written to $OUT_DIR (default .build/compare-limits/) as
# limits.jsonl and foundation.jsonl.
#
# REALTIME=1 runs limits.c and foundation-report under `chrt -f 10` (SCHED_FIFO; needs root or CAP_SYS_NICE).
# On a busy shared machine that is the only way seen here to get near-quiet numbers: nice -15 did not help,
# because a compute thread preempted for a moment stalls its partner. It holds back everything else on the machine
# for the ~40 s of the run (the kernel still leaves others 5%), so use it sparingly.
# NO_BUILD=1 reuses the foundation-report binary already built (e.g. while Sources/ is mid-edit).
#
# Needs: cc with OpenMP (gcc), pkg-config and libopenblas-dev, swift. Takes under a minute once built; the first
# `swift build -c release` of this package takes a few minutes more. For stable numbers run it on a quiet
# machine: the ratios come from one run, but another process on one of the two cores halves everything.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
limits_c="${LIMITS_C:-$here/../../shared/anchors/limits.c}"
if [[ $# -gt 0 && "$1" != -* ]]; then
    limits_c="$1"
    shift
fi
if [[ $# -gt 0 && "$1" == "--" ]]; then
    shift
fi
if [[ ! -f "$limits_c" ]]; then
    echo "compare-limits: limits.c not found at $limits_c (pass its path as the first argument)" >&2
    exit 2
fi

out_dir="${OUT_DIR:-$here/.build/compare-limits}"
mkdir -p "$out_dir"

# 1. Build both programs first, so neither build overlaps a measurement.
echo "compare-limits: building limits.c ($limits_c)" >&2
cc -O3 -march=native -fopenmp "$limits_c" -o "$out_dir/limits" $(pkg-config --cflags --libs openblas)
if [[ -z "${NO_BUILD:-}" ]]; then
    echo "compare-limits: building foundation-report (release)" >&2
    (cd "$here" && swift build -c release --product foundation-report >&2)
fi
report="$(cd "$here" && swift build -c release --show-bin-path)/foundation-report"

# 2. The limits, then the workloads, back to back.
runner=()
if [[ -n "${REALTIME:-}" ]]; then
    runner=(chrt -f 10)
fi
echo "compare-limits: running limits.c ${runner[*]}" >&2
"${runner[@]}" "$out_dir/limits" | tee "$out_dir/limits.jsonl"
echo "compare-limits: running foundation-report ${runner[*]}" >&2
"${runner[@]}" "$report" --limits "$out_dir/limits.jsonl" "$@" | tee "$out_dir/foundation.jsonl"
echo "compare-limits: JSON lines in $out_dir/limits.jsonl and $out_dir/foundation.jsonl" >&2
