#!/usr/bin/env bash
# The chat page in a real browser: starts `swifttune deploy --port 0` on the embedded default model (Defaults/model),
# drives headless Chromium (Debian's `chromium`) to `/?autosend=Hello` (the page sends that message as soon as the
# model list has loaded), and checks in the dumped DOM that a streamed assistant answer arrived
# (`<div class="msg assistant" data-state="done">` with text, or "streaming" with text when Chromium's virtual
# time ran out mid-stream; the state is printed). A screenshot of the page goes to the output folder.
#
# usage: Scripts/chat-page-check.sh [OUT_DIR]      (default: a new temp dir, printed)
# Environment:
#   SWIFTTUNE=path   the swifttune binary (default .build/debug/swifttune; built with `swift build --product
#                    swifttune` when missing)
#   BUDGET_MS=n      Chromium's virtual-time budget (default 30000; network waits do not consume it)
# Output: OUT_DIR/server.log, OUT_DIR/dom.html, OUT_DIR/chat.png, OUT_DIR/answer.txt.
# Installs `chromium` with apt-get when missing (needs root). Not part of .ci/run (see Documentation/Serving.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d -t chat-page-check.XXXXXX)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
echo "chat-page-check: output in $out"
budget="${BUDGET_MS:-30000}"

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

# A throw-away profile per run; root needs --no-sandbox.
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
        --user-data-dir="$out/profile" --virtual-time-budget="$budget")
url="$base/?autosend=Hello"
"${chrome[@]}" --dump-dom "$url" >"$out/dom.html" 2>"$out/chromium.log"
"${chrome[@]}" --window-size=1000,700 --screenshot="$out/chat.png" "$url" >>"$out/chromium.log" 2>&1
rm -rf "$out/profile"

python3 - "$out/dom.html" "$out/answer.txt" <<'EOF'
import html, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
def bubbles(role):
    return [(m.group(1), html.unescape(m.group(2))) for m in
            re.finditer(r'<div class="msg ' + role + r'"(?: data-state="(\w+)")?>(.*?)</div>', dom, re.S)]
users, answers, errors = bubbles("user"), bubbles("assistant"), bubbles("error")
if errors:
    sys.exit(f"chat-page-check: the page shows an error: {errors}")
if not any(text == "Hello" for _, text in users):
    sys.exit("chat-page-check: the user's message 'Hello' is not in the page")
# Chromium's virtual time can run out while the body is still streaming (the fetch no longer counts as pending
# once its headers arrived), so an answer still marked "streaming" with text counts too: text reached the page
# through the stream reader; "done" also saw the stream's end.
seen = [(state, text) for state, text in answers if state in ("done", "streaming") and text.strip()]
if not seen:
    sys.exit(f"chat-page-check: no streamed answer in the page (assistant bubbles: {answers})")
state, text = seen[0]
open(sys.argv[2], "w", encoding="utf-8").write(text)
print(f"chat-page-check: streamed answer ({state}, {len(text)} characters): {text[:120]!r}")
EOF
[[ -s "$out/chat.png" ]] || { echo "chat-page-check: no screenshot" >&2; exit 1; }
echo "chat-page-check: ok (screenshot $out/chat.png)"
