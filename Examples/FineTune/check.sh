#!/usr/bin/env bash
# Proves SwiftTune is embeddable: clone the committed repository, tag it 0.1.0, then build this example package
# (which depends on it by file:// URL and version) in release mode and run it: a tensor op, a LoRA fine-tune and
# generation on the embedded defaults; and checks that it resolved no networking package.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work=/tmp/swifttune-consumer-check
rm -rf "$work"
mkdir -p "$work"
git clone -q "$repo" "$work/SwiftTune"
git -C "$work/SwiftTune" -c user.name=ci -c user.email=ci@localhost tag -a 0.1.0 -m "consumer check"
cp -R "$repo/Examples/FineTune" "$work/FineTune"
rm -rf "$work/FineTune/.build"
cd "$work/FineTune"
swift build -c release
# A SwiftTuneCore user must not resolve the server's networking stack (Package.swift puts it behind the Server trait).
if grep -qiE '"identity" : "(hummingbird|swift-nio|swift-prometheus|async-http-client)"' Package.resolved; then
    echo "FineTune check: a SwiftTuneCore consumer resolved networking packages:" >&2
    grep '"identity"' Package.resolved >&2
    exit 1
fi
.build/release/FineTune "$repo/Defaults/model" "$repo/Defaults/data/train.jsonl" "$repo/Defaults/data/test.jsonl" 40
