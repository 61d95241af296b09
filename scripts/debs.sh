#!/usr/bin/env bash
# Builds the Debian packages (dpkg-buildpackage -us -uc -b) from a copy of this tree, checks them
# with lintian (no errors or warnings), installs them on this machine, then checks the installed
# files: the man pages found by man, an example built against libst87-dev through pkg-config, the
# systemd units shipped but not enabled, and curl through the installed st87run against the
# installed st87-fakemodem and a web server on 127.0.0.1, once with the port and once through the
# installed st87d, the file checked by sha256 each time.
# As root, or with sudo. The source tree and build/ are left as they were.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
apt_install() {
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "$@"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"${sudo_cmd[@]}" apt-get update -q
apt_install build-essential debhelper devscripts fakeroot lintian python3 curl

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
lintian --fail-on error,warning "$work"/*.changes
apt_install "${debs[@]}"

for program in /usr/bin/st87run /usr/bin/st87ctl /usr/bin/st87-fakemodem /usr/sbin/st87d; do
  [ "$(PATH=/usr/sbin:$PATH command -v "${program##*/}")" = "$program" ] ||
    { echo "debs: FAILED: ${program##*/} is not the installed $program" >&2; exit 1; }
done
for page in st87run.1 st87ctl.1 st87-fakemodem.1 st87shim.7 st87d.8 st87.conf.5; do
  man -w "${page##*.}" "${page%.*}" >/dev/null ||
    { echo "debs: FAILED: man does not find $page" >&2; exit 1; }
done

# libst87-dev: an example compiled and linked through pkg-config against the installed library.
cc -std=c11 -D_GNU_SOURCE -o "$work/st87-udp-echo" examples/udp_echo.c $(pkg-config --cflags --libs st87)
linked=$(ldd "$work/st87-udp-echo" | awk '$1 == "libst87.so.0" { print $3 }')
dpkg -S "$(readlink -f "$linked")" | grep -q '^libst87-0:' ||
  { echo "debs: FAILED: the example uses $linked, not libst87-0's library" >&2; exit 1; }

# libst87-dev's st87/st87shim.h: the shim's socket options, no library needed.
printf '#include <st87/st87shim.h>\nint main(void) { return SOL_ST87 == 0x5387 && ST87_SO_RAI == 1 ? 0 : 1; }\n' |
  cc -std=c11 -x c -o "$work/st87-sol" -
"$work/st87-sol" && dpkg -S /usr/include/st87/st87shim.h | grep -q '^libst87-dev:' ||
  { echo "debs: FAILED: st87/st87shim.h is not libst87-dev's" >&2; exit 1; }

# st87d's units: shipped by st87shim, neither enabled nor started by the installation.
for unit in st87d.service st87d.socket; do
  dpkg -S "/lib/systemd/system/$unit" | grep -q '^st87shim:' ||
    { echo "debs: FAILED: st87shim does not ship $unit" >&2; exit 1; }
  if compgen -G "/etc/systemd/system/*.wants/$unit" >/dev/null; then
    echo "debs: FAILED: installing st87shim enabled $unit" >&2
    exit 1
  fi
done

# curl through the installed st87run and st87-fakemodem (the same check scripts/demo.sh makes on
# build/), then the same file again through the installed st87d.
ST87D=/usr/sbin/st87d bash scripts/fetch-over-fakemodem.sh /usr/bin/st87-fakemodem /usr/bin/st87run
