#!/usr/bin/env bash
# The main job: installs what is missing, builds tint, then colourises photos with the shipped
# model (weights/tint-v1.safetensors).
#   tools/run.sh [IMAGE ...]      colourise these (default: the evaluation photos, fetched into
#                                 data/eval by tools/fetch-data.sh when missing)
# Results go to build/native/colorized/.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tint-ccache}
cmake --preset native >/dev/null
cmake --build --preset native -j "$(nproc)" --target tint
tint=build/native/tint
out=build/native/colorized

if [[ ! -f weights/tint-v1.safetensors && -z "${TINT_MODEL:-}" ]]; then
  cat <<EOT

Built $tint. No trained model is shipped yet (weights/tint-v1.safetensors), so there is nothing
to colourise with. With a model of your own:

  $tint colorize photo.jpg -o photo-colorized.png --model MODEL.safetensors
  $tint colorize *.jpg --out-dir $out --model MODEL.safetensors
  $tint info MODEL.safetensors
  $tint bench                      # per-layer timings of the baseline network on both backends
EOT
  exit 0
fi

inputs=("$@")
if ((${#inputs[@]} == 0)); then
  [[ -d data/eval ]] || tools/fetch-data.sh
  mapfile -t inputs < <(find data/eval -maxdepth 1 -type f \( -iname '*.png' -o -iname '*.jpg' \) | sort)
fi
"$tint" colorize "${inputs[@]}" --out-dir "$out"
echo "Colourised ${#inputs[@]} image(s) into $out/"
