#!/usr/bin/env bash
# The main job, with no modem attached: builds st87shim, starts st87-fakemodem and a web
# server on 127.0.0.1, and fetches a file with an unchanged curl through the shim.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build

work=$(mktemp -d)
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${modem_pid:-}" ] && kill "$modem_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

head -c 1048576 /dev/urandom > "$work/file.bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work" "$port" >/dev/null 2>&1 &
server_pid=$!
build/tests/fakemodem/st87-fakemodem --link "$work/modem" --baud 921600 --trace "$work/trace.txt" \
  --stats "$work/stats.json" > "$work/modem.out" &
modem_pid=$!
for _ in $(seq 50); do [ -e "$work/modem" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

echo "demo: curl http://127.0.0.1:$port/file.bin through the fake modem (921600 baud)"
build/src/shim/st87run --port "$work/modem" --route 127.0.0.1/32 -- \
  curl --silent --show-error --fail -o "$work/got.bin" -w 'demo: %{size_download} bytes in %{time_total} s\n' \
  "http://127.0.0.1:$port/file.bin"
kill "$modem_pid"; wait "$modem_pid" || true; modem_pid=
if cmp -s "$work/file.bin" "$work/got.bin"; then
  echo "demo: sha256 $(sha256sum < "$work/got.bin" | cut -c1-16)... matches the server's file"
else
  echo "demo: FAILED: the file differs" >&2
  exit 1
fi
echo "demo: AT commands seen by the modem: $(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["commands"]; print(", ".join("%s %d" % kv for kv in sorted(c.items())))' "$work/stats.json")"
