#!/usr/bin/env bash
# Installs every Debian package tint's build and tests need: only what is missing, running
# `apt-get update` only when a package is not known to apt yet; then the npm packages of
# package.json (pinned by package-lock.json) when node_modules lacks them. Safe to rerun.
# Usage: tools/setup.sh [--with-torch]   (python3-torch is only for tools/reference and benches)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev          # sanitizer build, libFuzzer
  libxnnpack-dev libpthreadpool-dev  # native compute backend
  libstb-dev libwebp-dev zlib1g-dev  # image I/O, Qt resource bundles (zlib)
  libjpeg-dev libpng-dev             # photo-like fuzz seeds (tools/fuzz/photo_seeds.h)
  catch2 libcli11-dev nlohmann-json3-dev
  emscripten wabt                    # WASM build, SIMD check
  nodejs chromium                    # WASM tests, the site's server, browser tests
  valgrind                           # the memcheck suite (tools/memcheck.sh)
  libopenmpi-dev openmpi-bin         # data-parallel training (optional to the build; its tests need it)
)
# npm: Debian's package, unless the installed Node.js already brings its own (NodeSource's
# nodejs does, and conflicts with Debian's npm).
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
if [[ "${1:-}" == "--with-torch" ]]; then packages+=(python3-torch python3-numpy); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  # Update the package lists only when apt cannot find a candidate for a missing package.
  needs_update=0
  for package in "${missing[@]}"; do
    if ! apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [0-9]'; then needs_update=1; fi
  done
  if ((needs_update)); then "${sudo_cmd[@]}" apt-get update -qq; fi
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: packages installed"
fi

# npm: playwright-core (drives Debian's chromium in the browser tests) and fflate (the page's zip
# writer, copied into the site). Installed only when a pinned version is missing.
if ! node -e '
  const wanted = require("./package.json").devDependencies;
  for (const [name, version] of Object.entries(wanted))
    if (require(`./node_modules/${name}/package.json`).version !== version) process.exit(1);' 2>/dev/null; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: done"
