#!/usr/bin/env bash
# The chat page in a real browser: starts `swifttune deploy --port 0` on the embedded default model (Defaults/model),
# drives headless Chromium (Debian's `chromium`) to `/?autosend=Hello` (the page sends that message as soon as the
# model list has loaded), and checks that the streamed assistant answer finished with text
# (`<div class="msg assistant" data-state="done">`; the states seen while it streamed are printed). A screenshot of
# the page goes to the output folder.
#
# usage: Scripts/chat-page-check.sh [OUT_DIR]      (default: a new temp dir, printed)
# Environment:
#   SWIFTTUNE=path   the swifttune binary (default .build/debug/swifttune; built with `swift build --product
#                    swifttune` when missing)
#   TIMEOUT_MS=n     how long to wait for the finished answer (default 120000, real time)
# Output: OUT_DIR/server.log, OUT_DIR/chat.png, OUT_DIR/answer.json (the answer bubble's state and text).
# Needs Node 20+ (the DevTools driver, Scripts/chat-page-driver.mjs).
# Installs `chromium` with apt-get when missing (needs root). `.ci/run` runs it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d -t chat-page-check.XXXXXX)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
echo "chat-page-check: output in $out"

if ! command -v chromium >/dev/null 2>&1; then
    echo "chat-page-check: installing Debian's chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

swifttune="${SWIFTTUNE:-$root/.build/debug/swifttune}"
if [[ ! -x "$swifttune" ]]; then
    (cd "$root" && swift build --traits Server --product swifttune)
fi

"$swifttune" deploy --model "$root/Defaults/model" --port 0 >"$out/server.log" 2>&1 &
server=$!
cleanup() {
    if kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
}
trap cleanup EXIT

port=""
for _ in $(seq 1 600); do
    port="$(grep -oE 'http://[^ :/]+:[0-9]+' "$out/server.log" | head -1 | sed -E 's/.*:([0-9]+)$/\1/' || true)"
    [[ -n "$port" ]] && break
    if ! kill -0 "$server" 2>/dev/null; then
        echo "chat-page-check: the server exited:" >&2
        cat "$out/server.log" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$port" ]]; then
    echo "chat-page-check: no listening address in the server's output after 60 s" >&2
    cat "$out/server.log" >&2
    exit 1
fi
base="http://127.0.0.1:$port"
curl -fsS "$base/health" >/dev/null
echo "chat-page-check: server on $base"

# Chromium headless with the DevTools protocol on a free port (written to DevToolsActivePort in its profile); a
# Node script drives the page in real time (Chromium's --virtual-time-budget stops counting a streaming body as
# pending once its headers arrived, so --dump-dom would race the stream). Root needs --no-sandbox.
profile="$out/profile"
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --remote-debugging-port=0 \
    --user-data-dir="$profile" about:blank >"$out/chromium.log" 2>&1 &
browser=$!
trap 'kill "$browser" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 200); do [[ -s "$profile/DevToolsActivePort" ]] && break; sleep 0.1; done
[[ -s "$profile/DevToolsActivePort" ]] || { echo "chat-page-check: Chromium did not start" >&2; cat "$out/chromium.log" >&2; exit 1; }
ws="ws://127.0.0.1:$(sed -n 1p "$profile/DevToolsActivePort")$(sed -n 2p "$profile/DevToolsActivePort")"
node --experimental-websocket --no-warnings "$root/Scripts/chat-page-driver.mjs" "$ws" "$base/?autosend=Hello" \
    "$out/chat.png" "${TIMEOUT_MS:-120000}" >"$out/answer.json"
kill "$browser" 2>/dev/null || true
wait "$browser" 2>/dev/null || true
sleep 0.2; rm -rf "$profile" 2>/dev/null || true   # Chromium's helpers may still be closing files
echo "chat-page-check: $(cat "$out/answer.json")"
[[ -s "$out/chat.png" ]] || { echo "chat-page-check: no screenshot" >&2; exit 1; }
echo "chat-page-check: ok (screenshot $out/chat.png)"
