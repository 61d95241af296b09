#!/usr/bin/env bash
# Installs what st87shim needs on Debian (as root, or with sudo) and builds it in ./build.
# Usage: scripts/setup.sh [BUILD_DIR [MESON_OPTIONS...]]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc libc6-dev pkg-config meson ninja-build libserialport-dev libcmocka-dev uthash-dev
          python3 curl wget netcat-openbsd openssl valgrind clang libclang-rt-14-dev clang-format git
          mosquitto mosquitto-clients libcoap3-bin socat man-db groff-base busybox-static golang-go)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi

build_dir=${1:-build}
shift || true
if [ -d "$build_dir" ]; then
  meson setup --reconfigure "$build_dir" "$@" >/dev/null
else
  meson setup "$build_dir" "$@"
fi
ninja -C "$build_dir"
