#!/usr/bin/env bash
# Smoke test of `swifttune deploy` on the embedded model, with curl against the live server (loopback, port 0):
# health (no key), models, chat, a streamed chat, completions, a 400 naming its field, a 401; then SIGTERM and a
# clean exit. Bounded: every curl has a time limit, and the server is killed on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SWIFTTUNE_BIN:-.build/debug/swifttune}
work=$(mktemp -d)
pid=
cleanup() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi; rm -rf "$work"; }
trap cleanup EXIT
"$bin" deploy --model Defaults/model --port 0 --api-key smoke-key --max-batch-size 4 --threads 2 > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 1 300); do
    grep -q '^listening on http://' "$work/out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; echo "deploy exited before listening" >&2; exit 1; }
    sleep 0.1
done
url=$(grep -o '^listening on http://[0-9.]*:[0-9]*' "$work/out" | sed 's/^listening on //')
test -n "$url" || { echo "no 'listening on' line" >&2; exit 1; }
c=(curl -s --max-time 60)
auth=(-H 'Authorization: Bearer smoke-key' -H 'Content-Type: application/json')
test "$("${c[@]}" -o /dev/null -w '%{http_code}' "$url/health")" = 200
"${c[@]}" "${auth[@]}" "$url/v1/models" | grep -q '"id":"model"'
chat='{"model": "model", "messages": [{"role": "user", "content": "Translate: good morning"}], "max_tokens": 8, "temperature": 0}'
"${c[@]}" "${auth[@]}" "$url/v1/chat/completions" -d "$chat" > "$work/chat.json"
grep -q '"object":"chat.completion"' "$work/chat.json" && grep -q '"completion_tokens":' "$work/chat.json"
stream='{"messages": [{"role": "user", "content": "hello"}], "max_tokens": 6, "stream": true, "stream_options": {"include_usage": true}}'
"${c[@]}" -N "${auth[@]}" "$url/v1/chat/completions" -d "$stream" > "$work/stream.txt"
grep -q '"role":"assistant"' "$work/stream.txt" && grep -q '"usage":' "$work/stream.txt"
test "$(tail -n 2 "$work/stream.txt" | head -n 1)" = "data: [DONE]"
"${c[@]}" "${auth[@]}" "$url/v1/completions" -d '{"prompt": "the old wolf", "max_tokens": 4, "logprobs": 1}' > "$work/completion.json"
grep -q '"object":"text_completion"' "$work/completion.json" && grep -q '"token_logprobs":' "$work/completion.json"
test "$("${c[@]}" -o "$work/bad.json" -w '%{http_code}' "${auth[@]}" "$url/v1/chat/completions" \
    -d '{"messages": [{"role": "user", "content": "hi"}], "temperature": 7}')" = 400
grep -q '"param":"temperature"' "$work/bad.json"
test "$("${c[@]}" -o "$work/unauth.json" -w '%{http_code}' -H 'Content-Type: application/json' "$url/v1/chat/completions" -d "$chat")" = 401
grep -q '"code":"invalid_api_key"' "$work/unauth.json"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
test "$status" -eq 0 || { cat "$work/err" >&2; echo "deploy exited with $status after SIGTERM" >&2; exit 1; }
echo "server smoke: ok"
