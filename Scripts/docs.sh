#!/usr/bin/env bash
# Builds the DocC documentation of SwiftTuneCore (Sources/SwiftTuneCore/SwiftTuneCore.docc plus the `///` comments)
# and of SwiftTuneServer (its `///` comments), and fails on any documentation warning: a broken ``symbol`` or <doc:…> link, a documented parameter that does not
# exist, an undocumented one in a `- Parameters:` list, and so on.
#
# Usage: Scripts/docs.sh [output-directory]
#   Without an argument the archive goes to a temporary directory that is deleted on exit; with one, the
#   SwiftTuneCore.doccarchive is written there and kept (SwiftTuneServer.doccarchive beside it).
#
# Needs the swift-docc-plugin dependency of Package.swift (it provides `generate-documentation`). Two checks, so
# that neither a plugin nor a docc change can let a warning through silently:
#   1. docc's own `--warnings-as-errors` (the plugin passes unknown flags on to `docc convert`);
#   2. the log is searched for "warning:" / "error:" lines in case a diagnostic was printed but did not fail.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/build-options.sh

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swifttune-docs.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
out="${1:-$tmp/SwiftTuneCore.doccarchive}"
mkdir -p "$(dirname "$out")"
log="$tmp/docc.log"

status=0
swift package "${swift_traits[@]}" --allow-writing-to-directory "$out" \
    generate-documentation --target SwiftTuneCore --output-path "$out" --warnings-as-errors \
    2>&1 | tee "$log" || status=$?
server_out="$(dirname "$out")/SwiftTuneServer.doccarchive"
swift package "${swift_traits[@]}" --allow-writing-to-directory "$server_out" \
    generate-documentation --target SwiftTuneServer --output-path "$server_out" --warnings-as-errors \
    2>&1 | tee -a "$log" || status=$?

if [ "$status" -ne 0 ]; then
    echo "docs.sh: generate-documentation failed (exit $status)" >&2
    exit 1
fi
# SwiftPM's notes about files inside dependencies' packages (not documentation) are not ours to fix.
if grep -E '^(warning|error):' "$log" | grep -vq "file(s) which are unhandled"; then
    echo "docs.sh: documentation diagnostics found:" >&2
    grep -E '^(warning|error):' "$log" | grep -v "file(s) which are unhandled" >&2
    exit 1
fi
echo "docs.sh: documentation built without warnings (${out}, ${server_out})"
