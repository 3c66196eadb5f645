#!/usr/bin/env bash
# Installs what is missing, builds every preset and runs every test suite:
#   native (Release: unit, CLI end-to-end), native-asan (ASan + UBSan), wasm (Node).
# Ends with one line over all suites: "N passed, N failed". Exits non-zero on any failure.
# Usage: tools/test.sh [--skip-setup] [suite ...]     (suites: native native-asan wasm)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

skip_setup=0
suites=()
for argument in "$@"; do
  case "$argument" in
    --skip-setup) skip_setup=1 ;;
    native|native-asan|wasm) suites+=("$argument") ;;
    *) echo "usage: tools/test.sh [--skip-setup] [native|native-asan|wasm ...]" >&2; exit 2 ;;
  esac
done
((${#suites[@]})) || suites=(native native-asan wasm)

if ((!skip_setup)); then
  tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi

export NODE_PATH=/usr/share/nodejs        # emcc needs acorn (TOOLCHAIN.md, pitfall 1)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tint-ccache}   # outside the clone
jobs=$(nproc)
total_passed=0
total_failed=0
started=$(date +%s)

run_suite() {
  local preset=$1
  echo "=== $preset: configure and build"
  if ! cmake --preset "$preset" >"build-$preset.log" 2>&1 || ! cmake --build --preset "$preset" -j "$jobs" >>"build-$preset.log" 2>&1; then
    tail -n 40 "build-$preset.log"
    echo "=== $preset: BUILD FAILED (full log: build-$preset.log)"
    total_failed=$((total_failed + 1))
    return
  fi
  rm -f "build-$preset.log"
  echo "=== $preset: test"
  local log
  log=$(mktemp)
  ctest --preset "$preset" -j "$jobs" 2>&1 | tee "$log" | grep -E "Failed|\*\*\*|tests passed|Not Run|Timeout" || true
  local summary
  summary=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$log" | tail -n 1)
  if [[ -z "$summary" ]]; then
    tail -n 30 "$log"
    echo "=== $preset: no test summary"
    total_failed=$((total_failed + 1))
  else
    local failed all
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
    all=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$summary")
    total_passed=$((total_passed + all - failed))
    total_failed=$((total_failed + failed))
  fi
  rm -f "$log"
}

for suite in "${suites[@]}"; do run_suite "$suite"; done

echo "=== done in $(( $(date +%s) - started )) s"
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
