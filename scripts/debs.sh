#!/usr/bin/env bash
# Builds the Debian packages (dpkg-buildpackage -us -uc -b) from a copy of this tree, checks them
# with lintian (no errors or warnings), installs them on this machine, then checks the installed
# files: the man pages found by man, an example built against libst87-dev through pkg-config, and
# curl through the installed st87run against the installed st87-fakemodem and a web server on
# 127.0.0.1, the file checked by sha256.
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

# curl through the installed st87run and st87-fakemodem (the same check scripts/demo.sh makes on build/).
bash scripts/fetch-over-fakemodem.sh /usr/bin/st87-fakemodem /usr/bin/st87run
