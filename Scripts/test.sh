#!/usr/bin/env bash
# Sets up a machine (apt packages, if missing) and runs the whole test suite. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-dependencies.sh
swift build --build-tests
swift test --skip-build
bash Scripts/cli-smoke.sh
