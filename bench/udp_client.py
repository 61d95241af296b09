#!/usr/bin/env python3
"""A UDP client that bench_linerate.py runs through the shim (it is not a benchmark itself).

    udp_client.py send PORT COUNT SIZE      COUNT datagrams of SIZE bytes to 127.0.0.1:PORT as fast
                                            as send() takes them, then wait for the server's "done"
    udp_client.py receive PORT TIMEOUT      ask 127.0.0.1:PORT to start, take datagrams until it says
                                            "end" or nothing came for TIMEOUT seconds

Prints one line of JSON with its time.monotonic() stamps (the clock is the
same in every process) and what it counted. Exit status: 0, or 1 on a socket
error or when "done" never came.
"""
import json
import os
import socket
import sys
import time


def send(port, count, size):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    payload = bytearray(os.urandom(size))
    start = time.monotonic()
    for sequence in range(count):
        payload[0:4] = sequence.to_bytes(4, "big")
        sock.send(payload)
    written = time.monotonic()
    # The server says "done" once every datagram arrived; waiting for it keeps
    # the program alive (and its datagrams in flight) until then.
    sock.settimeout(60 + count * size / 1000.0)
    reply = sock.recv(64)
    sock.close()
    print(json.dumps({"start": start, "written": written, "reply": reply.decode(errors="replace")}))
    return 0 if reply == b"done" else 1


def receive(port, timeout):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    sock.send(b"start")
    sock.settimeout(timeout)
    first = last = None
    count = size = 0
    sequences = set()
    ended = False
    while True:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if data == b"end":
            ended = True
            break
        now = time.monotonic()
        if first is None:
            first = now
        last = now
        count += 1
        size += len(data)
        sequences.add(int.from_bytes(data[0:4], "big"))
    sock.close()
    print(json.dumps({"first": first, "last": last, "count": count, "bytes": size,
                      "distinct": len(sequences), "ended": ended}))
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "send":
        return send(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    if len(sys.argv) == 4 and sys.argv[1] == "receive":
        return receive(int(sys.argv[2]), float(sys.argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
