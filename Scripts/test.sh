#!/usr/bin/env bash
# Sets up a machine (apt packages, if missing) and runs the whole test suite. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/build-options.sh
bash Scripts/install-dependencies.sh
swift build --build-tests "${swift_traits[@]}"
swift test --skip-build "${swift_traits[@]}"
bash Scripts/cli-smoke.sh
