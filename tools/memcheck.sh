#!/usr/bin/env bash
# valgrind memcheck over the CLI on small, representative runs: colourise JPEG, PNG, WebP, GIF
# (with and without hints) on both backends, the bad inputs of tests/data/regressions, the fuzz
# seeds (valid files and near misses), `suggest`, a few training steps that touch every layer
# kind's forward and backward on XNNPACK plus Adam, a checkpoint and a resume, `eval`, `convert`
# and `info`. Unlike ASan/UBSan it also sees inside the libraries (stb, libwebp, XNNPACK,
# pthreadpool) and reads of uninitialised memory. A check fails on any memcheck error
# (--error-exitcode) and on an unexpected exit status.
# Usage: tools/memcheck.sh [BUILD_DIR]   (default build/native, built already)
# Prints one line per check and "memcheck: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/native}
tint=$build/tint
for tool in valgrind "$tint" "$build/tint-fuzz-seeds"; do
  command -v "$tool" >/dev/null || { echo "memcheck: $tool is missing"; echo "memcheck: 0 passed, 1 failed"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tint-fuzz-seeds" "$work/seeds" >/dev/null
model=weights/tint-v2.safetensors   # the shipped hint model: classification head and all
passed=0 failed=0

# check NAME EXPECTED_STATUS COMMAND... : the command under memcheck must exit with the expected
# status (0, 1, or "any" for the fuzz near misses) and report no error (exit 99 says it did).
check() {
  local name=$1 expected=$2
  shift 2
  local log=$work/$passed-$failed.log started=$SECONDS
  valgrind --quiet --error-exitcode=99 --suppressions=tools/memcheck.supp --log-file="$log" "$@" >"$log.out" 2>&1
  local status=$?
  local unexpected=0
  if [[ $expected == any ]]; then ((status <= 1)) || unexpected=1; else ((status == expected)) || unexpected=1; fi
  if ((status == 99 || unexpected)) || [[ -s $log ]]; then
    echo "FAIL  $name (exit $status, expected $expected)"
    head -n 40 "$log" "$log.out"
    failed=$((failed + 1))
  else
    echo "ok    $name ($((SECONDS - started)) s)"
    passed=$((passed + 1))
  fi
}

# The seeds under names of their own (rgb.jpg and rgb.png would both write rgb.png).
seeds=$work/seeds/image
for seed in "$seeds"/*; do
  name=$(basename "$seed")
  mv "$seed" "$seeds/${name//./-}.${name##*.}"
done
for backend in xnnpack simd; do
  check "colorize JPEG, PNG, WebP ($backend)" 0 "$tint" colorize "$seeds/exif-jpg.jpg" "$seeds/rgba16-png.png" \
    "$seeds/lossy-webp.webp" --out-dir "$work/out-$backend" --model "$model" --size 64 \
    --threads 1 --backend "$backend"
  check "colorize with hints to JPEG ($backend)" 0 "$tint" colorize "$seeds/rgb-jpg.jpg" -o "$work/hinted-$backend.jpg" \
    --model "$model" --size 64 --threads 2 --backend "$backend" --hint 3,2,#ff4000 --hint 12,7,#2060ff
done
check "colorize every fuzz seed (valid and near misses)" any "$tint" colorize "$seeds"/* --out-dir "$work/out-seeds" \
  --model "$work/seeds/safetensors/tiny-f16.safetensors" --size 32 --threads 1
for bad in tests/data/regressions/*; do
  check "refuse $(basename "$bad")" 1 "$tint" colorize "$bad" -o "$work/never.png" --model "$model" --size 64
done

# Training: a tiny hint model with every kind (conv, upsample, concat, add, dropout, softmax,
# annealed mean, tanh) and both losses, on eight small photos, two threads; checkpoints every
# step, then resumed to the end.
photos=$work/seeds/photos
cat >"$work/arch.json" <<'EOF'
{"name": "memcheck", "inputs": ["lightness", "hint_ab", "hint_mask", "hint_fill"], "working_size": 32, "layers": [
  {"name": "enc", "op": "conv", "out": 8, "stride": 2, "activation": "relu"},
  {"name": "mid", "op": "conv", "out": 8, "activation": "relu"},
  {"name": "sum", "op": "add", "with": "enc"},
  {"name": "drop", "op": "dropout", "rate": 0.2},
  {"name": "cat", "op": "concat", "with": "enc"},
  {"name": "logits", "op": "conv", "out": 224},
  {"name": "probs", "op": "softmax"},
  {"name": "ab", "op": "annealed_mean", "temperature": 0.38},
  {"name": "squash", "op": "tanh"},
  {"name": "up", "op": "upsample", "mode": "bilinear"}
], "losses": [
  {"layer": "logits", "type": "cross_entropy", "weight": 1, "rebalance": 0.5, "sigma": 5},
  {"layer": "up", "type": "mse", "weight": 10}
]}
EOF
check "train: forward, backward, Adam, checkpoint" 130 "$tint" train --data "$photos" --arch "$work/arch.json" \
  --out-dir "$work/run" --epochs 2 --batch 2 --crop 32 --max-side 64 --val 0.25 --threads 2 --ema 0.9 \
  --checkpoint-steps 1 --max-steps 2
check "train: resume to the end (validation, best and last)" 0 "$tint" train --data "$photos" \
  --resume "$work/run/checkpoint.safetensors" --out-dir "$work/run" --epochs 2 --batch 2 --crop 32 --max-side 64 --val 0.25 --threads 1
check "suggest" 0 "$tint" suggest "$seeds/rgb-jpg.jpg" 4,4 --top 3 --model "$work/run/last.safetensors" --threads 1
check "eval with hints and a contact sheet" 0 "$tint" eval --model "$work/run/last.safetensors" \
  --data "$photos" --hints 0,2 --threads 1 --out-dir "$work/eval"
check "convert to f16" 0 "$tint" convert "$work/run/last.safetensors" "$work/half.safetensors" --dtype f16
check "info" 0 "$tint" info "$work/half.safetensors"

echo "memcheck: $passed passed, $failed failed"
((failed == 0))
