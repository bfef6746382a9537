#!/usr/bin/env bash
# Sets up a machine (apt packages, if missing), builds SwiftTune in release and runs the main job on the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-dependencies.sh
swift build -c release --product swifttune
.build/release/swifttune demo "$@"
