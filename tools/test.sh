#!/usr/bin/env bash
# Installs what is missing, builds every preset and runs every test suite:
#   native (Release: unit, CLI end-to-end), native-asan (ASan + UBSan), wasm (core tests under
#   Node), node (the WASM module through web/tint.js against the native build; needs both),
#   browser (the site in Debian's chromium via playwright-core; needs the wasm build),
#   memcheck (valgrind over the CLI's small representative runs, tools/memcheck.sh; needs native),
#   fuzz (a 10 s smoke run of each libFuzzer target, tools/fuzz.sh).
# Ends with one line over all suites: "N passed, N failed". Exits non-zero on any failure.
# Usage: tools/test.sh [--skip-setup] [suite ...]   (suites: native native-asan wasm node browser memcheck fuzz)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

skip_setup=0
suites=()
for argument in "$@"; do
  case "$argument" in
    --skip-setup) skip_setup=1 ;;
    native|native-asan|wasm|node|browser|memcheck|fuzz) suites+=("$argument") ;;
    *) echo "usage: tools/test.sh [--skip-setup] [native|native-asan|wasm|node|browser|memcheck|fuzz ...]" >&2; exit 2 ;;
  esac
done
((${#suites[@]})) || suites=(native native-asan wasm node browser memcheck fuzz)

if ((!skip_setup)); then
  tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi

export NODE_PATH=/usr/share/nodejs        # emcc needs acorn (docs/toolchain.md, pitfall 1)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tint-ccache}   # outside the clone
export CCACHE_BASEDIR=$root  # paths inside the clone hash relative: a fresh clone elsewhere hits the cache
jobs=$(nproc)
total_passed=0
total_failed=0
started=$(date +%s)

# Configures and builds a preset, its output in build-<preset>.log only when it fails; a failed
# build counts as one failed test. Returns non-zero when it failed.
build_preset() {
  local preset=$1
  if ! cmake --preset "$preset" >"build-$preset.log" 2>&1 || ! cmake --build --preset "$preset" -j "$jobs" >>"build-$preset.log" 2>&1; then
    tail -n 40 "build-$preset.log"
    echo "=== $preset: BUILD FAILED (full log: build-$preset.log)"
    total_failed=$((total_failed + 1))
    return 1
  fi
  rm -f "build-$preset.log"
}

run_suite() {
  local preset=$1
  echo "=== $preset: configure and build"
  build_preset "$preset" || return
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

# node:test suites in tests/<name>: "# pass N" and "# fail N" lines.
run_node_suite() {
  local name=$1
  echo "=== $name: test (tests/$name)"
  local log
  log=$(mktemp)
  node --test "tests/$name/" >"$log" 2>&1
  local status=$? passed failed
  passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log")
  failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log")
  if [[ -z "$passed" || -z "$failed" ]] || ((status != 0 && failed == 0)); then
    tail -n 30 "$log"
    echo "=== $name: did not run"
    total_failed=$((total_failed + 1))
  else
    ((failed == 0)) || grep -E "^not ok|error|Error" "$log" | head -n 20
    echo "$name: $passed passed, $failed failed"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
  fi
  rm -f "$log"
}

# valgrind memcheck: one test per check of tools/memcheck.sh (on the native build).
run_memcheck_suite() {
  echo "=== memcheck: valgrind over the CLI (tools/memcheck.sh)"
  build_preset native || return
  local log summary
  log=$(mktemp)
  tools/memcheck.sh build/native 2>&1 | tee "$log"
  summary=$(sed -n 's/^memcheck: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log")
  if [[ -z "$summary" ]]; then
    echo "=== memcheck: no summary"
    total_failed=$((total_failed + 1))
  else
    total_passed=$((total_passed + ${summary% *}))
    total_failed=$((total_failed + ${summary#* }))
  fi
  rm -f "$log"
}

# Fuzz smoke runs: one test per target, passed when 10 s of fuzzing find no crash.
run_fuzz_suite() {
  echo "=== fuzz: 10 s of each libFuzzer target"
  local target
  for target in image safetensors rcc cifar10; do
    if tools/fuzz.sh "$target" 10; then
      total_passed=$((total_passed + 1))
    else
      total_failed=$((total_failed + 1))
    fi
  done
}

for suite in "${suites[@]}"; do
  case $suite in
    node|browser) run_node_suite "$suite" ;;
    memcheck) run_memcheck_suite ;;
    fuzz) run_fuzz_suite ;;
    *) run_suite "$suite" ;;
  esac
done

echo "=== done in $(( $(date +%s) - started )) s"
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
