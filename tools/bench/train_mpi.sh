#!/usr/bin/env bash
# Data-parallel training on this machine: `tint train` as 1 process x T threads against
# N ranks x 1 thread under mpirun, the same architecture, global batch and photos, in one run.
# Reports images per second over steps 3..STEPS (the first two warm up), as logged by tint.
# usage: tools/bench/train_mpi.sh [ARCH.json] [BATCH] [CROP] [STEPS] [PHOTOS_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=${1:-weights/architectures/tint-v2.json}
batch=${2:-16}
crop=${3:-128}
steps=${4:-12}
photos=${5:-data/train}
tint=build/native/tint
cores=$(nproc)
command -v mpirun >/dev/null || { echo "needs mpirun: tools/setup.sh installs openmpi-bin" >&2; exit 1; }
[[ -x $tint ]] || { cmake --preset native >/dev/null && cmake --build --preset native --target tint >/dev/null; }
[[ -d $photos ]] || { echo "no photos in $photos (tools/fetch-data.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A subset, so that decoding the data does not dominate: the first 160 photos.
mkdir -p "$work/photos"
# (The whole sorted list first: `head` closing the pipe early would fail the script under pipefail.)
mapfile -t listed < <(find "$photos" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.jpeg' \) | sort)
for file in "${listed[@]:0:160}"; do ln -s "$(realpath "$file")" "$work/photos/"; done

# Mean img/s of the logged steps after the second ("epoch E/N  step S/T  X img/s ...").
rate() {
  awk '/ img\/s / { for (i = 1; i < NF; ++i) if ($(i + 1) == "img/s") { ++n; if (n > 2) { sum += $i; ++k } } }
       END { if (k) printf "%.1f", sum / k; else print "n/a" }' "$1"
}
flags=(train --data "$work/photos" --arch "$arch" --batch "$batch" --crop "$crop" --max-steps "$steps" --epochs 1000
       --max-side 320 --checkpoint-minutes 0 --seed 1)
printf "%s, global batch %s, crop %s, %s steps, %s cores\n\n" "$(basename "$arch" .json)" "$batch" "$crop" "$steps" "$cores"
printf "| layout | img/s | steps/s | vs 1 process x %s threads |\n|---|---|---|---|\n" "$cores"
"$tint" "${flags[@]}" --threads "$cores" --out-dir "$work/one" >"$work/one.log" 2>&1 || true
base=$(rate "$work/one.log")
printf "| 1 process x %s threads | %s | %.2f | 1.00x |\n" "$cores" "$base" "$(awk -v r="$base" -v b="$batch" 'BEGIN {print r / b}')"
for ranks in 2 4; do
  ((ranks <= cores)) || continue
  threads=$((cores / ranks))
  mpirun --oversubscribe --allow-run-as-root -np "$ranks" "$tint" "${flags[@]}" --threads "$threads" \
    --out-dir "$work/ranks$ranks" >"$work/ranks$ranks.log" 2>&1 || true
  r=$(rate "$work/ranks$ranks.log")
  printf "| %s ranks x %s thread(s) | %s | %.2f | %.2fx |\n" "$ranks" "$threads" "$r" \
    "$(awk -v r="$r" -v b="$batch" 'BEGIN {print r / b}')" "$(awk -v r="$r" -v b="$base" 'BEGIN {print r / b}')"
done
