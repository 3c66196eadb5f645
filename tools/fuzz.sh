#!/usr/bin/env bash
# Runs one libFuzzer target for a while: tools/fuzz.sh TARGET SECONDS
#   TARGET: image | safetensors | rcc | cifar10 (see tools/fuzz/fuzz_TARGET.cpp)
# Builds the `fuzz` preset (clang, ASan + UBSan) when needed, writes fresh seeds, and fuzzes
# with a corpus kept in build/fuzz/corpus/TARGET (it grows across runs). A crash's input is saved
# as build/fuzz/crashes/TARGET-crash-<hash> and the script exits non-zero. Prints the executions.
set -euo pipefail
cd "$(dirname "$0")/.."
targets="image safetensors rcc cifar10"
if [[ $# -ne 2 || ! " $targets " =~ " $1 " || ! $2 =~ ^[0-9]+$ ]]; then
  echo "usage: tools/fuzz.sh TARGET SECONDS    (TARGET: ${targets// /, })" >&2
  exit 2
fi
target=$1 seconds=$2
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tint-ccache}
if ! { cmake --preset fuzz >build-fuzz.log 2>&1 && cmake --build --preset fuzz -j "$(nproc)" --target fuzz_image fuzz_safetensors fuzz_rcc fuzz_cifar10 tint-fuzz-seeds >>build-fuzz.log 2>&1; }; then
  tail -n 30 build-fuzz.log
  echo "fuzz: build failed (build-fuzz.log)" >&2
  exit 1
fi
rm -f build-fuzz.log
build=build/fuzz
build/fuzz/tint-fuzz-seeds "$build/seeds" >/dev/null
mkdir -p "$build/corpus/$target" "$build/crashes"
log=$build/fuzz-$target.log
# -rss_limit_mb: the image target may decode up to 1 MP; -timeout: no input may take 30 s (generous:
# instrumented code on a loaded 2-core machine runs a 1 MP photo in about 0.3 s).
set +e
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 "$build/fuzz_$target" \
  -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$build/crashes/$target-" "$build/corpus/$target" "$build/seeds/$target" >"$log" 2>&1
status=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
corpus=$(ls "$build/corpus/$target" | wc -l)
if ((status != 0)); then
  grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -n 10
  echo "fuzz $target: FAILED after ${runs:-?} executions (log: $log)"
  exit 1
fi
echo "fuzz $target: ${runs:-?} executions in ${seconds} s, no crash (corpus $corpus files)"
