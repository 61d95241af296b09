#!/usr/bin/env python3
"""Self-test of st87-fakemodem's network model (--network, --rtt, --uplink-rate, ...).

Usage: selftest_network.py PATH-TO-st87-fakemodem [TEST-NAME...]

Uses selftest.py's Modem (the host's side of the pty) and helper servers.
Every timing check is a lower bound taken from the modem's figures: the
machine is shared, so a check never says "at most" tighter than many times
the figure. Counts come from the modem's --stats.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import selftest
from selftest import Modem, TcpServer, UdpEcho, check, echo_handler, eq

TESTS = []
# An upper bound far above any figure here, so only a hang fails on it.
PATIENCE = 60.0


def test(fn):
    TESTS.append(fn)
    return fn


class Arrivals:
    """A TCP server that keeps what it receives and when the last byte came."""

    def __init__(self, greeting=b""):
        self.data = bytearray()
        self.last_at = None
        self.lock = threading.Lock()
        self.greeting = greeting
        self.server = TcpServer(self._handle)
        self.port = self.server.port

    def _handle(self, conn):
        if self.greeting:
            conn.sendall(self.greeting)
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            with self.lock:
                self.data += chunk
                self.last_at = time.monotonic()

    def wait_for(self, n, timeout=PATIENCE):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.data) >= n:
                    return self.last_at
            time.sleep(0.01)
        raise selftest.Fail("the peer got %d of %d bytes" % (len(self.data), n))

    def close(self):
        self.server.close()


def stats_path(name):
    return os.path.join(selftest.TMP, name + ".json")


def run_modem(name, *switches):
    """A fake modem (note profile, whatever the environment says) writing its stats to TMP."""
    return Modem("--profile", "note", "--stats", stats_path(name), *switches)


def stop(m, name):
    eq(m.stop(), 0, "exit status after SIGTERM")
    with open(stats_path(name)) as f:
        return json.load(f)


def tcp_connect(m, port, timeout=PATIENCE):
    m.ok("AT+CMEE=1")
    m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
    t0 = time.monotonic()
    m.ok("AT#TCPCONNECT=5,0,127.0.0.1,%d" % port, timeout=timeout)
    return time.monotonic() - t0


# ---------------------------------------------------------------- defaults

@test
def no_network_by_default():
    """Without the switches nothing waits and the stats say so."""
    peer = Arrivals()
    m = run_modem("defaults")
    try:
        tcp_connect(m, peer.port)
        m.ok("AT#IPSENDTCP=5,0,1,512", bytes(512))
        peer.wait_for(512)
        m.ok("AT#SOCKETCLOSE=5,0")
    finally:
        st = stop(m, "defaults")
        peer.close()
    net = st["network"]
    eq(net["preset"], "loopback")
    eq(net["air"], False, "no air model")
    eq((net["rtt_ms"], net["uplink_rate"], net["rrc_setup_ms"], net["late_percent"]), (0, 0, 0, 0))
    for key in ("uplink_bytes_queued", "uplink_bytes_sent", "downlink_bytes_queued",
                "downlink_bytes_sent", "sends_held_for_uplink", "rrc_setups",
                "radio_connected_ms", "late_answers"):
        eq(st[key], 0, key)


@test
def switches_in_help_and_checked():
    exe = selftest.EXE
    out = subprocess.run([exe, "--help"], capture_output=True, text=True)
    eq(out.returncode, 0)
    for opt in ("--network", "--network-scale", "--rtt", "--uplink-rate", "--downlink-rate",
                "--uplink-queue", "--radio-idle-after", "--rrc-setup", "--cscon-urcs",
                "--late-answers", "--late-by", "--rtt 1600", "--rrc-setup 1500"):
        check(opt in out.stdout, "--help mentions " + opt)
    check(all(len(l) <= 80 for l in out.stdout.splitlines()), "--help fits 80 columns")
    out = subprocess.run([exe, "--network", "nbiot", "--network-scale", "10", "--help"],
                         capture_output=True, text=True)
    check("rtt 160.0 ms, uplink 20000 B/s, downlink 30000 B/s" in out.stdout,
          "--help shows the figures in force: %r" % out.stdout[-400:])
    for bad in (["--network", "lte"], ["--network-scale", "0"], ["--network-scale", "x"],
                ["--rtt", "-1"], ["--uplink-rate", "fast"], ["--uplink-queue", "0"],
                ["--late-answers", "101"], ["--late-by", "-5"], ["--rrc-setup", "soon"]):
        out = subprocess.run([exe] + bad, capture_output=True, text=True)
        eq(out.returncode, 2, " ".join(bad))
        eq(len(out.stderr.splitlines()), 1, "one line for " + " ".join(bad))
        check(bad[0] in out.stderr, "names %s: %r" % (bad[0], out.stderr))


# ---------------------------------------------------------------- air rates

@test
def uplink_rate_bounds_an_upload():
    """4 KiB at 2000 B/s reach the peer no sooner than 2 s after the first send."""
    peer = Arrivals()
    m = run_modem("uplink", "--uplink-rate", "2000")
    try:
        tcp_connect(m, peer.port)
        t0 = time.monotonic()
        for i in range(8):
            m.ok("AT#IPSENDTCP=5,0,1,512", bytes([i]) * 512)
        done = peer.wait_for(4096)
        took = done - t0
        check(took >= 4096 / 2000.0, "4096 B at 2000 B/s took only %.3f s" % took)
        eq(bytes(peer.data), b"".join(bytes([i]) * 512 for i in range(8)), "bytes in order")
    finally:
        st = stop(m, "uplink")
        peer.close()
    eq(st["uplink_bytes_queued"], 4096)
    eq(st["uplink_bytes_sent"], 4096)
    eq(st["sends_held_for_uplink"], 0, "4 KiB fit the default queue")
    eq(st["network"]["uplink_rate"], 2000)


@test
def full_uplink_queue_holds_the_send():
    """With a 1 KiB queue the host's last OK waits for the air: the last 1 KiB
    fits once 3 KiB are on the air, no sooner than 1.5 s at 2000 B/s."""
    peer = Arrivals()
    m = run_modem("queue", "--uplink-rate", "2000", "--uplink-queue", "1024")
    try:
        tcp_connect(m, peer.port)
        t0 = time.monotonic()
        for i in range(8):
            m.ok("AT#IPSENDTCP=5,0,1,512", bytes([i]) * 512, timeout=PATIENCE)
        answered = time.monotonic() - t0
        check(answered >= 3072 / 2000.0, "the sends were answered after only %.3f s" % answered)
        peer.wait_for(4096)
        eq(bytes(peer.data), b"".join(bytes([i]) * 512 for i in range(8)), "bytes in order")
    finally:
        st = stop(m, "queue")
        peer.close()
    check(st["sends_held_for_uplink"] >= 5, "held sends: %d" % st["sends_held_for_uplink"])
    eq(st["uplink_bytes_sent"], 4096)


@test
def downlink_rate_bounds_a_download():
    """4 KiB from the peer at 2000 B/s: the last byte is read no sooner than 2 s after the connect."""
    data = bytes(range(256)) * 16
    peer = Arrivals(greeting=data)
    m = run_modem("downlink", "--downlink-rate", "2000")
    try:
        t0 = time.monotonic()
        tcp_connect(m, peer.port)
        got = m.read_all(0, len(data), timeout=PATIENCE)
        took = time.monotonic() - t0
        eq(got, data, "the peer's bytes")
        check(took >= len(data) / 2000.0, "4096 B at 2000 B/s came in %.3f s" % took)
    finally:
        st = stop(m, "downlink")
        peer.close()
    eq(st["downlink_bytes_queued"], 4096)
    eq(st["downlink_bytes_sent"], 4096)


# ---------------------------------------------------------------- round trip

@test
def round_trip_delays_connect_and_data():
    rtt = 0.6
    peer = TcpServer(echo_handler)
    m = run_modem("rtt", "--rtt", "600")
    try:
        took = tcp_connect(m, peer.port)
        check(took >= rtt, "AT#TCPCONNECT answered after %.3f s, the round trip is %.1f s" % (took, rtt))
        t0 = time.monotonic()
        m.ok("AT#IPSENDTCP=5,0,1,5", b"hello")
        m.wait_urc("#IPRECV: 5,0", timeout=PATIENCE)
        took = time.monotonic() - t0
        check(took >= rtt, "the echo was announced after %.3f s" % took)
        eq(m.read_all(0, 5), b"hello")
        # a refusal takes its round trip too
        m.ok("AT#SOCKETCLOSE=5,0")
        m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()
        t0 = time.monotonic()
        m.err("AT#TCPCONNECT=5,0,127.0.0.1,%d" % port, 2152)
        check(time.monotonic() - t0 >= rtt, "refused after a round trip")
    finally:
        st = stop(m, "rtt")
        peer.close()
    eq(st["network"]["rtt_ms"], 600)
    eq(st["rrc_setups"], 1, "the radio starts idle, connects once and never idles")


@test
def close_waits_for_bytes_on_the_air():
    """AT#SOCKETCLOSE right after a send: the bytes still reach the peer."""
    peer = Arrivals()
    echo = UdpEcho()
    m = run_modem("close", "--rtt", "400", "--uplink-rate", "4000")
    try:
        tcp_connect(m, peer.port)
        m.ok("AT#IPSENDTCP=5,0,1,512", b"t" * 512)
        m.ok("AT#SOCKETCLOSE=5,0", timeout=PATIENCE)
        peer.wait_for(512)
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
        m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,0,,datagram" % echo.port)
        m.ok("AT#SOCKETCLOSE=5,0", timeout=PATIENCE)
        deadline = time.monotonic() + PATIENCE
        while not echo.received and time.monotonic() < deadline:
            time.sleep(0.01)
        eq(echo.received, [b"datagram"], "the datagram sent before the close")
    finally:
        stop(m, "close")
        peer.close()
        echo.close()


# ---------------------------------------------------------------- radio

@test
def idle_radio_pays_the_rrc_setup():
    echo = UdpEcho()
    m = run_modem("rrc", "--radio-idle-after", "1000", "--rrc-setup", "500", "--cscon-urcs")
    try:
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
        t0 = time.monotonic()
        m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,0,,one" % echo.port)
        m.wait_urc("+CSCON: 1", timeout=PATIENCE)
        m.wait_urc("#IPRECV: 5,0", timeout=PATIENCE)
        check(time.monotonic() - t0 >= 0.5, "the first datagram paid the setup (the radio starts idle)")
        eq(m.ok("AT#IPREAD=5,0").read()[1], b"one")
        m.wait_urc("+CSCON: 0", timeout=PATIENCE)  # idle after 1 s without data
        t0 = time.monotonic()
        m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,0,,two" % echo.port)
        m.wait_urc("#IPRECV: 5,0", timeout=PATIENCE)
        took = time.monotonic() - t0
        check(took >= 0.5, "a send after idle took %.3f s, the RRC setup is 0.5 s" % took)
        eq(m.ok("AT#IPREAD=5,0").read()[1], b"two")
    finally:
        st = stop(m, "rrc")
        echo.close()
    check(st["rrc_setups"] >= 2, "RRC setups: %d" % st["rrc_setups"])
    check(0 < st["radio_connected_ms"] < st["run_ms"],
          "radio connected %d of %d ms" % (st["radio_connected_ms"], st["run_ms"]))
    eq(st["uplink_bytes_sent"], 6)
    eq(st["downlink_bytes_sent"], 6)


# ---------------------------------------------------------------- late answers

def late_run(name, commands, percent, late_by):
    """Sends `commands` ATs; returns (answers that took >= late_by, the stats)."""
    m = run_modem(name, "--late-answers", str(percent), "--late-by", str(late_by), "--seed", "7")
    slow = 0
    try:
        for _ in range(commands):
            t0 = time.monotonic()
            m.ok("AT", timeout=PATIENCE)
            slow += time.monotonic() - t0 >= late_by / 1000.0
    finally:
        st = stop(m, name)
    return slow, st


@test
def late_answers_at_the_seeded_rate():
    slow, st = late_run("late1", 100, 25, 100)
    late = st["late_answers"]
    check(10 <= late <= 45, "25 %% of 100 answers late: %d" % late)
    check(slow >= late, "every late answer took 100 ms: %d slow, %d late" % (slow, late))
    _, again = late_run("late2", 100, 25, 100)
    eq(again["late_answers"], late, "the same seed, the same late answers")
    eq(st["network"]["late_percent"], 25)


# ---------------------------------------------------------------- the preset

@test
def nbiot_preset_scaled():
    """--network nbiot --network-scale 10: every figure a tenth (rates ten
    times), an explicit switch wins over the preset, and the first connect
    pays the setup and a round trip."""
    peer = TcpServer(echo_handler)
    m = run_modem("nbiot", "--network", "nbiot", "--network-scale", "10", "--dns")
    try:
        took = tcp_connect(m, peer.port)
        check(took >= 0.150 + 0.160, "connect in %.3f s, setup 150 ms and round trip 160 ms" % took)
        t0 = time.monotonic()
        eq(m.ok("AT#DNS=5,0,localhost", timeout=PATIENCE).lines, ["#DNS: 127.0.0.1"])
        check(time.monotonic() - t0 >= 0.2, "the lookup takes 200 ms")
        m.ok("AT#IPSENDTCP=5,0,1,512", b"n" * 512)
        eq(m.read_all(0, 512, timeout=PATIENCE), b"n" * 512)
    finally:
        st = stop(m, "nbiot")
        peer.close()
    net = st["network"]
    eq((net["preset"], net["scale"], net["air"]), ("nbiot", 10, True))
    eq((net["rtt_ms"], net["uplink_rate"], net["downlink_rate"], net["radio_idle_after_ms"],
        net["rrc_setup_ms"], net["dns_delay_ms"], net["uplink_queue"]),
       (160, 20000, 30000, 1000, 150, 200, 4096))
    check(st["rrc_setups"] >= 1, "the first connect set the radio up")
    m = run_modem("nbiot2", "--rtt", "3000", "--network", "nbiot", "--network-scale", "2")
    st = stop(m, "nbiot2")
    eq((st["network"]["rtt_ms"], st["network"]["uplink_rate"]), (1500, 4000), "--rtt wins, then scaled")


@test
def maker_profile_over_the_air():
    """The two-step send and the maker's figures over a scaled network."""
    peer = TcpServer(echo_handler)
    m = Modem("--profile", "maker", "--network", "nbiot", "--network-scale", "20",
              "--stats", stats_path("maker"), cid=1)
    try:
        m.ok("AT#SOCKETCREATE=1,0,TCP,,1,1,1")
        m.ok("AT#TCPCONNECT=1,0,127.0.0.1,%d" % peer.port, timeout=PATIENCE)
        first, second = m.send2("AT#IPSENDTCP=1,0,1,1024", b"m" * 1024, timeout=PATIENCE)
        eq((first.final, second.final), ("OK", "OK"), "both results")
        eq(m.read_all(0, 1024, timeout=PATIENCE), b"m" * 1024)
    finally:
        st = stop(m, "maker")
        peer.close()
    eq(st["uplink_bytes_sent"], 1024)
    eq(st["downlink_bytes_sent"], 1024)


def main():
    # selftest.main() runs a list of tests with selftest's fake modem path,
    # valgrind wrapper and private directory: this file's list instead.
    selftest.TESTS[:] = TESTS
    return selftest.main()


if __name__ == "__main__":
    sys.exit(main())
