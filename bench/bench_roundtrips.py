#!/usr/bin/env python3
"""AT round trips for one small HTTP GET through the shim.

curl fetches a 100-byte file from a local HTTP server through the shim and
st87-fakemodem (paced at 115200 baud), a few times, each with a fresh fake
modem. Every AT command is one round trip (the host sends the next command
only after the final result of the last one), so the command count from the
fake modem's trace is the round-trip count. It is split into the modem's
start-up (once per process) and the connection's own commands, which are
compared with the minimum: create, connect, one send per 512 bytes of
request, one read per 1500-byte chunk of response (the fake modem's chunk),
close. The command list of the first run is printed with each reply.
"""
import math
import os

import benchlib
from fakemodem_fixture import workdir
from harness import fake_modem, http_server

RUNS = 3
BODY = 100
BAUD = 115200
SEND_CHUNK = 512
READ_CHUNK = 1500  # st87-fakemodem's default --read-chunk


def commands_from_trace(trace):
    """[(command, [reply lines])] from the fake modem's trace; URCs go with the command they came during."""
    commands = []
    for line in trace.splitlines():
        if line.startswith("> "):
            text = line[2:]
            if text.startswith("["):
                continue  # a binary payload line
            commands.append((text, []))
        elif line.startswith("< ") and commands:
            text = line[2:]
            if not text.startswith("[binary"):
                commands[-1][1].append(text)
    return commands


def kind(command, replies):
    upper = command.upper()
    if upper.startswith("AT#SOCKETCREATE="):
        return "create"
    if upper.startswith("AT#TCPCONNECT="):
        return "connect"
    if upper.startswith("AT#TCPCONNECT?"):
        return "status"
    if upper.startswith(("AT#IPSENDTCP=", "AT#IPSENDUDP=")):
        return "send"
    if upper.startswith("AT#IPREAD="):
        return "read" if read_length(replies) > 0 else "empty read"
    if upper.startswith("AT#SOCKETCLOSE="):
        return "close"
    return command.split("=")[0]


def read_length(replies):
    for reply in replies:
        if reply.upper().startswith("#IPREAD:"):
            try:
                return int(reply.split(",")[-1])
            except ValueError:
                return 0
    return 0


def one_get(index):
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--profile", "note", "--baud", str(BAUD)) as modem:
        with open(os.path.join(tmp, "small.txt"), "wb") as f:
            f.write(b"x" * BODY)
        benchlib.run_checked(["curl", "--silent", "--show-error", "--fail", "--max-time", "30", "-o", os.devnull,
                              "http://127.0.0.1:%d/small.txt" % server.server_port],
                             modem.env(ST87_BAUD=BAUD), 40, "curl GET %d" % index)
        modem.stop()
        return modem.stats(), commands_from_trace(modem.trace())


def split_phases(commands):
    for index, (command, _) in enumerate(commands):
        if command.upper().startswith("AT#SOCKETCREATE="):
            return commands[:index], commands[index:]
    return commands, []


def counts(commands):
    tally = {}
    for command, replies in commands:
        name = kind(command, replies)
        tally[name] = tally.get(name, 0) + 1
    return tally


def sequence(commands):
    """The connection's commands in short: create connect send read(187) ... close."""
    words = []
    for command, replies in commands:
        name = kind(command, replies)
        words.append("read(%d)" % read_length(replies) if name == "read" else name.replace(" ", "-"))
    return " ".join(words)


def run(bench):
    runs = [one_get(i) for i in range(RUNS)]
    phases = []
    for stats, commands in runs:
        if sum(stats["commands"].values()) != len(commands):
            bench.note("the trace lists %d commands, the stats %d" % (len(commands), sum(stats["commands"].values())))
        phases.append(split_phases(commands))
    per_connection = [len(connection) for _, connection in phases]
    start_up = [len(before) for before, _ in phases]
    worst = max(range(RUNS), key=lambda i: per_connection[i])
    stats, commands = runs[worst]
    before, connection = phases[worst]

    response = sum(read_length(replies) for command, replies in connection if kind(command, replies) == "read")
    request = stats["payload_sent"]
    sends, reads = math.ceil(request / SEND_CHUNK), max(1, math.ceil(response / READ_CHUNK))
    minimum = 2 + sends + reads + 1
    tally = counts(connection)
    bench.figure("round trips small HTTP GET per connection", max(per_connection),
                 "runs: %s; worst run: %s; minimum %d (create, connect, %d send, %d read, close), extra %d"
                 % (", ".join(map(str, per_connection)),
                    ", ".join("%s %d" % item for item in sorted(tally.items())),
                    minimum, sends, reads, max(per_connection) - minimum))
    bench.figure("round trips modem start-up per process", max(start_up),
                 "runs: %s; %s" % (", ".join(map(str, start_up)),
                                   ", ".join("%s %d" % item for item in sorted(counts(before).items()))))
    bench.figure("round trips small HTTP GET in all", max(a + b for a, b in zip(start_up, per_connection)),
                 "request %d B, response %d B" % (request, response))
    for index, (_, connection_commands) in enumerate(phases):
        bench.note("run %d, connection: %s" % (index + 1, sequence(connection_commands)))
    bench.note("commands of run %d (one round trip each; '|' separates reply lines, URCs included):" % (worst + 1))
    for number, (command, replies) in enumerate(commands, 1):
        phase = "start-up  " if number <= len(before) else "connection"
        bench.note("  %2d %s %-36s -> %s" % (number, phase, command, " | ".join(replies)))


if __name__ == "__main__":
    benchlib.main("round trips", run)
