#!/usr/bin/env bash
# Builds the test suite with AddressSanitizer (Swift and C: SwiftPM's --sanitize=address instruments both) in
# .build-asan/ and runs it.
#
# Usage: Scripts/asan.sh [swift test arguments…]      e.g. Scripts/asan.sh --filter Safetensors
#
# Not part of CI (an instrumented build and run take several times as long as the plain ones); run it after changes
# to code that handles raw memory (Formats/MappedFile, TensorStorage, the Kernels bridge, CKernels).
#
# ASAN_OPTIONS (each can be overridden by setting ASAN_OPTIONS yourself):
#   detect_leaks=0   LeakSanitizer is off: the Swift runtime keeps metadata and conformance caches, and
#                    Foundation and libgomp keep per-thread state alive until exit, which LSan reports as leaks
#                    that are not the package's. Use-after-free, overflows and double frees are still caught.
#   detect_odr_violation=0  the toolchain's Foundation and the test binary both carry some of the same Swift
#                    runtime symbols; that is a property of the toolchain, not of SwiftTune.
#   halt_on_error=1, abort_on_error=1  the first report fails the run.
# OMP_NUM_THREADS=2 keeps the GOMP_parallel thread pool of the C kernels small (ASan gives each thread its own
# shadow stack and quarantine), and OPENBLAS_NUM_THREADS=1 keeps OpenBLAS — which is not instrumented — single-threaded.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-asan

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:detect_odr_violation=0:halt_on_error=1:abort_on_error=1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

echo "asan.sh: building tests with -sanitize=address in $scratch (ASAN_OPTIONS=$ASAN_OPTIONS)"
swift build --build-tests --sanitize=address --scratch-path "$scratch"
echo "asan.sh: running tests"
swift test --sanitize=address --skip-build --scratch-path "$scratch" "$@"
