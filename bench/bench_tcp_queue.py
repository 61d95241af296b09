#!/usr/bin/env python3
"""Connects through the line for the modem's one TCP socket (issue 26).

Threads of one program each make short exchanges with a local echo server
(connect, 1000 bytes there and back, close), all at once, through the shim
and st87-fakemodem paced at 115200 baud; every connect but the first waits
in line for the socket. Reported: connections per second with the threads
racing for the socket, and with one thread doing the same exchanges in a
row (their ratio is the line's cost), and the AT round trips of each
hand-over, from the old connection's AT#SOCKETCLOSE to the new one's
AT#TCPCONNECT, against the minimum of three (close, create, connect).
"""
import os
import sys
import time

import benchlib
import harness
from bench_roundtrips import commands_from_trace, kind
from fakemodem_fixture import tcp_echo_server, workdir

BAUD = 115200
THREADS = 4
EXCHANGES = 8
HAND_OVER_MINIMUM = 3

# One thread per port named, each making its exchanges (tests/integration/shim/exchange_client.py).
EXCHANGE_CLIENT = os.path.join(os.path.dirname(os.path.abspath(harness.__file__)), "exchange_client.py")


def hand_overs(commands):
    """The command kinds from each AT#SOCKETCLOSE to the next AT#TCPCONNECT (one list per hand-over)."""
    found, current = [], None
    for command, replies in commands:
        name = kind(command, replies)
        if name == "close":
            current = []
        if current is not None:
            current.append(name)
        if name == "connect" and current is not None:
            found.append(current)
            current = None
    return found


def exchanges(threads, per_thread):
    """Runs the client; (connections per second, the hand-overs' command lists)."""
    with workdir() as tmp, tcp_echo_server() as server, \
            harness.fake_modem(tmp, "--profile", "note", "--baud", str(BAUD)) as modem:
        started = time.monotonic()
        benchlib.run_checked([sys.executable, EXCHANGE_CLIENT, str(per_thread)]
                             + [str(server.server_address[1])] * threads, modem.env(ST87_BAUD=BAUD), 300,
                             "%d threads x %d exchanges" % (threads, per_thread))
        took = time.monotonic() - started
        modem.stop()
        return threads * per_thread / took, hand_overs(commands_from_trace(modem.trace()))


def run(bench):
    count = max(1, int(EXCHANGES * benchlib.scale()))
    racing, racing_hand_overs = exchanges(THREADS, count)
    in_a_row, _ = exchanges(1, THREADS * count)
    bench.figure("connects per second, %d threads racing for the TCP socket" % THREADS, racing,
                 "%d connections, 1000 B each way, %d baud" % (THREADS * count, BAUD))
    bench.figure("connects per second, the same exchanges in a row", in_a_row)
    bench.figure("racing / in a row", racing / in_a_row, "the line's cost; 1.0: none")
    lengths = [len(commands) for commands in racing_hand_overs]
    if not lengths:
        raise RuntimeError("no hand-over found in the trace")
    bench.figure("AT round trips per hand-over, most", max(lengths),
                 "%d hand-overs, mean %.2f" % (len(lengths), sum(lengths) / len(lengths)),
                 target=(HAND_OVER_MINIMUM, "at_most", ""))
    for commands in racing_hand_overs:
        if len(commands) > HAND_OVER_MINIMUM:
            bench.note("a longer hand-over: " + " ".join(commands))


if __name__ == "__main__":
    benchlib.main("TCP line", run)
