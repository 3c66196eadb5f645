#!/usr/bin/env bash
# tint's WASM against onnxruntime-web and tfjs-backend-wasm on the same model, in Node and in
# headless Chromium (see README.md). Usage:
#   tools/bench/wasm_vs_peers/run.sh [--rounds R] [--big-rounds R] [--conv-rounds R] [--threads N] [MODEL.safetensors ...]
# --threads N: tint, onnxruntime-web and tfjs-backend-wasm each with N threads (default 1).
# Default models: weights/tint-v1.safetensors (else the site's copy) and weights/tint-baseline.safetensors.
# Needs the wasm build (build/wasm/site); builds nothing of tint. Work files go to build/bench-peers/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
work="$root/build/bench-peers"
site="$root/build/wasm/site"

options=() models=()
while (($#)); do
  case "$1" in
    --rounds|--big-rounds|--conv-rounds|--threads) options+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) models+=("$(realpath "$1")"); shift ;;
  esac
done
if ((${#models[@]} == 0)); then
  if [[ -f "$root/weights/tint-v1.safetensors" ]]; then models+=("$root/weights/tint-v1.safetensors")
  else models+=("$site/tint.safetensors"); fi
  models+=("$root/weights/tint-baseline.safetensors")
fi

for file in "$site/tint.js" "$site/tint-wasm.js" "$site/tint.wasm" "$site/tint-threads.wasm"; do
  [[ -f "$file" ]] || { echo "run.sh: $file is missing: build the wasm preset first (see README.md)" >&2; exit 1; }
done
[[ -d "$root/node_modules/playwright-core" ]] || { echo "run.sh: $root/node_modules/playwright-core is missing (npm ci at the top level)" >&2; exit 1; }

# The three npm packages, exactly as package-lock.json pins them (no install scripts needed).
if [[ ! -d "$here/node_modules/onnxruntime-web" || ! -d "$here/node_modules/@tensorflow/tfjs-core" ||
      ! -d "$here/node_modules/@tensorflow/tfjs-backend-wasm" ]]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)
fi

# Models: a link per safetensors file, its ONNX export and PyTorch's check output.
mkdir -p "$work/models"
names=()
for model in "${models[@]}"; do
  [[ -f "$model" ]] || { echo "run.sh: no model $model" >&2; exit 1; }
  name=$(basename "$model" .safetensors)
  for seen in "${names[@]}"; do
    [[ "$seen" != "$name" ]] || { echo "run.sh: two models are called $name" >&2; exit 1; }
  done
  names+=("$name")
  ln -sfn "$model" "$work/models/$name.safetensors"
done
/usr/bin/python3 "$here/export_onnx.py" "$work/models" "${models[@]}"

# tint's own conv bench, if the wasm build made it (copied as .cjs, so that Node loads it as the
# CommonJS it is wherever it lands: the repository's package.json says "type": "module").
rm -rf "$work/www" && mkdir -p "$work/www"
if [[ -f "$root/build/wasm/bench_conv3x3.js" && -f "$root/build/wasm/bench_conv3x3.wasm" ]]; then
  cp "$root/build/wasm/bench_conv3x3.js" "$work/bench_conv3x3.cjs"
  cp "$root/build/wasm/bench_conv3x3.wasm" "$work/bench_conv3x3.wasm"
  mkdir -p "$work/www/conv"
  cp "$root/build/wasm/bench_conv3x3.js" "$root/build/wasm/bench_conv3x3.wasm" "$work/www/conv/"
else
  rm -f "$work/bench_conv3x3.cjs" "$work/bench_conv3x3.wasm"
fi
# The served folder (tools/serve.mjs follows links): the site, this folder, its packages, the models.
ln -s "$site" "$work/www/site"
ln -s "$here" "$work/www/bench"
ln -s "$here/node_modules" "$work/www/nm"
ln -s "$work/models" "$work/www/models"

cd "$here"
exec /usr/bin/node run.mjs "${options[@]}" "${names[@]}"
