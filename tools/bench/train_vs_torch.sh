#!/usr/bin/env bash
# tint's training steps against PyTorch's (Debian python3-torch 1.13, channels_last) on the same
# architecture, batch, crop and thread count (1 and 2), in one run, best of RUNS steps each.
# usage: tools/bench/train_vs_torch.sh [ARCH.json] [BATCH] [CROP] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=${1:-weights/architectures/baseline.json}
batch=${2:-16}
crop=${3:-128}
runs=${4:-5}
tint=build/native/tint
[[ -x $tint ]] || { cmake --preset native >/dev/null && cmake --build --preset native --target tint >/dev/null; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "needs python3-torch: tools/setup.sh --with-torch" >&2; exit 1; }

printf "%s, batch %s, crop %s, best of %s steps\n\n" "$(basename "$arch" .json)" "$batch" "$crop" "$runs"
printf "| threads | tint (XNNPACK) ms/step | PyTorch ms/step | tint speed / PyTorch |\n|---|---|---|---|\n"
for threads in 1 2; do
  # Interleave: tint, torch, tint, torch; keep each one's best.
  tint_best=""; torch_best=""
  for _ in 1 2; do
    t=$("$tint" bench --train --arch "$arch" --batch "$batch" --crop "$crop" --threads "$threads" --runs "$runs" \
        --backend xnnpack | awk '/ms\/step/ {print $2}')
    p=$(OMP_PROC_BIND=true /usr/bin/python3 tools/bench/torch_train_step.py "$arch" "$batch" "$crop" "$threads" "$runs" |
        awk '{print $2}')
    tint_best=$(awk -v a="$t" -v b="$tint_best" 'BEGIN {print (b == "" || a < b) ? a : b}')
    torch_best=$(awk -v a="$p" -v b="$torch_best" 'BEGIN {print (b == "" || a < b) ? a : b}')
  done
  printf "| %s | %.1f | %.1f | %.2fx |\n" "$threads" "$tint_best" "$torch_best" \
    "$(awk -v a="$tint_best" -v b="$torch_best" 'BEGIN {print b / a}')"
done
