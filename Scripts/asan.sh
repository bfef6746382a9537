#!/usr/bin/env bash
# Builds the test suite with AddressSanitizer (Swift and C: SwiftPM's --sanitize=address instruments both) in
# .build-asan/ and runs it.
#
# Usage: Scripts/asan.sh [swift test arguments…]      e.g. Scripts/asan.sh --filter Safetensors
#
# Not part of CI (an instrumented build and run take several times as long as the plain ones); run it after changes
# to code that handles raw memory (Formats/MappedFile, TensorStorage, the Kernels bridge, CKernels).
#
# ASAN_OPTIONS (set ASAN_OPTIONS yourself to override):
#   detect_leaks=0   LeakSanitizer is off. With it on, the run fails at exit on objects of XCTest's own runner
#                    (XCTestSuiteRun, XCTMain) that are still alive, before any SwiftTune code is in question; and
#                    Swift keeps a multi-payload enum's case tag in the spare bits of its payload pointer, which
#                    hides such references from LSan. Out-of-bounds accesses, use-after-free and double frees are
#                    still reported.
#   halt_on_error=1:abort_on_error=1   the first report ends the run with a failure.
# The C kernels' threads (libgomp's GOMP_parallel) need no option: libgomp starts them with pthread_create,
# which ASan intercepts, so each worker gets its shadow stack and its accesses are checked like the main thread's.
# SWIFT_BACKTRACE=enable=no: Swift's crash backtracer would otherwise run inside ASan's report and hide it.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/build-options.sh
scratch=.build-asan

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=1}
export SWIFT_BACKTRACE=enable=no

echo "asan.sh: building tests with -sanitize=address in $scratch (ASAN_OPTIONS=$ASAN_OPTIONS)"
swift build --build-tests "${swift_traits[@]}" --sanitize=address --scratch-path "$scratch"
echo "asan.sh: running tests"
swift test "${swift_traits[@]}" --sanitize=address --skip-build --scratch-path "$scratch" "$@"
