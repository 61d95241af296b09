#!/usr/bin/env bash
# Fetches a 1 MiB file with an unchanged curl through st87run and st87-fakemodem from a web server
# on 127.0.0.1, and fails unless it arrives byte for byte (sha256) and through the modem.
# Usage: [ST87D=PATH] scripts/fetch-over-fakemodem.sh ST87_FAKEMODEM ST87RUN [FAKEMODEM_SWITCH]...
# With ST87D naming an st87d program, the same file is then fetched a second time through that
# daemon (in the foreground, its socket in the work directory, ST87_PORT the fake modem), with
# st87run --daemon, so that the fetch fails rather than open the port if the daemon does not serve.
# scripts/demo.sh runs it on the build tree's programs, scripts/debs.sh on the installed ones.
# The fake modem is started by the test suites' launcher, tests/integration/fakemodem_fixture.py
# (its command line), with its link, trace and stats in the work directory.
set -euo pipefail
fixture="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/fakemodem_fixture.py"
fakemodem=$1
st87run=$2
shift 2
st87d=${ST87D:-}

work=$(mktemp -d)
stop_servers() {
  [ -n "${daemon_pid:-}" ] && kill "$daemon_pid" 2>/dev/null || true
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
# The launcher prints the pty's path once the fake modem is ready, and stops it (stats written) on SIGTERM.
python3 "$fixture" "$fakemodem" "$work" "$@" > "$work/modem.out" &
modem_pid=$!
for _ in $(seq 50); do [ -s "$work/modem.out" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

echo "fetch: curl http://127.0.0.1:$port/file.bin through $st87run and $fakemodem $*"
"$st87run" --port "$work/modem" --route 127.0.0.1/32 -- \
  curl --silent --show-error --fail -o "$work/got.bin" -w 'fetch: %{size_download} bytes in %{time_total} s\n' \
  "http://127.0.0.1:$port/file.bin"
fetched=("$work/got.bin")

if [ -n "$st87d" ]; then
  # st87d owns the port from here on; the fetch goes through its socket, or fails.
  ST87_PORT="$work/modem" "$st87d" -f -v --socket "$work/st87d.sock" --group "$(id -gn)" > "$work/st87d.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 50); do grep -qs 'serving' "$work/st87d.log" && break; sleep 0.1; done
  if ! grep -q 'serving' "$work/st87d.log"; then
    echo "fetch: FAILED: st87d does not serve:" >&2
    cat "$work/st87d.log" >&2
    exit 1
  fi
  echo "fetch: the same file through $st87d at $work/st87d.sock"
  "$st87run" --daemon "$work/st87d.sock" --route 127.0.0.1/32 -- \
    curl --silent --show-error --fail -o "$work/got-st87d.bin" -w 'fetch: %{size_download} bytes in %{time_total} s\n' \
    "http://127.0.0.1:$port/file.bin"
  kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
  if ! grep -q '(curl): uid [0-9]* asks' "$work/st87d.log"; then
    echo "fetch: FAILED: st87d did not serve curl's socket:" >&2
    cat "$work/st87d.log" >&2
    exit 1
  fi
  fetched+=("$work/got-st87d.bin")
fi
kill "$modem_pid"; wait "$modem_pid" || true; modem_pid=
sent=$(sha256sum < "$work/file.bin" | cut -d' ' -f1)
for file in "${fetched[@]}"; do
  got=$(sha256sum < "$file" | cut -d' ' -f1)
  if [ "$got" != "$sent" ]; then
    echo "fetch: FAILED: ${file##*/} differs from the server's file" >&2
    exit 1
  fi
done
if ! grep -q 'AT#IPREAD' "$work/modem-trace.txt"; then
  echo "fetch: FAILED: the file did not come through the fake modem" >&2
  exit 1
fi
echo "fetch: sha256 ${got:0:16}... matches the server's file"
echo "fetch: AT commands seen by the modem: $(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["commands"]; print(", ".join("%s %d" % kv for kv in sorted(c.items())))' "$work/modem-stats.json")"
