#!/usr/bin/env bash
# Fetches a 1 MiB file with an unchanged curl through st87run and st87-fakemodem from a web server
# on 127.0.0.1, and fails unless it arrives byte for byte (sha256) and through the modem.
# Usage: scripts/fetch-over-fakemodem.sh ST87_FAKEMODEM ST87RUN [FAKEMODEM_SWITCH]...
# scripts/demo.sh runs it on the build tree's programs, scripts/debs.sh on the installed ones.
set -euo pipefail
fakemodem=$1
st87run=$2
shift 2

work=$(mktemp -d)
stop_servers() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${modem_pid:-}" ] && kill "$modem_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap stop_servers EXIT

head -c 1048576 /dev/urandom > "$work/file.bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work" "$port" >/dev/null 2>&1 &
server_pid=$!
"$fakemodem" --link "$work/modem" --trace "$work/trace.txt" --stats "$work/stats.json" "$@" > "$work/modem.out" &
modem_pid=$!
for _ in $(seq 50); do [ -e "$work/modem" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

echo "fetch: curl http://127.0.0.1:$port/file.bin through $st87run and $fakemodem $*"
"$st87run" --port "$work/modem" --route 127.0.0.1/32 -- \
  curl --silent --show-error --fail -o "$work/got.bin" -w 'fetch: %{size_download} bytes in %{time_total} s\n' \
  "http://127.0.0.1:$port/file.bin"
kill "$modem_pid"; wait "$modem_pid" || true; modem_pid=
sent=$(sha256sum < "$work/file.bin" | cut -d' ' -f1)
got=$(sha256sum < "$work/got.bin" | cut -d' ' -f1)
if [ "$got" != "$sent" ]; then
  echo "fetch: FAILED: the file differs" >&2
  exit 1
fi
if ! grep -q 'AT#IPREAD' "$work/trace.txt"; then
  echo "fetch: FAILED: the file did not come through the fake modem" >&2
  exit 1
fi
echo "fetch: sha256 ${got:0:16}... matches the server's file"
echo "fetch: AT commands seen by the modem: $(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["commands"]; print(", ".join("%s %d" % kv for kv in sorted(c.items())))' "$work/stats.json")"
