#!/usr/bin/env bash
# The main job: installs what is missing, builds tint, then colourises photos.
#   tools/run.sh [IMAGE ...]      colourise these (default: the photos in data/eval if present)
# Results go to build/native/colorized/. Until trained weights are shipped (weights/), this
# builds and explains how to colourise with a model of your own.
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
if ((${#inputs[@]} == 0)) && [[ -d data/eval ]]; then
  mapfile -t inputs < <(find data/eval -maxdepth 1 -type f \( -iname '*.png' -o -iname '*.jpg' \) | sort)
fi
if ((${#inputs[@]} == 0)); then
  echo "usage: tools/run.sh IMAGE...   (or run tools/fetch-data.sh for the evaluation photos)"
  exit 2
fi
"$tint" colorize "${inputs[@]}" --out-dir "$out"
echo "Colourised ${#inputs[@]} image(s) into $out/"
