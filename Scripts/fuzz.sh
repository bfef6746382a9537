#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (a separate package: never part of the product or of `swift test`) with
# `-sanitize=fuzzer,address` and runs them, one at a time, from the seed corpora in Fuzz/Corpus/<target>/.
#
# Usage: Scripts/fuzz.sh [target|all] [runs] [libFuzzer flags…]
#   target  safetensors | tokenizer | config | dataset | jinja | all (default: all)
#   runs    executions per target (default: 1000000)
#
# Not part of CI: 10^6 executions of all five targets took about 20 minutes on two busy cores. Measured numbers are in
# Documentation/Fuzzing.md.
#
# Each input has a timeout (FUZZ_TIMEOUT seconds, default 10) and the process an RSS limit (FUZZ_RSS_MB, default
# 2048): a slow or memory-hungry input is reported as a crash, because the same bytes would stall or kill
# `swifttune`. Fuzz/Dictionaries/<target>.dict (JSON keys, component types, Jinja syntax, edge-case numbers) is
# passed with -dict when present. New inputs go to .build-fuzz/corpus/<target>/ (the committed seeds are only
# read); a crashing input is written to .build-fuzz/artifacts/<target>/ and the script stops with libFuzzer's exit
# status. Replay one with `.build-fuzz/release/Fuzz<Target> <file>`; minimise it with
# `-minimize_crash=1 -runs=10000 <file>`.
#
# Only Swift code is instrumented (coverage and ASan): the C kernels (CKernels) are not on any parsing path.
# LeakSanitizer is off (-detect_leaks=0): Swift keeps the case tag of a multi-payload enum (JinjaValue, the
# JSON values) in the spare high bits of its payload pointer, so LSan cannot see objects referenced only from such
# an enum (a lazily built global, a cache entry) and reports them as leaked — a false positive on the first input.
# Memory growth is still bounded: libFuzzer's -rss_limit_mb and -malloc_limit_mb report it as a crash.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-all}
runs=${2:-1000000}
shift $(($# < 2 ? $# : 2))
extra=("$@")   # further arguments go to libFuzzer as they are (e.g. -seed=1 or -only_ascii=1)
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
scratch=$PWD/.build-fuzz
# Swift's own crash backtracer would run inside ASan's signal handling and fault there; libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no
# LeakSanitizer also runs at exit unless ASan is told otherwise (see the note on -detect_leaks above).
# malloc_context_size=0: ASan records no stack per allocation, a quarter more executions per second; a report
# then lacks the allocation's stack, so replay the artifact with ASAN_OPTIONS=detect_leaks=0 for the full one.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:malloc_context_size=0}

# target:executable:max_len (max_len a little above the largest seed, so mutations can grow it).
targets=(
    "safetensors:FuzzSafetensors:4096"
    "tokenizer:FuzzTokenizer:16384"
    "config:FuzzModelConfig:4096"
    "dataset:FuzzDatasetRow:4096"
    "jinja:FuzzJinja:8192"
)

selected=()
for entry in "${targets[@]}"; do
    name=${entry%%:*}
    if [ "$target" = all ] || [ "$target" = "$name" ]; then selected+=("$entry"); fi
done
if [ ${#selected[@]} -eq 0 ]; then
    echo "fuzz.sh: unknown target '$target' (safetensors, tokenizer, config, dataset, jinja, all)" >&2
    exit 2
fi

echo "fuzz.sh: building Fuzz/ with -sanitize=fuzzer,address (release) in $scratch"
swift build -c release --package-path Fuzz --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address

summary=()
for entry in "${selected[@]}"; do
    IFS=: read -r name executable maxlen <<<"$entry"
    corpus=$scratch/corpus/$name
    artifacts=$scratch/artifacts/$name/
    log=$scratch/logs/$name.log
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    dict=()
    if [ -f "Fuzz/Dictionaries/$name.dict" ]; then dict=(-dict="Fuzz/Dictionaries/$name.dict"); fi
    echo "fuzz.sh: $name: $runs runs, max_len $maxlen, timeout ${timeout}s, rss ${rss} MB (log: $log)"
    status=0
    "$scratch/release/$executable" "$corpus" "Fuzz/Corpus/$name" \
        -runs="$runs" -max_len="$maxlen" -timeout="$timeout" -rss_limit_mb="$rss" \
        -artifact_prefix="$artifacts" -print_final_stats=1 -detect_leaks=0 "${dict[@]}" "${extra[@]}" >"$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    units=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
    line="$name: executions ${executions:-?}, ${speed:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${units:-?}, peak RSS ${peak:-?} MB"
    if [ "$status" -ne 0 ]; then
        echo "fuzz.sh: $name FAILED (exit $status): $line" >&2
        grep -E 'ERROR: |Fatal error|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
        exit "$status"
    fi
    echo "fuzz.sh: $line"
    summary+=("$line")
done
printf '%s\n' "${summary[@]}"
