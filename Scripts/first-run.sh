#!/usr/bin/env bash
# Sets up a machine (apt packages, if missing), builds SwiftTune in release and runs the main job on the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/build-options.sh
bash Scripts/install-dependencies.sh
swift build -c release "${swift_traits[@]}" --product swifttune
.build/release/swifttune demo "$@"
