#!/usr/bin/env python3
"""Line-rate efficiency: payload bytes per second through the shim over the line rate (baud/10 B/s).

    bench_linerate.py BAUD

st87-fakemodem paces both directions of its pseudo-terminal at BAUD/10 bytes
per second. Through the shim, at that pace:

- TCP download: curl GETs a file from a local HTTP server;
- TCP upload: curl POSTs a file to it;
- UDP upload: a python3 client sends 512-byte datagrams to a local sink as
  fast as send() takes them;
- UDP download: a local server offers 512-byte datagrams to the client at
  the full line rate (more than the AT framing can carry, so the modem's
  receive buffer stays full and drops the rest, as a real modem would), and
  the client counts what it receives.

Each in binary mode (the target, at least 0.90) and with ST87_HEX=1 beside
it. ST87_HEX changes how payloads are sent (hex text), not AT#IPREAD, so
the hex downloads move a quarter of the data. Every transfer gets a fresh
fake modem, whose counters give the AT bytes beside each figure: the
overhead is (bytes to host + bytes from host - payload) / payload, counting
the start-up and connect commands too, and "payload share" is payload /
(bytes both ways). Commands and their answers alternate, so the share is
about what a real line can carry; URCs can overlap a command, and the fake
modem's pacing allows a burst of 10 ms of bytes after a pause, so a measured
efficiency can come out a little above it.

The fake modem hands out TCP data in 1500-byte reads by default; one more
download runs with --read-chunk 512 (real firmware returns one IP frame per
read, 512 to 1600 bytes), at half the size.

The time of a TCP transfer is curl's, from the request (time_pretransfer)
to the end (time_total): connect and the modem's start-up are left out. The
time of a UDP transfer runs from the first send() to the last datagram's
arrival (upload), or from the first arrival to the last (download).
"""
import json
import os
import socket
import sys
import threading
import time

import benchlib
from harness import fake_modem, http_server, random_file, sha256_file, workdir

DATAGRAM = 512
TARGET = (0.90, "at_least", "")
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


def report(bench, what, baud, hex_mode, payload, seconds, wall, stats, payload_key, extra="", variant=""):
    mode = ("hex" if hex_mode else "binary") + variant
    efficiency = payload / seconds / line_rate(baud)
    detail = "payload %d B in %.2f s" % (payload, seconds)
    if wall is not None:
        detail += ", %.2f s in all" % wall
    if extra:
        detail += ", " + extra
    bench.figure("line-rate %s %d baud %s" % (what, baud, mode), efficiency, detail,
                 None if hex_mode else TARGET, digits=3)
    both = stats["bytes_to_host"] + stats["bytes_from_host"]
    moved = stats[payload_key]
    extra_bytes = benchlib.overhead(both, moved)
    bench.figure("AT overhead %s %d baud %s" % (what, baud, mode),
                 "n/a" if extra_bytes is None else "%+.1f%%" % extra_bytes,
                 "to host %d B, from host %d B, payload %d B %s; payload share %.3f"
                 % (stats["bytes_to_host"], stats["bytes_from_host"], moved,
                    "down" if payload_key == "payload_received" else "up", moved / both if both else 0))
    bench.note("commands: " + benchlib.dump(stats["commands"]))


def tcp_download(bench, baud, size, hex_mode, read_chunk=None):
    switches = ["--baud", str(baud)] + (["--read-chunk", str(read_chunk)] if read_chunk else [])
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
           wall, stats, "payload_received", variant=", %d-byte reads" % read_chunk if read_chunk else "")


def tcp_upload(bench, baud, size, hex_mode):
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--baud", str(baud)) as modem:
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
    report(bench, "upload", baud, hex_mode, times["uploaded"], times["total"] - times["pretransfer"],
           wall, stats, "payload_sent")


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


def udp_upload(bench, baud, size, hex_mode):
    count = max(1, size // DATAGRAM)
    limit = 30 + 8 * size / line_rate(baud)
    with workdir() as tmp, fake_modem(tmp, "--baud", str(baud)) as modem, \
            UdpSink(count, time.monotonic() + limit) as sink:
        result = udp_client(modem, baud, hex_mode, "send", sink.port, count, DATAGRAM, timeout=limit + 10)
        client = json.loads(result.stdout)
        if sink.received != count:
            raise RuntimeError("the sink got %d of %d datagrams" % (sink.received, count))
        modem.stop()
        stats = modem.stats()
    report(bench, "UDP upload", baud, hex_mode, sink.bytes, sink.last - client["start"], None, stats,
           "payload_sent")


def udp_download(bench, baud, size, hex_mode):
    count = max(2, size // DATAGRAM)
    offered = line_rate(baud)
    limit = 30 + 4 * size / offered
    with workdir() as tmp, fake_modem(tmp, "--baud", str(baud)) as modem, \
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
           % (client["count"], source.sent, stats.get("udp_dropped", 0)))


def body(baud):
    # About 11 s per binary transfer: 128 KiB at 115200 baud, 1 MiB at 921600.
    size = int(128 * 1024 * baud / 115200 * benchlib.scale())
    size -= size % DATAGRAM

    def run(bench):
        tcp_download(bench, baud, size, False)
        tcp_download(bench, baud, size // 4, True)
        tcp_download(bench, baud, size // 2, False, read_chunk=512)
        tcp_upload(bench, baud, size, False)
        tcp_upload(bench, baud, size // 2, True)
        udp_upload(bench, baud, size, False)
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
