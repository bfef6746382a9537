#!/usr/bin/env bash
# Proves SwiftTune is embeddable: clone the committed repository, tag it 0.1.0, and build + run a consumer package
# that depends on it by file:// URL and version in release mode.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work=/tmp/swifttune-consumer-check
rm -rf "$work"
mkdir -p "$work"
git clone -q "$repo" "$work/SwiftTune"
git -C "$work/SwiftTune" -c user.name=ci -c user.email=ci@localhost tag -a 0.1.0 -m "consumer check"
cp -R "$repo/Tests/Consumer" "$work/Consumer"
rm -rf "$work/Consumer/.build"
cd "$work/Consumer"
swift build -c release
.build/release/Consumer
