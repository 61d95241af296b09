#!/usr/bin/env bash
# Builds the Debian packages (dpkg-buildpackage -us -uc -b) from a copy of this tree, installs them
# on this machine, then checks the installed files: curl through the installed st87run against the
# installed st87-fakemodem and a web server on 127.0.0.1, the file checked by sha256; an example
# built against libst87-dev through pkg-config; the man pages found by man.
# As root, or with sudo. The source tree and build/ are left as they were.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
apt_install() {
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "$@"
}

work=$(mktemp -d)
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${modem_pid:-}" ] && kill "$modem_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"${sudo_cmd[@]}" apt-get update -q
apt_install build-essential debhelper devscripts fakeroot python3 curl

# The tracked and new files as they are now (not build directories or other ignored files), so
# that dpkg-buildpackage writes only into $work.
source_dir="$work/st87shim"
mkdir "$source_dir"
git ls-files -z --cached --others --exclude-standard |
  tar --null --files-from=- --ignore-failed-read -cf - | tar -C "$source_dir" -xf -
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get build-dep -y -q "$source_dir"
(cd "$source_dir" && dpkg-buildpackage -us -uc -b)

debs=("$work"/*.deb)
echo "debs: built ${debs[*]##*/}"
for package in libst87-0 libst87-dev st87shim st87-fakemodem; do
  compgen -G "$work/${package}_*.deb" >/dev/null || { echo "debs: FAILED: no $package package" >&2; exit 1; }
done
apt_install "${debs[@]}"

for program in st87run st87ctl st87-fakemodem; do
  [ "$(command -v "$program")" = "/usr/bin/$program" ] ||
    { echo "debs: FAILED: $program is not the installed /usr/bin/$program" >&2; exit 1; }
done
for page in st87run.1 st87ctl.1 st87-fakemodem.1 st87shim.7; do
  man -w "${page##*.}" "${page%.*}" >/dev/null ||
    { echo "debs: FAILED: man does not find $page" >&2; exit 1; }
done

# libst87-dev: an example compiled and linked through pkg-config against the installed library.
cc -std=c11 -D_GNU_SOURCE -o "$work/st87-udp-echo" examples/udp_echo.c $(pkg-config --cflags --libs st87)
linked=$(ldd "$work/st87-udp-echo" | awk '$1 == "libst87.so.0" { print $3 }')
dpkg -S "$(readlink -f "$linked")" | grep -q '^libst87-0:' ||
  { echo "debs: FAILED: the example uses $linked, not libst87-0's library" >&2; exit 1; }

head -c 1048576 /dev/urandom > "$work/file.bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work" "$port" >/dev/null 2>&1 &
server_pid=$!
st87-fakemodem --link "$work/modem" --trace "$work/trace.txt" > "$work/modem.out" &
modem_pid=$!
for _ in $(seq 50); do
  [ -e "$work/modem" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done

st87run --port "$work/modem" --route 127.0.0.1/32 -- \
  curl --silent --show-error --fail -o "$work/got.bin" "http://127.0.0.1:$port/file.bin"
expected=$(sha256sum < "$work/file.bin" | cut -d' ' -f1)
got=$(sha256sum < "$work/got.bin" | cut -d' ' -f1)
if [ "$got" != "$expected" ]; then
  echo "debs: FAILED: the file fetched through the installed st87run differs" >&2
  exit 1
fi
grep -q 'AT#IPREAD' "$work/trace.txt" ||
  { echo "debs: FAILED: the installed st87run did not carry curl over the fake modem" >&2; exit 1; }
echo "debs: curl through the installed st87run and st87-fakemodem: sha256 ${got:0:16}... matches"
