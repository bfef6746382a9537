#!/usr/bin/env bash
# Serving side by side, in one run: llama.cpp's llama-server and `swifttune deploy` on the same weights
# (SmolLM2-135M-Instruct in float32: a GGUF for llama-server, the same tensors as a Hugging Face folder for
# SwiftTune; Tools/gguf_to_hf.py makes the folder, llama.cpp's convert_hf_to_gguf.py --outtype f32 the GGUF), one
# server after the other, each under the same load (Benchmarks/serving/load.py: streaming /v1/completions,
# 128-token prompts, 128 new tokens, ignore_eos, temperature 0) at each concurrency, several rounds. Records the RSS
# of our server after the warm-up and after the run, then prints a table (Benchmarks/serving/table.py).
#
# usage: Benchmarks/compare-serving.sh
# Environment (defaults in brackets):
#   PEERS=dir          where the peer and the weights live, outside the repo [/work/peers]
#   LLAMA_SERVER=path  llama-server binary [$PEERS/llama.cpp/build/bin/llama-server]
#   GGUF=path          float32 GGUF [$PEERS/smollm2/smollm2-135m-instruct-f32.gguf]
#   HF=dir             the same weights as a Hugging Face folder (also the load's tokenizer) [$PEERS/smollm2/hf]
#   SWIFTTUNE=path     release swifttune [.build/release/swifttune; built with swift build -c release when missing]
#   PYTHON=path        a Python with httpx and transformers [/work/venv/bin/python]
#   THREADS=n          compute threads for both servers [2]
#   CONCURRENCY=list   [1,4,8,16]      ROUNDS=n [3]      REQUESTS=n requests per client per round [2]
#   SLOTS="8 16"       llama-server runs, one per parallel-slot count (-np); -c is slots × 512
#   BATCH=n            swifttune deploy --max-batch-size [16]; --max-model-len is 512
#   SKIP_LLAMA=1 / SKIP_OURS=1   leave one side out (the table then shows the files already in OUT_DIR)
#   REALTIME=1         servers under `chrt -f 10`, the load generator under `chrt -f 20` (SCHED_FIFO, root): on a
#                      busy shared machine the only way to near-quiet numbers (both servers spin-wait their
#                      threads between ops, which time-slicing with other processes turns into stalls of
#                      milliseconds per op); it holds back everything else for the run, so use it sparingly.
#   OUT_DIR=dir        JSON lines and logs [Benchmarks/.build/compare-serving/]
# Takes ~4 minutes per server on 2 cores.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
peers="${PEERS:-/work/peers}"
llama_server="${LLAMA_SERVER:-$peers/llama.cpp/build/bin/llama-server}"
gguf="${GGUF:-$peers/smollm2/smollm2-135m-instruct-f32.gguf}"
hf="${HF:-$peers/smollm2/hf}"
python="${PYTHON:-/work/venv/bin/python}"
threads="${THREADS:-2}"
concurrency="${CONCURRENCY:-1,4,8,16}"
rounds="${ROUNDS:-3}"
requests="${REQUESTS:-2}"
slots_list="${SLOTS:-8 16}"
batch="${BATCH:-16}"
out_dir="${OUT_DIR:-$here/.build/compare-serving}"
mkdir -p "$out_dir"
model_name=smollm2
rt_server=(); rt_load=()
if [[ "${REALTIME:-}" == 1 ]]; then rt_server=(chrt -f 10); rt_load=(chrt -f 20); fi

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_health() {  # url pid log
    for _ in $(seq 1 1200); do
        if curl -fsS "$1/health" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$2" 2>/dev/null; then echo "compare-serving: server exited" >&2; tail -20 "$3" >&2; return 1; fi
        sleep 0.1
    done
    echo "compare-serving: $1/health not ready after 120 s" >&2
    return 1
}

stop() {  # pid
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

load() {  # url label [load.py options]
    local url="$1" label="$2"
    shift 2
    "${rt_load[@]}" "$python" "$here/serving/load.py" --url "$url" --model "$model_name" --tokenizer "$hf" --label "$label" "$@"
}

warmup() {  # url label: one round at concurrency 8 (fills the batch once), not recorded
    load "$1" "$2" --concurrency 8 --rounds 1 --requests-per-client 1 --warmup 1 >"$out_dir/$2.warmup.txt"
}

if [[ "${SKIP_LLAMA:-}" != 1 ]]; then
    [[ -x "$llama_server" ]] || { echo "compare-serving: $llama_server not found (set LLAMA_SERVER)" >&2; exit 2; }
    [[ -f "$gguf" ]] || { echo "compare-serving: $gguf not found (set GGUF)" >&2; exit 2; }
    for slots in $slots_list; do
        label="llama-server-np$slots"
        port="$(free_port)"
        "${rt_server[@]}" "$llama_server" -m "$gguf" --host 127.0.0.1 --port "$port" -np "$slots" -c $((slots * 512)) \
            -t "$threads" -tb "$threads" --alias "$model_name" --no-webui >"$out_dir/$label.log" 2>&1 &
        pid=$!
        wait_health "http://127.0.0.1:$port" "$pid" "$out_dir/$label.log"
        warmup "http://127.0.0.1:$port" "$label"
        load "http://127.0.0.1:$port" "$label" --concurrency "$concurrency" --rounds "$rounds" \
            --requests-per-client "$requests" --warmup 0 | tee "$out_dir/$label.jsonl" | grep '"summary"' || true
        stop "$pid"
    done
fi

if [[ "${SKIP_OURS:-}" != 1 ]]; then
    swifttune="${SWIFTTUNE:-$root/.build/release/swifttune}"
    if [[ ! -x "$swifttune" ]]; then
        (cd "$root" && swift build -c release --traits Server --product swifttune)
    fi
    label=swifttune
    "${rt_server[@]}" "$swifttune" deploy --model "$hf" --host 127.0.0.1 --port 0 --max-batch-size "$batch" --max-model-len 512 \
        --threads "$threads" --served-model-name "$model_name" >"$out_dir/$label.log" 2>&1 &
    pid=$!
    port=""
    for _ in $(seq 1 1200); do
        port="$(grep -oE 'http://[^ :/]+:[0-9]+' "$out_dir/$label.log" | head -1 | sed -E 's/.*:([0-9]+)$/\1/' || true)"
        [[ -n "$port" ]] && break
        kill -0 "$pid" 2>/dev/null || { echo "compare-serving: swifttune deploy exited" >&2; cat "$out_dir/$label.log" >&2; exit 1; }
        sleep 0.1
    done
    [[ -n "$port" ]] || { echo "compare-serving: no port in $out_dir/$label.log" >&2; stop "$pid"; exit 1; }
    wait_health "http://127.0.0.1:$port" "$pid" "$out_dir/$label.log"
    warmup "http://127.0.0.1:$port" "$label"
    rss_warm="$(rss_kb "$pid")"
    load "http://127.0.0.1:$port" "$label" --concurrency "$concurrency" --rounds "$rounds" \
        --requests-per-client "$requests" --warmup 0 | tee "$out_dir/$label.jsonl" | grep '"summary"' || true
    rss_after="$(rss_kb "$pid")"
    stop "$pid"
    "$python" -c 'import json,sys; json.dump({"swifttune": {"after_warmup_kb": int(sys.argv[1]), "after_run_kb": int(sys.argv[2])}}, open(sys.argv[3], "w"))' \
        "$rss_warm" "$rss_after" "$out_dir/rss.json"
fi

echo
"$python" "$here/serving/table.py" "$out_dir"
