#!/usr/bin/env python3
"""The program bench_idle's power cases run through the shim.

Usage: idle_client.py CLOSING_PORT IDLE_PORT SETTLE_S

Reads a first connection until its server closes it (so the shim sees how
the modem announces a peer's close), opens a second one, exchanges a line,
waits SETTLE_S for the modem to fall asleep, prints "idle", and keeps the
connection idle until a line comes on stdin (the benchmark's end of the
idle period); then prints "end" and closes.
"""
import socket
import sys
import time

closing_port, idle_port, settle = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
with socket.create_connection(("127.0.0.1", closing_port), timeout=20) as first:
    while first.recv(65536):
        pass
second = socket.create_connection(("127.0.0.1", idle_port), timeout=20)
second.sendall(b"ping")
second.recv(100)
time.sleep(settle)
print("idle", flush=True)
sys.stdin.readline()
print("end", flush=True)
second.close()
