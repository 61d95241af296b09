#!/usr/bin/env python3
"""One HTTP transaction over NB-IoT, against the network's own minimum.

curl runs through the shim (LD_PRELOAD, ST87_DAEMON=off, ST87_ROUTE=
127.0.0.1/32) against a local HTTP server, each run over a fresh
st87-fakemodem with `--network nbiot` (tests/fakemodem/README.md, "Network"):

- GET: a 32 KiB file;
- upload: a POST of a 16 KiB body (`-H "Expect:"`: without it curl 7.x
  sends the headers alone and waits its 1 s expect-100 timer before the
  body, since the test server never answers 100 Continue; that second is
  curl's, not the driver's or the network's).

The network's own minimum for one such transaction, from the fake modem's
air model (tests/fakemodem/air.c) and its effective figures (the stats'
"network": setup S, round trip RTT, uplink rate R_up, downlink rate R_down,
all after --network-scale) and the bytes it carried (U = uplink_bytes_sent,
D = downlink_bytes_sent):

    minimum = S + RTT + U / R_up + RTT/2 + RTT/2 + D / R_down
            = S + 2 RTT + U / R_up + D / R_down

- S + RTT: AT#TCPCONNECT on an idle radio answers one RRC setup and one
  round trip after it is sent (air_round_trip); nothing may be sent before.
- U / R_up + RTT/2: the request (headers and body) goes on the air at the
  uplink rate behind the queue, and reaches the server RTT/2 after its last
  byte (air_uplink); a host that keeps the 4096-byte uplink queue from
  running dry keeps the air busy throughout.
- RTT/2 + D / R_down: the server's answer crosses the network (RTT/2) and
  then goes over the air at the downlink rate before it reaches the receive
  buffer (air_downlink). The modem's 4096-byte receive buffer counts bytes
  in flight too, but it exceeds R_down x RTT/2 (2400 B at full scale), so a
  host that reads at once never starves the air.
- The server answers only once the whole request is in, so the two
  directions do not overlap. The modem's start-up commands, the socket's
  creation and its close are local (the pty) and add nothing to it.

The measured time is curl's wall time, from its start to its exit (the
transaction as the program's user sees it, the shim's start-up included).
Figures per case, the median of RUNS (3) runs with every run's figure (the
machine is shared and noisy):

- time over minimum (target <= 1.15), the measured and minimum seconds;
- AT commands the host sent (the fake modem's counters), by kind;
- radio-connected seconds (radio_connected_ms, the fake modem stopped as
  soon as curl exits): the network's least for it is the minimum less S.
  The radio then stays connected for radio_idle_after (10 s) more in any
  case: that tail is the network's and is not counted.

The AT commands are set beside a floor: the start-up commands as sent
(those before the socket's creation), then create, connect, one send per
--max-send bytes of U, one read per --read-chunk bytes of D (the profile's:
note 512 and 1500, maker 1024 and 1024), close.

Where the time over the minimum goes, from the shim's own trace (ST87_TRACE,
timestamped; writing it costs a few milliseconds a run) of the median run:
before the first command (the process and the shim starting), the connect's
answer beyond S + RTT, the host's turn from that answer to its first send,
the waits between a send line and its data (the send handshake's detection:
the air is idle meanwhile on the first send), and the end (from the last
#IPRECV through the reads, the link check and the close to curl's exit);
the rest is time the air stood idle in between (a send or read late).

ST87_BENCH_NBIOT_SCALE (default 1) is passed as --network-scale, for a
quick run (delays divided, rates multiplied: the ratios keep their sense).
ST87_BENCH_NBIOT_KEEP=DIR keeps each run's fake modem trace and stats and
the shim's trace in DIR.
"""
import datetime
import math
import os
import shutil
import time

import benchlib
from bench_roundtrips import commands_from_trace, kind
from fakemodem_fixture import workdir
from harness import fake_modem, http_server, random_file, sha256_file

RUNS = 3
TARGET = 1.15
GET_SIZE = 32 * 1024
UPLOAD_SIZE = 16 * 1024
# The fake modem's --max-send and --read-chunk under each profile (tests/fakemodem/README.md).
PROFILE_CHUNKS = {"note": (512, 1500), "maker": (1024, 1024)}
CURL_TIMES = "%{time_connect} %{time_pretransfer} %{time_starttransfer} %{time_total} %{http_code}"


def network_scale():
    return os.environ.get("ST87_BENCH_NBIOT_SCALE", "1") or "1"


def keep_dir():
    return os.environ.get("ST87_BENCH_NBIOT_KEEP", "")


def air_seconds(count, rate):
    return count / rate if rate > 0 else 0.0


def minimum(stats):
    """(seconds, its terms) of the network's own minimum for what this run carried (see the docstring)."""
    net = stats["network"]
    setup = net["rrc_setup_ms"] / 1000.0
    rtt = net["rtt_ms"] / 1000.0
    up = air_seconds(stats["uplink_bytes_sent"], net["uplink_rate"])
    down = air_seconds(stats["downlink_bytes_sent"], net["downlink_rate"])
    terms = "setup %.2f + 2 RTT %.2f + %d B up %.2f + %d B down %.2f" % (
        setup, 2 * rtt, stats["uplink_bytes_sent"], up, stats["downlink_bytes_sent"], down)
    return setup + 2 * rtt + up + down, setup, terms


def curl_command(case, port, tmp):
    base = ["curl", "--silent", "--show-error", "--fail", "--max-time", "600", "-w", CURL_TIMES]
    if case == "GET":
        return base + ["-o", os.path.join(tmp, "got.bin"), "http://127.0.0.1:%d/page.bin" % port]
    return base + ["-o", os.devnull, "-H", "Expect:", "--data-binary", "@" + os.path.join(tmp, "body.bin"),
                   "http://127.0.0.1:%d/upload" % port]


def keep(tmp, case, index, shim_trace, modem):
    where = keep_dir()
    if not where:
        return
    os.makedirs(where, exist_ok=True)
    stem = os.path.join(where, "%s-%d" % (case.lower(), index + 1))
    for source, suffix in ((modem.trace_path, "modem-trace.txt"), (modem.stats_path, "stats.json"),
                           (shim_trace, "shim-trace.txt")):
        if os.path.exists(source):
            shutil.copy(source, "%s-%s" % (stem, suffix))


def one_run(case, index):
    """One transaction over a fresh fake modem: {seconds, stats, commands, curl}."""
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--network", "nbiot", "--network-scale", network_scale()) as modem:
        digest = random_file(os.path.join(tmp, "page.bin" if case == "GET" else "body.bin"),
                             GET_SIZE if case == "GET" else UPLOAD_SIZE)
        shim_trace = os.path.join(tmp, "shim-trace.txt")
        env = modem.env(ST87_DAEMON="off", ST87_TRACE=shim_trace)
        wall_started = datetime.datetime.now()
        started = time.monotonic()
        result = benchlib.run_checked(curl_command(case, server.server_port, tmp), env, 900,
                                      "curl %s %d" % (case, index + 1))
        seconds = time.monotonic() - started
        modem.stop()
        if case == "GET":
            exact = sha256_file(os.path.join(tmp, "got.bin")) == digest
        else:
            exact = server.posted == [(UPLOAD_SIZE, digest)]
        if not exact:
            raise RuntimeError("%s %d was not byte-exact" % (case, index + 1))
        keep(tmp, case, index, shim_trace, modem)
        fields = result.stdout.decode().split()
        curl = dict(zip(("connect", "pretransfer", "starttransfer", "total"), map(float, fields[:4])))
        with open(shim_trace, errors="replace") as f:
            timed = timed_lines(f.read())
        return {"seconds": seconds, "stats": modem.stats(), "commands": commands_from_trace(modem.trace()),
                "curl": curl, "timed": timed, "wall_started": wall_started}


def timed_lines(text):
    """[(seconds since the epoch of the local clock, '>' or '<', text)] from the shim's trace."""
    lines = []
    for line in text.splitlines():
        parts = line.split(" ", 4)
        if len(parts) < 5 or parts[3] not in (">", "<"):
            continue
        try:
            when = datetime.datetime.strptime(parts[0] + " " + parts[1], "%Y-%m-%d %H:%M:%S.%f")
        except ValueError:
            continue
        lines.append((when, parts[3], parts[4]))
    return lines


def excess_parts(run):
    """[(what, seconds)] of the time over the minimum (see the docstring), the rest last."""
    timed = run["timed"]
    if not timed:
        return []
    net = run["stats"]["network"]
    since = lambda a, b: (b - a).total_seconds()  # noqa: E731
    connect = [i for i, (_, way, text) in enumerate(timed) if way == ">" and text.startswith("AT#TCPCONNECT=")]
    answer = next((i for i in range(connect[0] + 1, len(timed)) if timed[i][1] == "<"), None) if connect else None
    sends = [i for i, (_, way, text) in enumerate(timed) if way == ">" and text.startswith("AT#IPSEND")]
    received = [i for i, (_, way, text) in enumerate(timed) if way == "<" and text.startswith("#IPRECV")]
    parts = [("start", since(run["wall_started"], timed[0][0]))]
    if answer is not None:
        parts.append(("connect over S+RTT", since(timed[connect[0]][0], timed[answer][0])
                      - (net["rrc_setup_ms"] + net["rtt_ms"]) / 1000.0))
        if sends:
            parts.append(("first send's turn", since(timed[answer][0], timed[sends[0]][0])))
    waits = [since(timed[i][0], timed[i + 1][0]) for i in sends
             if i + 1 < len(timed) and timed[i + 1][2].startswith("[binary")]
    parts.append(("send handshake waits", sum(waits)))
    if received:
        ended = run["wall_started"] + datetime.timedelta(seconds=run["seconds"])
        parts.append(("end", since(timed[received[-1]][0], ended)))
    parts.append(("rest", run["seconds"] - run["minimum"] - sum(value for _, value in parts)))
    return parts


def at_floor(run):
    """(floor, its terms): the fewest commands the transaction needs (see the docstring)."""
    max_send, read_chunk = PROFILE_CHUNKS.get(run["stats"]["profile"], PROFILE_CHUNKS["note"])
    start_up = next((i for i, (command, _) in enumerate(run["commands"])
                     if command.upper().startswith("AT#SOCKETCREATE=")), len(run["commands"]))
    sends = math.ceil(run["stats"]["uplink_bytes_sent"] / max_send)
    reads = math.ceil(run["stats"]["downlink_bytes_sent"] / read_chunk)
    return start_up + 3 + sends + reads, "start-up %d, create, connect, %d send, %d read, close" % (
        start_up, sends, reads)


def tally(commands):
    counts = {}
    for command, replies in commands:
        name = kind(command, replies)
        counts[name] = counts.get(name, 0) + 1
    return ", ".join("%s %d" % item for item in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def listing(values, form):
    return ", ".join(form % value for value in values)


def report(bench, case, label, runs):
    for run in runs:
        run["minimum"], run["setup"], run["terms"] = minimum(run["stats"])
        run["ratio"] = run["seconds"] / run["minimum"]
        run["at"] = sum(run["stats"]["commands"].values())
        run["connected"] = run["stats"]["radio_connected_ms"] / 1000.0
    ordered = sorted(range(len(runs)), key=lambda i: runs[i]["ratio"])
    middle = runs[ordered[len(ordered) // 2]]
    ratios = [run["ratio"] for run in runs]
    bench.figure("nbiot %s time over minimum" % label, benchlib.median(ratios),
                 "median of runs %s; %.2f s over a minimum of %.2f s (%s)"
                 % (listing(ratios, "%.3f"), middle["seconds"], middle["minimum"], middle["terms"]),
                 target=(TARGET, "at_most", ""), digits=3)
    bench.figure("nbiot %s seconds" % label, benchlib.median([run["seconds"] for run in runs]),
                 "runs %s; curl's connect, first byte, total in the median run: %.2f, %.2f, %.2f s"
                 % (listing([run["seconds"] for run in runs], "%.2f"), middle["curl"]["connect"],
                    middle["curl"]["starttransfer"], middle["curl"]["total"]), digits=2)
    parts = excess_parts(middle)
    if parts:
        bench.note("%s: %.3f s over the minimum in the median run: %s" % (
            label, middle["seconds"] - middle["minimum"],
            ", ".join("%s %.3f" % (what, value) for what, value in parts)))
    floor, floor_terms = at_floor(middle)
    bench.figure("nbiot %s AT commands" % label, benchlib.median([run["at"] for run in runs]),
                 "runs %s; floor %d (%s); median run: %s" % (listing([run["at"] for run in runs], "%d"), floor,
                                                            floor_terms, tally(middle["commands"])))
    least = middle["minimum"] - middle["setup"]
    bench.figure("nbiot %s radio-connected seconds" % label, benchlib.median([run["connected"] for run in runs]),
                 "runs %s; the network's least %.2f s; RRC setups %s; then %.0f s more until idle, in any case"
                 % (listing([run["connected"] for run in runs], "%.2f"), least,
                    listing([run["stats"]["rrc_setups"] for run in runs], "%d"),
                    middle["stats"]["network"]["radio_idle_after_ms"] / 1000.0), digits=2)
    bench.note("%s: uplink %d B, downlink %d B, sends held for the uplink %s, late answers %d; profile %s"
               % (label, middle["stats"]["uplink_bytes_sent"], middle["stats"]["downlink_bytes_sent"],
                  listing([run["stats"]["sends_held_for_uplink"] for run in runs], "%d"),
                  middle["stats"]["late_answers"], middle["stats"]["profile"]))


def run(bench):
    bench.note("network nbiot, scale %s; %d runs per case, each over a fresh fake modem" % (network_scale(), RUNS))
    for case, label in (("GET", "GET 32 KiB"), ("POST", "upload 16 KiB")):
        report(bench, case, label, [one_run(case, index) for index in range(RUNS)])


if __name__ == "__main__":
    benchlib.main("nbiot", run)
