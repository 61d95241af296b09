#!/usr/bin/env python3
"""Line-rate efficiency: payload bytes per second through the shim over the line rate (baud/10 B/s).

    bench_linerate.py BAUD

st87-fakemodem paces both directions of its pseudo-terminal like a strict
UART at BAUD/10 bytes per second: never faster than the line, and no credit
for idle time (tests/fakemodem/pacing.h). Through the shim, at that pace:

- TCP download: curl GETs a file from a local HTTP server;
- TCP upload: curl POSTs a file to it;
- UDP upload: a python3 client sends 512-byte datagrams to a local sink as
  fast as send() takes them;
- UDP download: a local server offers 512-byte datagrams to the client at
  the full line rate (more than the AT framing can carry, so the modem's
  receive buffer stays full and drops the rest, as a real modem would), and
  the client counts what it receives.

Uploads run in binary mode with each send handshake of the firmware
variants (tests/fakemodem/README.md), chosen by explicit fake modem switches
so that ST87_FAKEMODEM_PROFILE in the environment changes nothing:

- one-step 512: `--profile note` (data right after the line, 512 bytes per
  send), target 0.93;
- two-step 512: `--profile maker --max-send 512` (the line, its OK, then the
  data and a second result), target 0.91;
- two-step 1024: `--profile maker` (1024 bytes per send), target 0.95; TCP
  only: a 512-byte datagram is one 512-byte send either way.

Downloads run with `--profile note` (target 0.90), and ST87_HEX=1 gets one
run beside the binary ones (no target). ST87_HEX changes how payloads are
sent (hex text), not AT#IPREAD, so the hex downloads move a quarter of the
data. The fake modem hands out TCP data in 1500-byte reads under `note`;
one more download runs with --read-chunk 512 (real firmware returns one IP
frame per read, 512 to 1600 bytes), at half the size.

Each binary TCP upload also runs st87-bench-minimal-host
(bench/minimal_host.c) on a fake modem of its own with the same switches:
the least a host can do (each send written as soon as the previous final
result is read, nothing else), so what the pty and this machine's
scheduling cost every host shows apart from what the shim costs. Its figure
is printed, and the shim's over it ("over the minimal host"): 1.0 means the
shim loses nothing a host could avoid. These uploads run UPLOAD_RUNS (3)
times, each beside a run of the minimal host, and the median run of each is
reported with every run's figure: on this shared machine the host's bytes
sometimes reach the fake modem about 4 ms late (the pty's hand-over or the
scheduling of its reader), for seconds at a time, which moves a single run
by a few hundredths.

Every case prints three figures:

- the measured efficiency (payload bytes/s over baud/10), with its target;
- the framing ceiling: the payload's share of the bytes on the line,
  payload / (bytes to host + bytes from host) from the fake modem's
  counters, start-up and connect commands included. Commands and their
  answers alternate, so that share is what a line can carry for the case;
  URCs can overlap a command, so a measured figure may come out a hair
  above it;
- their ratio, measured over ceiling: how much of what the framing allows
  the driver gets, so a regression shows as a ratio.

Every transfer gets a fresh fake modem. The time of a TCP transfer is
curl's, from the request (time_pretransfer) to the end (time_total):
connect and the modem's start-up are left out. The time of a UDP transfer
runs from the first send() to the last datagram's arrival (upload), or from
the first arrival to the last (download).
"""
import json
import os
import socket
import sys
import threading
import time

import benchlib
from fakemodem_fixture import workdir
from harness import fake_modem, http_server, random_file, sha256_file, tcp_server

DATAGRAM = 512
DOWNLOAD_TARGET = 0.90
NOTE = ("--profile", "note")
# Upload send modes: label, fake modem switches, target efficiency, send size, handshake.
ONE_STEP_512 = ("one-step 512", NOTE, 0.93, 512, "one-step")
TWO_STEP_512 = ("two-step 512", ("--profile", "maker", "--max-send", "512"), 0.91, 512, "two-step")
TWO_STEP_1024 = ("two-step 1024", ("--profile", "maker"), 0.95, 1024, "two-step")
# Binary TCP uploads run this often, each beside a run of the minimal host; the median run is reported.
UPLOAD_RUNS = 3
CURL_TIMES = "%{time_pretransfer} %{time_starttransfer} %{time_total} %{size_download} %{size_upload} %{http_code}"
HERE = os.path.dirname(os.path.abspath(__file__))


def line_rate(baud):
    return baud / 10.0


def modem_env(modem, baud, hex_mode):
    return modem.env(ST87_BAUD=baud, ST87_HEX="1" if hex_mode else "0")


def curl_times(stdout):
    fields = stdout.decode().split()
    return {"pretransfer": float(fields[0]), "starttransfer": float(fields[1]), "total": float(fields[2]),
            "downloaded": int(fields[3]), "uploaded": int(fields[4]), "code": fields[5]}


def report(bench, what, baud, hex_mode, payload, seconds, wall, stats, payload_key, extra="", variant="",
           target=None):
    """The three figures of a case: measured efficiency, framing ceiling, ratio."""
    case = "%s %d baud %s" % (what, baud, ("hex" if hex_mode else "binary") + variant)
    efficiency = payload / seconds / line_rate(baud)
    detail = "payload %d B in %.2f s" % (payload, seconds)
    if wall is not None:
        detail += ", %.2f s in all" % wall
    if extra:
        detail += ", " + extra
    bench.figure("line-rate " + case, efficiency, detail,
                 None if target is None else (target, "at_least", ""), digits=3)
    both = stats["bytes_to_host"] + stats["bytes_from_host"]
    moved = stats[payload_key]
    ceiling = moved / both if both else 0.0
    extra_bytes = benchlib.overhead(both, moved)
    bench.figure("framing ceiling " + case, ceiling,
                 "payload share of the line: to host %d B, from host %d B, payload %d B %s; AT overhead %s"
                 % (stats["bytes_to_host"], stats["bytes_from_host"], moved,
                    "down" if payload_key == "payload_received" else "up",
                    "n/a" if extra_bytes is None else "%+.1f%%" % extra_bytes), digits=3)
    bench.figure("ratio to ceiling " + case, efficiency / ceiling if ceiling else 0.0,
                 "%.3f / %.3f" % (efficiency, ceiling), digits=3)
    bench.note("modem: %s, send handshake %s; commands: %s"
               % (stats.get("profile", "?"), stats.get("send_handshake", "?"), benchlib.dump(stats["commands"])))
    return efficiency


def tcp_download(bench, baud, size, hex_mode, read_chunk=None):
    switches = ["--baud", str(baud), *NOTE] + (["--read-chunk", str(read_chunk)] if read_chunk else [])
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, *switches) as modem:
        digest = random_file(os.path.join(tmp, "file.bin"), size)
        out = os.path.join(tmp, "got.bin")
        limit = 30 + 4 * size / line_rate(baud)
        started = time.monotonic()
        result = benchlib.run_checked(
            ["curl", "--silent", "--show-error", "--fail", "--max-time", "%.0f" % limit, "-o", out,
             "-w", CURL_TIMES, "http://127.0.0.1:%d/file.bin" % server.server_port],
            modem_env(modem, baud, hex_mode), limit + 10, "curl download")
        wall = time.monotonic() - started
        if sha256_file(out) != digest:
            raise RuntimeError("the downloaded file differs")
        modem.stop()
        stats = modem.stats()
    times = curl_times(result.stdout)
    report(bench, "download", baud, hex_mode, times["downloaded"], times["total"] - times["pretransfer"],
           wall, stats, "payload_received", variant=", %d-byte reads" % read_chunk if read_chunk else "",
           target=None if hex_mode else DOWNLOAD_TARGET)


def drain(connection):
    while connection.recv(65536):
        pass


def minimal_host_upload_once(baud, size, send_mode):
    """One upload by st87-bench-minimal-host: (payload, seconds, stats)."""
    _, switches, _, chunk, handshake = send_mode
    with workdir() as tmp, tcp_server(drain) as sink, fake_modem(tmp, "--baud", str(baud), *switches) as modem:
        result = benchlib.run_checked(
            [benchlib.Programs.minimal_host, modem.link, str(sink.server_address[1]), str(size), str(chunk),
             handshake], None, 30 + 8 * size / line_rate(baud), "st87-bench-minimal-host")
        modem.stop()
        stats = modem.stats()
    figures = dict(line.split() for line in result.stdout.decode().splitlines())
    if stats["payload_sent"] != size:
        raise RuntimeError("the minimal host's modem sent %d bytes of %d" % (stats["payload_sent"], size))
    return size, float(figures["seconds"]), stats


def tcp_upload_once(baud, size, hex_mode, send_mode):
    """One curl POST through the shim: (payload, seconds, wall, stats); the time is curl's, request to end."""
    switches = send_mode[1]
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--baud", str(baud), *switches) as modem:
        body = os.path.join(tmp, "body.bin")
        digest = random_file(body, size)
        limit = 30 + 8 * size / line_rate(baud)
        started = time.monotonic()
        # "Expect:" off: the local server is HTTP/1.0 and would make curl wait a second for "100 Continue".
        result = benchlib.run_checked(
            ["curl", "--silent", "--show-error", "--fail", "--max-time", "%.0f" % limit, "-o", os.devnull,
             "-w", CURL_TIMES, "-H", "Expect:", "-H", "Content-Type: application/octet-stream",
             "--data-binary", "@" + body, "http://127.0.0.1:%d/upload" % server.server_port],
            modem_env(modem, baud, hex_mode), limit + 10, "curl upload")
        wall = time.monotonic() - started
        if server.posted != [(size, digest)]:
            raise RuntimeError("the server got %r" % server.posted)
        modem.stop()
        stats = modem.stats()
    times = curl_times(result.stdout)
    return times["uploaded"], times["total"] - times["pretransfer"], wall, stats


def median_run(runs, baud):
    """The run of median time, and the efficiency of every run in the order they ran."""
    ordered = sorted(runs, key=lambda run: run[1])
    efficiencies = ", ".join("%.3f" % (run[0] / run[1] / line_rate(baud)) for run in runs)
    return ordered[len(ordered) // 2], "median of %d runs: %s" % (len(runs), efficiencies)


def tcp_upload(bench, baud, size, hex_mode, send_mode=ONE_STEP_512):
    label, _, target = send_mode[:3]
    if hex_mode:
        payload, seconds, wall, stats = tcp_upload_once(baud, size, hex_mode, send_mode)
        report(bench, "upload", baud, hex_mode, payload, seconds, wall, stats, "payload_sent")
        return
    # Alternated with the minimal host's, so that a stretch of this machine's noise (the host's bytes
    # reaching the fake modem milliseconds late, for seconds at a time) falls on both alike.
    shim_runs, minimal_runs = [], []
    for _ in range(UPLOAD_RUNS):
        shim_runs.append(tcp_upload_once(baud, size, hex_mode, send_mode))
        minimal_runs.append(minimal_host_upload_once(baud, size, send_mode))
    (payload, seconds, wall, stats), spread = median_run(shim_runs, baud)
    efficiency = report(bench, "upload", baud, hex_mode, payload, seconds, wall, stats, "payload_sent",
                        extra=spread, variant=", " + label, target=target)
    (payload, seconds, stats), spread = median_run(minimal_runs, baud)
    reference = report(bench, "upload by the minimal host", baud, False, payload, seconds, None, stats,
                       "payload_sent", extra=spread, variant=", " + label)
    bench.figure("upload %d baud binary, %s, shim over the minimal host" % (baud, label),
                 efficiency / reference, "%.3f / %.3f" % (efficiency, reference), digits=3)


class UdpSink:
    """Counts datagrams on 127.0.0.1 and answers "done" once @count have arrived."""

    def __init__(self, count, deadline):
        self.count, self.deadline = count, deadline
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = self.bytes = 0
        self.last = None
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self):
        peer = None
        while self.received < self.count and time.monotonic() < self.deadline:
            try:
                data, peer = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            self.last = time.monotonic()
            self.received += 1
            self.bytes += len(data)
        if peer is not None and self.received == self.count:
            self.sock.sendto(b"done", peer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.deadline = 0
        self.thread.join()
        self.sock.close()


class UdpSource:
    """Waits for "start", then offers @count datagrams paced at @rate payload bytes/s, then "end"."""

    def __init__(self, count, rate, deadline):
        self.count, self.rate, self.deadline = count, rate, deadline
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.sent = 0
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self):
        peer = None
        while peer is None and not self.stop and time.monotonic() < self.deadline:
            try:
                data, peer = self.sock.recvfrom(64)
            except socket.timeout:
                continue
        if peer is None:
            return
        payload = bytearray(os.urandom(DATAGRAM))
        start = time.monotonic()
        for sequence in range(self.count):
            if self.stop or time.monotonic() > self.deadline:
                return
            due = start + sequence * DATAGRAM / self.rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            payload[0:4] = sequence.to_bytes(4, "big")
            self.sock.sendto(payload, peer)
            self.sent += 1
        # Once the modem's buffer has drained, "end" gets through.
        time.sleep(0.5)
        self.sock.sendto(b"end", peer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()
        self.sock.close()


def udp_client(modem, baud, hex_mode, *arguments, timeout):
    return benchlib.run_checked([sys.executable, os.path.join(HERE, "udp_client.py"), *map(str, arguments)],
                                modem_env(modem, baud, hex_mode), timeout, "the UDP client")


def udp_upload(bench, baud, size, hex_mode, send_mode=ONE_STEP_512):
    label, switches, target = send_mode[:3]
    count = max(1, size // DATAGRAM)
    limit = 30 + 8 * size / line_rate(baud)
    with workdir() as tmp, fake_modem(tmp, "--baud", str(baud), *switches) as modem, \
            UdpSink(count, time.monotonic() + limit) as sink:
        result = udp_client(modem, baud, hex_mode, "send", sink.port, count, DATAGRAM, timeout=limit + 10)
        client = json.loads(result.stdout)
        if sink.received != count:
            raise RuntimeError("the sink got %d of %d datagrams" % (sink.received, count))
        modem.stop()
        stats = modem.stats()
    report(bench, "UDP upload", baud, hex_mode, sink.bytes, sink.last - client["start"], None, stats,
           "payload_sent", variant="" if hex_mode else ", " + label, target=None if hex_mode else target)


def udp_download(bench, baud, size, hex_mode):
    count = max(2, size // DATAGRAM)
    offered = line_rate(baud)
    limit = 30 + 4 * size / offered
    with workdir() as tmp, fake_modem(tmp, "--baud", str(baud), *NOTE) as modem, \
            UdpSource(count, offered, time.monotonic() + limit) as source:
        result = udp_client(modem, baud, hex_mode, "receive", source.port, 3.0, timeout=limit + 10)
        client = json.loads(result.stdout)
        modem.stop()
        stats = modem.stats()
    if client["count"] < 2:
        raise RuntimeError("the UDP client received %d datagrams" % client["count"])
    # From the first arrival to the last: the first datagram's bytes are not in that interval.
    carried = client["bytes"] - DATAGRAM
    report(bench, "UDP download", baud, hex_mode, carried, client["last"] - client["first"], None, stats,
           "payload_received",
           extra="%d of %d datagrams offered at the line rate arrived, %d dropped by the modem"
           % (client["count"], source.sent, stats.get("udp_dropped", 0)),
           target=None if hex_mode else DOWNLOAD_TARGET)


def body(baud):
    # About 11 s per binary transfer: 128 KiB at 115200 baud, 1 MiB at 921600.
    size = int(128 * 1024 * baud / 115200 * benchlib.scale())
    size -= size % DATAGRAM

    def run(bench):
        tcp_download(bench, baud, size, False)
        tcp_download(bench, baud, size // 4, True)
        tcp_download(bench, baud, size // 2, False, read_chunk=512)
        for send_mode in (ONE_STEP_512, TWO_STEP_512, TWO_STEP_1024):
            tcp_upload(bench, baud, size, False, send_mode)
        tcp_upload(bench, baud, size // 2, True)
        for send_mode in (ONE_STEP_512, TWO_STEP_512):
            udp_upload(bench, baud, size, False, send_mode)
        udp_upload(bench, baud, size // 2, True)
        udp_download(bench, baud, size, False)
        udp_download(bench, baud, size // 4, True)
    return run


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        print("usage: bench_linerate.py BAUD", file=sys.stderr)
        sys.exit(2)
    baud = int(sys.argv[1])
    benchlib.main("line-rate %d baud" % baud, body(baud))


if __name__ == "__main__":
    main()
