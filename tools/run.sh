#!/usr/bin/env bash
# The main job: installs what is missing, builds tint (native CLI and the WebAssembly site), and
# serves the web page on http://127.0.0.1:8080, where photos are colourised in the browser.
#   tools/run.sh [--port P]       build, assemble build/wasm/site, serve it (Ctrl+C stops)
#   tools/run.sh IMAGE ...        build, then colourise these natively into build/native/colorized/
set -euo pipefail
cd "$(dirname "$0")/.."

port=8080
images=()
while (($#)); do
  case "$1" in
    --port) [[ $# -ge 2 ]] || { echo "run.sh: --port needs a number" >&2; exit 2; }; port=$2; shift 2 ;;
    --port=*) port=${1#--port=}; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) images+=("$1"); shift ;;
  esac
done
[[ $port =~ ^[0-9]+$ ]] && ((port <= 65535)) || { echo "run.sh: --port must be a number from 0 to 65535" >&2; exit 2; }

tools/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tint-ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}  # a clone elsewhere hits the same cache
export NODE_PATH=/usr/share/nodejs  # emcc needs acorn (docs/toolchain.md, pitfall 1)
jobs=$(nproc)
if [[ ! -f weights/tint-v2.safetensors ]]; then
  echo "run.sh: weights/tint-v2.safetensors is missing (a clean clone has it; was it deleted?)" >&2
  exit 1
fi

cmake --preset native >/dev/null
cmake --build --preset native -j "$jobs" --target tint
if ((${#images[@]})); then
  out=build/native/colorized
  build/native/tint colorize "${images[@]}" --out-dir "$out"
  echo "Colourised ${#images[@]} image(s) into $out/"
  exit 0
fi

cmake --preset wasm >/dev/null
cmake --build --preset wasm -j "$jobs" --target site
exec node tools/serve.mjs --port "$port" build/wasm/site
