#!/usr/bin/env bash
# Installs what siyu needs to build, run and test, from Debian's packages and npm.
# Usage: scripts/install-deps.sh [build|test]   (test adds Chromium, wrk and clang)
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-build}"
packages=(
  g++ cmake ninja-build pkg-config ccache make
  libboost-dev libsqlite3-dev libssl-dev zlib1g-dev libzstd-dev libcurl4-openssl-dev
  nlohmann-json3-dev libsimdjson-dev libroaring-dev libargon2-dev libpugixml-dev libqrencode-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev libbenchmark-dev
  nodejs npm
)
if [ "$mode" = "test" ]; then
  packages+=(chromium fonts-noto-cjk wrk clang-14 libclang-rt-14-dev sqlite3)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # npm may come bundled with nodejs from another source
    if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
    if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm_install() {
  local dir="$1"
  [ -f "$dir/package-lock.json" ] || return 0
  local stamp="$dir/node_modules/.siyu-lock-stamp"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$dir/package-lock.json"; then return 0; fi
  # npm ci refuses some lock files that omit other platforms' optional packages; npm install
  # then installs the same locked versions.
  (cd "$dir" && { npm ci --no-audit --no-fund --loglevel=error 2>/dev/null ||
                  npm install --no-save --no-audit --no-fund --loglevel=error; })
  cp "$dir/package-lock.json" "$stamp"
}
npm_install web
if [ "$mode" = "test" ]; then npm_install tests/e2e; fi
