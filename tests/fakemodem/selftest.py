#!/usr/bin/env python3
"""Self-test of st87-fakemodem: drives it over its pty like a driver would.

Usage: selftest.py PATH-TO-st87-fakemodem [TEST-NAME...]

Under `meson test --setup valgrind` (ST87_UNDER_VALGRIND=1) each fake modem
runs under valgrind, and any error it finds fails the test.

The Modem here is the host's side of the pty, speaking AT itself; the fake
modem is started by fakemodem_fixture.FakeModem (tests/integration), as for
every other suite, each in a directory of its own with its stats, trace and
link (m.stats(), m.trace(), m.link).

Starts every fake modem and every helper server it needs (TCP/UDP servers
on 127.0.0.1 / ::1 only) and stops them again. Exits non-zero when a test
fails. Timing checks are lower bounds (a paced line cannot be faster than
its baud rate), so a slow machine does not fail; the one upper bound,
baud_bulk_rate's, is generous (0.9 of the line rate, 0.5 under valgrind).
"""

import contextlib
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import tty

from fakemodem_fixture import FakeModem, tcp_echo, valgrind_setup_wrapper

EXE = None
# Command prefix for the fake modem (valgrind, when asked for).
WRAPPER = []
FINALS = ("OK", "ERROR")
URC_PREFIXES = ("#IPRECV:", "#SOCKETCLOSED:", "+CEREG:", "+CSCON:", "+CGEV:",
                "#SIMST:", "IP Network is Up")
TMP = None  # a private directory for stats, trace and link files: main()


def probe_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# Some containers have no ::1; the IPv6 parts are skipped there.
HAVE_IPV6 = probe_ipv6()


class Fail(Exception):
    pass


class Timeout(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def eq(got, want, what=""):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


class Reply:
    """Lines before the final result code, and the final result code.
    An #IPREAD line is a tuple (line, data)."""

    def __init__(self, lines, final):
        self.lines = lines
        self.final = final

    def info(self, prefix):
        return [l for l in self.lines if isinstance(l, str) and l.startswith(prefix)]

    def one(self, prefix):
        got = self.info(prefix)
        if len(got) != 1:
            raise Fail("want one %r line, got %r (final %s)" % (prefix, self.lines, self.final))
        return got[0]

    def read(self):
        got = [l for l in self.lines if isinstance(l, tuple)]
        if len(got) != 1:
            raise Fail("want one #IPREAD, got %r" % (self.lines,))
        return got[0]

    def __repr__(self):
        return "Reply(%r, %r)" % (self.lines, self.final)


@contextlib.contextmanager
def stopped_cleanly(m, *servers):
    """Runs the block with the fake modem `m`, then stops it (it must exit with status 0) and closes `servers`."""
    try:
        yield m
    finally:
        eq(m.stop(), 0)
        for server in servers:
            if server:  # None: a server the test could not start (no IPv6)
                server.close()


class Modem:
    """A fake modem process and the host side of its pty."""

    def __init__(self, *args, cid=5, workdir=None):
        self.cid = cid  # the context id read_all() uses (--cid)
        self.fake = FakeModem(workdir or tempfile.mkdtemp(dir=TMP), *args, program=EXE, wrapper=WRAPPER,
                              stderr=None)
        self.proc = self.fake.process
        self.path = self.fake.pty
        self.link = self.fake.link
        self.stats_path = self.fake.stats_path
        self.stats = self.fake.stats
        self.trace = self.fake.trace
        check(self.path.startswith("/dev/pts/"), "first stdout line is the slave: %r" % self.path)
        self.fd = -1
        self.open()
        self.unsolicited = []

    def open(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.buf = bytearray()
        self.reads = []

    def close_port(self):
        os.close(self.fd)
        self.fd = -1

    def stop(self, sig=signal.SIGTERM):
        if self.fd >= 0:
            self.close_port()
        rc = self.fake.stop(sig)
        if rc is None:
            raise Fail("fake modem did not exit on signal %d" % sig)
        return rc

    def tcp_connected(self, port):
        """Socket 0 of context 5, a TCP socket connected to 127.0.0.1:`port`."""
        self.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
        self.ok("AT#TCPCONNECT=5,0,127.0.0.1,%d" % port)

    def write(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.fd], [], [], left)[0]:
            raise Timeout("no answer (buffer %r)" % bytes(self.buf[:200]))
        chunk = os.read(self.fd, 65536)
        self.reads.append(len(chunk))
        self.buf += chunk

    def read_line(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            while self.buf[:1] in (b"\r", b"\n"):
                del self.buf[0]
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line.decode("latin-1")
            self._fill(deadline)

    def read_raw(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            self._fill(deadline)
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def drain(self, quiet=0.3):
        """Reads until nothing comes for `quiet` seconds; returns the bytes."""
        out = bytearray(self.buf)
        self.buf = bytearray()
        while select.select([self.fd], [], [], quiet)[0]:
            out += os.read(self.fd, 65536)
        return bytes(out)

    def collect(self, timeout=5.0):
        """Lines up to and including the next final result code."""
        lines = []
        while True:
            line = self.read_line(timeout)
            fields = line.split(",")
            # a data header, not the test form's "#IPREAD: (5),(0-2)"
            if line.startswith("#IPREAD:") and len(fields) == 3 and fields[2].isdigit():
                n = int(fields[2])
                data = b""
                if n:
                    data = self.read_raw(n, timeout)
                    eq(self.read_raw(2, timeout), b"\r\n", "CR LF after the data block")
                lines.append((line, data))
                continue
            if line in FINALS or line.startswith("+CME ERROR:"):
                return Reply(lines, line)
            if line.startswith(URC_PREFIXES):
                self.unsolicited.append(line)
            lines.append(line)

    def cmd(self, text, payload=b"", timeout=5.0):
        # A binary send's line ends in CR alone, as libst87 writes it (the maker profile's --cr-only takes an
        # LF after it for data); other lines in CR LF, which the modem takes as well.
        self.write(text.encode("latin-1") + (b"\r" if payload else b"\r\n") + payload)
        return self.collect(timeout)

    def ok(self, text, payload=b"", timeout=5.0):
        r = self.cmd(text, payload, timeout)
        eq(r.final, "OK", text)
        return r

    def err(self, text, code, payload=b""):
        r = self.cmd(text, payload)
        eq(r.final, "+CME ERROR: %d" % code, text)
        return r

    def send2(self, text, payload, timeout=5.0):
        """A two-step binary send: the line alone, its result, then (only
        after OK) the payload and its result. Returns both Replies (the
        second is None when the line was refused)."""
        self.write(text.encode("latin-1") + b"\r")
        first = self.collect(timeout)
        if first.final != "OK":
            return first, None
        self.write(payload)
        return first, self.collect(timeout)

    def wait_urc(self, prefix, timeout=5.0):
        for i, line in enumerate(self.unsolicited):
            if line.startswith(prefix):
                return self.unsolicited.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("no %r URC" % prefix)
            line = self.read_line(left)
            if line.startswith(prefix):
                return line
            self.unsolicited.append(line)

    def read_all(self, sid, want, timeout=10.0, chunk=None):
        """AT#IPREAD until `want` bytes came; returns them."""
        got = b""
        deadline = time.monotonic() + timeout
        while len(got) < want:
            r = self.ok("AT#IPREAD=%d,%d" % (self.cid, sid))
            # --empty-read ok: a bare OK means nothing is waiting
            blocks = [l for l in r.lines if isinstance(l, tuple)]
            data = blocks[0][1] if blocks else b""
            if chunk is not None:
                check(len(data) <= chunk, "read of %d > chunk %d" % (len(data), chunk))
            got += data
            if not data:
                if time.monotonic() > deadline:
                    raise Fail("read %d of %d bytes" % (len(got), want))
                time.sleep(0.02)
        return got


class TcpServer:
    """A TCP server on loopback; handler(conn) runs per connection."""

    def __init__(self, handler, family=socket.AF_INET):
        host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            self.handler(conn)
        except OSError:
            pass

    def close(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def echo_handler(conn):
    """The suites' TCP echo (fakemodem_fixture.tcp_echo); the server's end closes after the client's."""
    tcp_echo(conn)
    conn.close()


class UdpEcho:
    def __init__(self, family=socket.AF_INET):
        host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.received = []
        self.peers = []  # the source address of each datagram
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(data)
            self.peers.append(peer[:2])
            self.sock.sendto(data, peer)

    def close(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()


def free_udp_port(family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def with_modem(*args):
    """Decorator: the test gets a fresh fake modem started with args."""
    def wrap(fn):
        def run():
            m = Modem(*args)
            try:
                fn(m)
            finally:
                rc = m.stop()
            eq(rc, 0, "exit status after SIGTERM")
        run.__name__ = fn.__name__
        return run
    return wrap


# ---------------------------------------------------------------- basics

@test
@with_modem()
def basic_commands(m):
    r = m.ok("AT")
    eq(r.lines, [], "no echo by default")
    m.ok("at")
    eq(m.cmd("AT#NOSUCH").final, "ERROR", "unknown before CMEE=1")
    eq(m.cmd("ATZ").final, "ERROR", "other basic commands")
    eq(m.cmd("hello").final, "ERROR", "not AT")
    m.ok("AT+CMEE=1")
    eq(m.ok("AT+CMEE?").lines, ["+CMEE: 1"])
    m.err("AT#NOSUCH", 504)
    m.err("AT+CMEE=2", 50)
    m.err("AT#IPREAD?", 504)
    # LF alone after CR, split CR and LF, LF-only noise between commands
    m.write(b"AT\r")
    eq(m.collect().final, "OK")
    m.write(b"\nAT\r\n\n")
    eq(m.collect().final, "OK")
    # empty lines are not commands
    m.write(b"\r\r\n")
    eq(m.drain(0.2), b"", "empty lines get no answer")
    # one byte per write
    for b in b"AT+CMEE?\r\n":
        m.write(bytes([b]))
    eq(m.collect().lines, ["+CMEE: 1"])
    m.ok("AT+CMEE=0")
    eq(m.cmd("AT#NOSUCH").final, "ERROR")


@test
@with_modem()
def echo_switching(m):
    eq(m.ok("ATE1").lines, [], "ATE1 itself is not echoed (echo was off)")
    eq(m.ok("at").lines, ["at"], "echo as received")
    r = m.ok("ATE0")
    eq(r.lines, ["ATE0"])
    eq(m.ok("AT").lines, [])


@test
@with_modem("--echo")
def echo_at_start(m):
    eq(m.ok("AT").lines, ["AT"])
    eq(m.ok("ATE0").lines, ["ATE0"])
    eq(m.ok("AT").lines, [])


@test
@with_modem("--echo", "--ignore-ate0")
def echo_ignores_ate0(m):
    m.ok("ATE0")
    eq(m.ok("AT").lines, ["AT"], "echo still on")


@test
@with_modem()
def robustness_input(m):
    m.ok("AT+CMEE=1")
    m.write(b"AT\x00X\r\n")
    eq(m.collect().final, "+CME ERROR: 25", "NUL in a line")
    m.write(b"A" * 5000 + b"\r\n")
    eq(m.collect().final, "ERROR", "overlong line")
    m.ok("AT")
    m.err('AT#IPCFG=5,0,"127.0.0.1', 50)  # open quote
    m.err("AT#IPREAD=5,0,1", 502)
    m.err("AT#IPREAD=5", 503)
    rnd = random.Random(7)
    # random bytes, including CR, LF and NUL; then resynchronize
    for _ in range(200):
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 80)))
        m.write(junk)
    m.write(b"x" * 600 + b"\r\n")
    m.drain(0.5)
    for _ in range(50):
        line = "AT" + "".join(rnd.choice('#+=?,"01259ATCPUDXSOKERIPEAD ') for _ in range(rnd.randrange(0, 40)))
        m.write(line.encode() + b"\r\n")
    m.write(b"x" * 600 + b"\r\n")
    m.drain(0.5)
    eq(m.proc.poll(), None, "still running")
    m.ok("AT")


@test
@with_modem()
def reopen_port(m):
    m.ok("AT")
    m.close_port()
    time.sleep(0.1)
    m.open()
    m.ok("AT")


# ---------------------------------------------------------------- IP link

@test
@with_modem()
def ip_link_defaults(m):
    eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 5,1,"127.0.0.1","::1"'])
    eq(m.ok("AT#IPPARAMS?").lines, ["#IPPARAMS: 1,0,65535,60"])
    eq(m.ok("AT+CGPADDR=5").lines, ['+CGPADDR: 5,"127.0.0.1","::1"'])
    m.ok("AT+CMEE=1")
    m.err("AT#IPPARAMS=2,0,65535,60", 50)
    m.ok("AT#IPPARAMS=0,1,100,30")
    eq(m.ok("AT#IPPARAMS?").lines, ["#IPPARAMS: 0,1,100,30"])
    m.ok("AT#IPDEL=5")
    eq(m.ok("AT#IPCFG?").lines, ["#IPCFG: 5,0"])
    m.err("AT#SOCKETCREATE=5,0,TCP,0,1,1,1", 2106)
    m.err("AT#IPCFG=5,0,1.2.3", 2110)
    m.err("AT#IPCFG=5,0,::1", 2122)
    m.err("AT#IPCFG=4,0,127.0.0.1", 2100)
    m.ok("AT#IPCFG=5,0,127.0.0.1")
    eq(m.wait_urc("IP Network is Up"), "IP Network is Up for context 5")


@test
@with_modem("--link-down", "--ipv4", "127.0.0.2", "--ipv6", "::1")
def link_down_manual(m):
    m.ok("AT+CMEE=1")
    eq(m.ok("AT#IPCFG?").lines, ["#IPCFG: 5,0"])
    eq(m.ok("AT#IPPARAMS?").lines, ["#IPPARAMS: 0,0,65535,60"])
    m.err("AT#SOCKETCREATE=5,0,UDP,0,1,1,1", 2106)
    m.err("AT#IPPING=5,127.0.0.1", 2106)
    eq(m.ok("AT+CGPADDR=5").lines, ['+CGPADDR: 5,"127.0.0.2","::1"'])
    r = m.ok("AT#IPCFG=5,0,127.0.0.2")
    eq(r.lines, [], "the URC comes after OK")
    eq(m.read_line(), "IP Network is Up for context 5")
    eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 5,1,"127.0.0.2","::1"'])
    m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")


@test
@with_modem("--link-down", "--auto-ip", "300")
def link_down_auto_ip(m):
    eq(m.ok("AT#IPPARAMS?").lines, ["#IPPARAMS: 1,0,65535,60"])
    eq(m.ok("AT#IPCFG?").lines, ["#IPCFG: 5,0"])
    m.wait_urc("+CGEV: ME PDN ACT 5")
    m.wait_urc("+CEREG: 1")
    eq(m.wait_urc("#IPCFG:"), '#IPCFG: 5,1,"127.0.0.1"')
    eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 5,1,"127.0.0.1","::1"'])


@test
@with_modem()
def ping(m):
    m.ok("AT+CMEE=1")
    r = m.ok("AT#IPPING=5,127.0.0.1,5,32,3")
    eq(r.lines, ["1,0,32,21", "2,0,32,22", "3,0,32,23", "#IPPING: 3,3,0,21,23,22"])
    r = m.ok("AT#IPING=5,::1")
    eq(r.lines, ["1,0,10,21", "#IPPING: 1,1,0,21,21,21"])
    r = m.ok("AT#IPPING=5,192.0.2.1,1,10,2")
    eq(r.lines, ["1,1,10,999999", "2,1,10,999999", "#IPPING: 2,0,2,0,0,0"])
    m.err("AT#IPPING=5,127.0.0.1,0", 2133)
    m.err("AT#IPPING=5,127.0.0.1,5,451,1", 2131)
    m.err("AT#IPPING=5,127.0.0.1,5,10,21", 2132)
    m.err("AT#IPPING=5,nonsense", 2103)


# ---------------------------------------------------------------- sockets

@test
@with_modem()
def socket_limits(m):
    m.ok("AT+CMEE=1")
    eq(m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1").lines, ["#SOCKETCREATE: 0"])
    eq(m.ok('AT#SOCKETCREATE=5,0,"TCP",0,1,1,1').lines, ["#SOCKETCREATE: 1"])
    m.err("AT#SOCKETCREATE=5,0,TCP,0,1,1,1", 2150)
    eq(m.ok("AT#SOCKETCREATE=5,%d,udp,0,1,1,2" % HAVE_IPV6).lines, ["#SOCKETCREATE: 2"])
    m.err("AT#SOCKETCREATE=5,0,UDP,0,1,1,1", 2150)
    r = m.ok("AT#SOCKETCREATE?")
    eq(r.lines, ["#SOCKETCREATE: 5,0,4,UDP,0,1,1,1,0",
                 "#SOCKETCREATE: 5,1,6,TCP,0,1,1,1,0",
                 "#SOCKETCREATE: 5,2,4,UDP,0,1,1,2,0"])
    eq(m.ok("AT#TCPCONNECT?").lines, ["#TCPCONNECT: 5,1,3"])
    m.ok("AT#SOCKETCLOSE=5,0")
    m.err("AT#SOCKETCLOSE=5,0", 2104)
    eq(m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1").lines, ["#SOCKETCREATE: 0"], "lowest free id")
    for sid in range(3):
        m.ok("AT#SOCKETCLOSE=5,%d" % sid)
    eq(m.ok("AT#TCPCONNECT?").lines, [])
    m.err("AT#SOCKETCREATE=4,0,UDP,0,1,1,1", 2100)
    m.err("AT#SOCKETCREATE=5,2,UDP,0,1,1,1", 2102)
    m.err("AT#SOCKETCREATE=5,0,RAW,0,1,1,1", 2140)
    m.err("AT#SOCKETCREATE=5,0,UDP,70000,1,1,1", 2141)
    m.err("AT#SOCKETCREATE=5,0,UDP,0,1,1,1,3", 2161)


@test
def tcp_echo_binary():
    srv = TcpServer(echo_handler)
    with stopped_cleanly(Modem("--read-chunk", "700"), srv) as m:
        m.ok("AT+CMEE=1")
        m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
        m.err("AT#IPSENDTCP=5,0,0,,hello", 2154)  # not connected
        m.err("AT#TCPCONNECT=5,0,192.0.2.1,80", 2152)  # never leaves loopback
        m.err("AT#TCPCONNECT=5,2,127.0.0.1,%d" % srv.port, 2153)
        m.err("AT#TCPCONNECT=5,7,127.0.0.1,%d" % srv.port, 2104)
        m.err("AT#TCPCONNECT=5,0,::1,%d" % srv.port, 2103)  # IPv4 socket
        m.ok("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port)
        eq(m.ok("AT#TCPCONNECT?").lines, ["#TCPCONNECT: 5,0,5"])
        eq(m.ok("AT#SOCKETCREATE?").lines, ["#SOCKETCREATE: 5,0,7,TCP,0,1,1,1,0"])
        m.err("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port, 2157)
        data = bytes(range(256)) * 2  # every byte value, CR LF and NUL too
        m.ok("AT#IPSENDTCP=5,0,1,512", data)
        eq(m.wait_urc("#IPRECV:"), "#IPRECV: 5,0")
        eq(m.read_all(0, 512, chunk=700), data)
        m.ok("AT#IPSENDTCP=5,0,2,4,0A0d00ff")
        m.ok("AT#IPSENDTCP=5,0,0,,hello, world")
        m.ok("AT#IPSENDTCP=5,0,0,hi")
        m.ok('AT#IPSENDTCP=5,0,0,3,"abc"')
        eq(m.read_all(0, 4 + 12 + 2 + 3), b"\x0a\x0d\x00\xffhello, worldhiabc")
        eq(m.ok("AT#IPREAD=5,0").read(), ("#IPREAD: 5,0,0", b""))
        m.err("AT#IPSENDTCP=5,0,1,513", 2146)
        m.err("AT#IPSENDTCP=5,0,3,1,x", 2145)
        m.err("AT#IPSENDTCP=5,0,2,,0g", 2142)
        m.err("AT#IPSENDTCP=5,0,2,,012", 2142)
        m.err("AT#IPSENDTCP=5,0,2,3,0102", 2146)
        m.err("AT#IPSENDTCP=5,1,0,,x", 2153)
        # a binary send to a socket that is not open still takes its bytes
        m.err("AT#IPSENDTCP=5,2,1,5", 2153, b"AT\r\n\n")
        m.ok("AT")
        # large transfer both ways, several commands
        blob = random.Random(1).randbytes(20000)
        for i in range(0, len(blob), 512):
            m.ok("AT#IPSENDTCP=5,0,1,%d" % len(blob[i:i + 512]), blob[i:i + 512])
        eq(m.read_all(0, len(blob), chunk=700), blob)
        m.ok("AT#SOCKETCLOSE=5,0")
        m.err("AT#IPREAD=5,0", 2153)


@test
def tcp_ipv6_and_urc2():
    if not HAVE_IPV6:
        return
    srv = TcpServer(echo_handler, socket.AF_INET6)
    with stopped_cleanly(Modem(), srv) as m:
        m.ok("AT#SOCKETCREATE=5,1,TCP,,1,1,2")
        m.ok("AT#TCPCONNECT=5,0,::1,%d" % srv.port)
        m.ok("AT#IPSENDTCP=5,0,0,,ping6")
        eq(m.wait_urc("#IPRECV:"), "#IPRECV: 5,0,5")
        eq(m.read_all(0, 5), b"ping6")


@test
def tcp_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with stopped_cleanly(Modem()) as m:
        m.ok("AT+CMEE=1")
        m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
        m.err("AT#TCPCONNECT=5,0,127.0.0.1,%d" % port, 2152)
        eq(m.ok("AT#TCPCONNECT?").lines, ["#TCPCONNECT: 5,0,3"])


def send_and_close(payload):
    def handler(conn):
        conn.recv(100)  # wait for the modem to say something
        conn.sendall(payload)
        conn.close()
    return handler


def peer_close_run(args):
    """Returns the URC lines sent while the peer sends 3000 bytes and
    closes, then checks the read-out and link status."""
    payload = b"x" * 3000
    srv = TcpServer(send_and_close(payload))
    with stopped_cleanly(Modem(*args), srv) as m:
        m.ok("AT+CMEE=1")
        m.tcp_connected(srv.port)
        m.ok("AT#IPSENDTCP=5,0,0,,go")
        raw = m.drain(0.5)
        urcs = m.unsolicited + [l for l in raw.decode().split("\r\n") if l]
        m.unsolicited = []
        eq(m.ok("AT#TCPCONNECT?").lines, ["#TCPCONNECT: 5,0,5"], "connected while bytes wait")
        eq(m.read_all(0, len(payload)), payload)
        eq(m.ok("AT#IPREAD=5,0").read(), ("#IPREAD: 5,0,0", b""))
        eq(m.ok("AT#TCPCONNECT?").lines, ["#TCPCONNECT: 5,0,3"])
        eq(m.ok("AT#SOCKETCREATE?").lines, ["#SOCKETCREATE: 5,0,6,TCP,0,1,1,1,0"])
        m.err("AT#IPSENDTCP=5,0,0,,more", 2154)
        # the socket can connect again
        m.ok("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port)
        m.ok("AT#SOCKETCLOSE=5,0")
        return urcs


@test
def tcp_peer_close():
    eq(peer_close_run([]), ["#IPRECV: 5,0", "#IPRECV: 5,0"])


@test
def tcp_peer_close_no_urc():
    eq(peer_close_run(["--no-close-urc"]), ["#IPRECV: 5,0"])


@test
def tcp_peer_close_socketclosed():
    eq(peer_close_run(["--socketclosed-urc"]),
       ["#IPRECV: 5,0", "#IPRECV: 5,0", "#SOCKETCLOSED: 5,0"])


@test
def tcp_backpressure():
    size = 200000
    payload = random.Random(2).randbytes(size)
    sent = []

    def handler(conn):
        conn.recv(10)
        conn.setblocking(False)
        view = memoryview(payload)
        deadline = time.monotonic() + 20
        while view and time.monotonic() < deadline:
            try:
                n = conn.send(view)
                view = view[n:]
            except BlockingIOError:
                select.select([], [conn], [], 0.1)
        sent.append(size - len(view))
        conn.close()

    srv = TcpServer(handler)
    with stopped_cleanly(Modem("--rx-buffer", "1000", "--read-chunk", "300"), srv) as m:
        m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,2")
        m.ok("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port)
        m.ok("AT#IPSENDTCP=5,0,0,,go")
        line = m.wait_urc("#IPRECV:")
        check(int(line.split(",")[2]) <= 1000, "urc 2 counts at most the buffer: " + line)
        time.sleep(0.3)
        r = m.ok("AT#IPREAD=5,0")
        eq(len(r.read()[1]), 300)
        eq(m.read_all(0, size - 300, timeout=30, chunk=300), payload[300:])


def slow_reader(delay, got):
    """A peer that reads nothing for `delay` seconds, then everything."""
    def handler(conn):
        time.sleep(delay)
        while True:
            data = conn.recv(65536)
            if not data:
                break
            got.extend(data)
        conn.close()
    return handler


def slow_server(delay, got):
    """A TcpServer whose peer is slow_reader(delay, got), behind a small receive window so that the bytes
    pile up in the fake modem."""
    srv = TcpServer(slow_reader(delay, got))
    srv.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return srv


@test
def tcp_send_backpressure():
    got = bytearray()
    srv = slow_server(1.0, got)
    blob = random.Random(4).randbytes(300000)
    with stopped_cleanly(Modem(), srv) as m:
        m.tcp_connected(srv.port)
        slowest = 0
        for i in range(0, len(blob), 512):
            t0 = time.monotonic()
            m.ok("AT#IPSENDTCP=5,0,1,%d" % len(blob[i:i + 512]), blob[i:i + 512], timeout=12)
            slowest = max(slowest, time.monotonic() - t0)
        check(slowest >= 0.3, "an OK waited for the peer (slowest %.3f s)" % slowest)
        m.ok("AT#SOCKETCLOSE=5,0", timeout=12)
        deadline = time.monotonic() + 10
        while len(got) < len(blob) and time.monotonic() < deadline:
            time.sleep(0.05)
        eq(bytes(got) == blob, True, "all %d bytes arrived in order (got %d)" % (len(blob), len(got)))


@test
def tcp_close_flushes():
    got = bytearray()
    srv = slow_server(0.5, got)
    blob = random.Random(5).randbytes(60000)
    with stopped_cleanly(Modem(), srv) as m:
        m.tcp_connected(srv.port)
        for i in range(0, len(blob), 512):
            m.ok("AT#IPSENDTCP=5,0,1,%d" % len(blob[i:i + 512]), blob[i:i + 512])
        m.ok("AT#SOCKETCLOSE=5,0", timeout=12)  # waits for the queued bytes
        deadline = time.monotonic() + 10
        while len(got) < len(blob) and time.monotonic() < deadline:
            time.sleep(0.05)
        eq(bytes(got) == blob, True, "bytes queued at close arrived (got %d)" % len(got))


@test
def udp_echo():
    echo = UdpEcho()
    echo6 = UdpEcho(socket.AF_INET6) if HAVE_IPV6 else None
    with stopped_cleanly(Modem(), echo, echo6) as m:
        m.ok("AT+CMEE=1")
        port = free_udp_port()
        eq(m.ok("AT#SOCKETCREATE=5,0,UDP,%d,1,1,1" % port).lines, ["#SOCKETCREATE: 0"])
        m.err("AT#SOCKETCREATE=5,0,UDP,%d,1,1,1" % port, 2155)  # port taken
        m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,1,3" % echo.port, b"\r\n\x00")
        m.ok('AT#IPSENDUDP=5,0,"127.0.0.1",%d,0,0,5,hello' % echo.port)
        m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,2,2,,C0FFEE" % echo.port)
        m.wait_urc("#IPRECV: 5,0")
        time.sleep(0.2)
        got = [m.ok("AT#IPREAD=5,0").read()[1] for _ in range(3)]
        eq(got, [b"\r\n\x00", b"hello", b"\xc0\xff\xee"], "one datagram per read")
        eq(m.ok("AT#IPREAD=5,0").read(), ("#IPREAD: 5,0,0", b""))
        # somebody else sends to the bound port
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"from outside", ("127.0.0.1", port))
        s.close()
        m.wait_urc("#IPRECV: 5,0")
        eq(m.ok("AT#IPREAD=5,0").read()[1], b"from outside")
        n = len(echo.received)
        m.err("AT#IPSENDUDP=5,0,192.0.2.1,%d,0,0,,x" % echo.port, 2103)
        m.err("AT#IPSENDUDP=5,0,::1,%d,0,0,,x" % echo.port, 2103)  # IPv4 socket
        m.err("AT#IPSENDUDP=5,0,127.0.0.1,%d,3,0,,x" % echo.port, 2147)
        m.err("AT#IPSENDUDP=5,0,127.0.0.1,0,0,0,,x", 2141)
        m.err("AT#IPSENDUDP=5,1,127.0.0.1,%d,0,0,,x" % echo.port, 2153)
        m.err("AT#IPSENDUDP=5,0,192.0.2.1,%d,0,1,4" % echo.port, 2103, b"abcd")
        m.ok("AT")
        time.sleep(0.1)
        eq(len(echo.received), n, "refused datagrams never left")
        if echo6:
            eq(m.ok("AT#SOCKETCREATE=5,1,UDP,0,1,1,1").lines, ["#SOCKETCREATE: 1"])
            m.ok("AT#IPSENDUDP=5,1,::1,%d,0,0,,six" % echo6.port)
            m.wait_urc("#IPRECV: 5,1")
            eq(m.ok("AT#IPREAD=5,1").read()[1], b"six")


@test
def udp_drop_when_full():
    with stopped_cleanly(Modem("--rx-buffer", "1000")) as m:
        port = free_udp_port()
        m.ok("AT#SOCKETCREATE=5,0,UDP,%d,1,1,0" % port)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(3):
            s.sendto(bytes([65 + i]) * 400, ("127.0.0.1", port))
        s.close()
        time.sleep(0.3)
        eq(m.ok("AT#IPREAD=5,0").read()[1], b"A" * 400)
        eq(m.ok("AT#IPREAD=5,0").read()[1], b"B" * 400)
        eq(m.ok("AT#IPREAD=5,0").read()[1], b"")
        eq(m.unsolicited, [], "urc 0: no #IPRECV")
    st = m.stats()
    eq(st["udp_dropped"], 1)


# ---------------------------------------------------------------- switches

@test
def stats_and_trace_and_link():
    """The fixture names --stats, --trace and --link in the modem's directory."""
    workdir = tempfile.mkdtemp(dir=TMP)
    link = os.path.join(workdir, "modem")
    os.symlink("/nonexistent", link)  # an old link is replaced
    srv = TcpServer(echo_handler)
    m = Modem(workdir=workdir)
    eq(m.link, link, "the fixture's link")
    try:
        eq(os.path.realpath(link), os.path.realpath(m.path), "--link")
        m.ok("AT")
        m.ok("AT")
        m.tcp_connected(srv.port)
        m.ok("AT#IPSENDTCP=5,0,1,10", b"0123456789")
        m.wait_urc("#IPRECV:")
        eq(m.read_all(0, 10), b"0123456789")
        m.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while not os.path.exists(m.stats_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        st = m.stats()
        eq(st["open_sockets"], 1, "SIGUSR1 stats")
    finally:
        eq(m.stop(), 0)
        srv.close()
    check(not os.path.lexists(link), "link removed at exit")
    st = m.stats()
    eq(st["open_sockets"], 1)
    eq(st["commands"]["AT"], 2)
    eq(st["commands"]["AT#SOCKETCREATE"], 1)
    eq(st["commands"]["AT#IPSENDTCP"], 1)
    check(st["commands"]["AT#IPREAD"] >= 1, "IPREAD counted")
    eq(st["payload_sent"], 10)
    eq(st["payload_received"], 10)
    eq(st["reboots"], 0)
    check(st["bytes_from_host"] > 50 and st["bytes_to_host"] > 50, "byte counters")
    lines = m.trace().splitlines()
    for want in ["> AT", "< OK", "> AT#SOCKETCREATE=5,0,TCP,0,1,1,1", "< #SOCKETCREATE: 0",
                 "> AT#IPSENDTCP=5,0,1,10", "> [binary 10 bytes]", "< #IPRECV: 5,0",
                 "< #IPREAD: 5,0,10", "< [binary 10 bytes]"]:
        check(want in lines, "trace has %r: %r" % (want, lines))


@test
@with_modem("--baud", "9600")
def baud_pacing(m):
    t0 = time.monotonic()
    r = m.ok("AT#IPPING=5,127.0.0.1,1,10,20")  # about 300 bytes back
    took = time.monotonic() - t0
    eq(len(r.lines), 21)
    check(took >= 0.25, "9600 baud: 300 bytes took only %.3f s" % took)
    t0 = time.monotonic()
    m.write(b"AT" + b" " * 400 + b"\r")  # 403 bytes up at 960 B/s
    m.collect()
    check(time.monotonic() - t0 >= 0.35, "input paced too")


def timed_exchange(m, data, finals=1, timeout=30.0):
    """Writes data (command lines ending in CR) and reads the raw answer up
    to its `finals`-th final result (OK or ERROR). Returns (seconds from
    just before the write to just after the last read, bytes of the
    answer). Both clock readings err on the slow side: a byte cannot be
    counted early."""
    m.buf = bytearray()
    deadline = time.monotonic() + timeout
    t0 = time.monotonic()
    m.write(data)
    while sum(m.buf.count(b"\r\n%s\r\n" % f.encode()) for f in FINALS) < finals:
        m._fill(deadline)
    took = time.monotonic() - t0
    got = len(m.buf)
    check(m.buf.endswith((b"\r\nOK\r\n", b"\r\nERROR\r\n")),
          "answer ends with a final result: %r" % bytes(m.buf[-40:]))
    m.buf = bytearray()
    return took, got


@test
@with_modem("--profile", "note", "--baud", "9600")
def baud_no_idle_credit(m):
    """A strict UART: after an idle pause neither direction may send faster
    than the line (no burst from banked idle time). A command line runs at
    its CR, its last byte, so its answer's last byte cannot arrive before
    (command + answer) * 10 / baud seconds after the write."""
    rate = 9600 / 10.0
    m.ok("AT")
    for what, line, least in (("answer", b"AT#IPPING=5,127.0.0.1,1,10,20\r", 250),  # 30 B up, ~300 down
                              ("command", b"AT" + b" " * 400 + b"\r", 9)):         # 403 B up, 9 down
        time.sleep(0.3)  # both directions idle
        took, got = timed_exchange(m, line)
        check(got >= least, "%s of %d bytes" % (what, got))
        floor = (len(line) + got) / rate
        check(took >= floor, "9600 baud after a pause, %s-heavy: %d B up and %d B down took %.4f s, "
              "a line needs at least %.4f s" % (what, len(line), got, took, floor))


@test
@with_modem("--profile", "note", "--baud", "115200")
def baud_bulk_rate(m):
    """Bulk transfers still run at about the line rate in each direction:
    pipelined commands keep one direction busy. (The one timing check with
    an upper bound, a generous one: 0.9 of the line rate, 0.5 under
    valgrind.)"""
    rate = 115200 / 10.0
    least = 0.5 if WRAPPER else 0.9
    m.ok("AT")
    pings = b"AT#IPPING=5,127.0.0.1,1,10,20\r" * 20   # ~6 KB down
    longs = (b"AT" + b" " * 500 + b"\r") * 10        # ~5 KB up
    for what, data, count in (("down", pings, 20), ("up", longs, 10)):
        time.sleep(0.1)
        took, got = timed_exchange(m, data, finals=count)
        busy = got if what == "down" else len(data)
        # Full duplex: the answers of earlier lines go down while later
        # lines come up. At least the first line must come up before the
        # answers go down, and the last answer goes after the last line.
        floor = (len(data) + got // count if what == "up" else len(data) // count + got) / rate
        check(took >= floor, "115200 baud bulk %s: %d B up, %d B down in %.4f s, under the %.4f s a "
              "line needs" % (what, len(data), got, took, floor))
        efficiency = busy / took / rate
        check(efficiency >= least, "115200 baud bulk %s: %d B in %.3f s is %.3f of the line rate"
              % (what, busy, took, efficiency))


@test
@with_modem("--fragment", "--seed", "3")
def fragments(m):
    m.reads = []
    r = m.ok("AT#IPPING=5,127.0.0.1,1,10,20")
    eq(len(r.lines), 21)
    check(len(m.reads) > 5 and min(m.reads) <= 7,
          "output in small pieces: %r" % m.reads)


@test
@with_modem("--urc-noise", "--seed", "5")
def urc_noise(m):
    seen = set()
    for _ in range(40):
        r = m.ok("AT#IPCFG?")
        eq(r.info("#IPCFG:"), ['#IPCFG: 5,1,"127.0.0.1","::1"'])
        for l in r.lines:
            check(l == r.info("#IPCFG:")[0] or l in ("+CEREG: 1", "+CSCON: 1"), "noise %r" % l)
            seen.add(l)
    check("+CEREG: 1" in seen and "+CSCON: 1" in seen, "both noise URCs: %r" % seen)


@test
@with_modem("--garbage", "--seed", "9")
def garbage(m):
    junk = []
    for _ in range(40):
        r = m.ok("AT#IPPARAMS?")
        eq(r.info("#IPPARAMS:"), ["#IPPARAMS: 1,0,65535,60"])
        junk += [l for l in r.lines if not l.startswith("#IPPARAMS:")]
    check(junk, "some garbage lines")
    for l in junk:
        check(not l.startswith(("AT", "OK", "ERROR", "+CME", "#")) and "," not in l,
              "garbage %r" % l)


@test
def urc_interleave():
    results = {}
    for args in ([], ["--urc-interleave"]):
        srv = TcpServer(echo_handler)
        with stopped_cleanly(Modem("--latency", "400", *args), srv) as m:
            m.tcp_connected(srv.port)
            # data arrives while the next command waits for its final result
            m.write(b"AT#IPSENDTCP=5,0,0,,x\r\n")
            results[bool(args)] = (m.collect().lines, m.drain(0.3))
    eq(results[False], ([], b"\r\n#IPRECV: 5,0\r\n"), "deferred until after OK")
    eq(results[True], (["#IPRECV: 5,0"], b""), "sent before OK")


@test
@with_modem("--latency", "300")
def latency(m):
    t0 = time.monotonic()
    m.ok("AT")
    check(time.monotonic() - t0 >= 0.29, "latency")


@test
@with_modem("--stall-after", "3")
def stall(m):
    m.ok("AT")
    m.ok("AT")
    m.ok("AT")
    m.write(b"AT\r\n")
    try:
        m.collect(timeout=1.0)
        raise Fail("answered after the stall")
    except Timeout:
        pass
    m.write(b"AT\r\n" * 100)
    eq(m.drain(0.3), b"", "stalled")


@test
def sleep_model():
    echo = UdpEcho()
    with stopped_cleanly(Modem("--sleep-after", "300", "--sleep-urcs"), echo) as m:
        m.ok("AT+CMEE=1")
        eq(m.ok("AT#SLEEPMODE?").lines, ["#SLEEPMODE: 1,1"], "hold rounded up to 1 s")
        m.wait_urc("#SLEEP")
        time.sleep(0.2)  # asleep until a line comes: this much of the run is not awake
        m.write(b"AT\r\n")
        eq(m.read_line(), "#WAKEUP", "the line woke the modem")
        eq(m.drain(0.1), b"", "the line that woke it is lost")
        m.ok("AT")
        m.ok("AT#SLEEPMODE=1,20")
        m.ok("AT#SLEEPMODE")
        m.wait_urc("#SLEEP")  # long before the 20 s hold: the execute form sleeps at once
        m.write(b"AT\r\n")
        m.wait_urc("#WAKEUP")
        m.ok("AT#SLEEPMODE=0,20")
        eq(m.ok("AT#SLEEPMODE?").lines, ["#SLEEPMODE: 0,20"])
        m.err("AT#SLEEPMODE=2", 50)
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,0")
        for rai in (0, 1, 2, 2):
            m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,%d,0,,x" % (echo.port, rai))
        m.err("AT#IPSENDUDP=5,0,127.0.0.1,%d,3,0,,x" % echo.port, 2147)
        eq(m.unsolicited, [], "no URC beyond those waited for")
    st = m.stats()
    eq([st["udp_rai_%d" % rai] for rai in range(3)], [1, 1, 2], "sends by <rai>")
    eq(st["wakeups"], 2)
    eq(st["commands_while_asleep"], 2)
    eq(st["commands"]["AT"], 1, "lost lines are not executed")
    check(st["awake_ms"] <= st["run_ms"] - 200, "the sleep is not awake time: %r" % st)


@test
def never_sleeps_by_default():
    with stopped_cleanly(Modem()) as m:
        m.ok("AT+CMEE=1")
        m.err("AT#SLEEPMODE?", 504)
        m.ok("AT")
    st = m.stats()
    eq((st["wakeups"], st["commands_while_asleep"]), (0, 0))
    eq(st["awake_ms"], st["run_ms"], "awake all the time")


@test
def reboot():
    with stopped_cleanly(Modem("--reboot-after", "3")) as m:
        m.ok("AT+CMEE=1")
        m.ok("ATE1")
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
        m.write(b"AT#IPSENDUDP=5,0,127.0.0.1,9,0,1,4\r\nabcd")
        lines = [m.read_line() for _ in range(6)]
        eq(lines, ["AT#IPSENDUDP=5,0,127.0.0.1,9,0,1,4", "#SIMST: 1", "+CEREG: 2",
                   "+CGEV: ME PDN ACT 5", "+CEREG: 1", '#IPCFG: 5,1,"127.0.0.1"'])
        eq(m.drain(0.3), b"", "no answer to the rebooting command")
        eq(m.ok("AT").lines, [], "echo back to off")
        eq(m.ok("AT#SOCKETCREATE?").lines, [], "sockets gone")
        eq(m.cmd("AT#NOSUCH").final, "ERROR", "CMEE back to 0")
        for _ in range(5):
            m.ok("AT")  # only once
    eq(m.stats()["reboots"], 1)


@test
def reset_command():
    # AT#RESET=1 (the note's way to take new AT#IPPARAMS): OK, then a restart's boot lines; the settings written
    # before it are kept, and --reboot-after still has its own reboot to come.
    with stopped_cleanly(Modem("--reboot-after", "8")) as m:
        m.ok("AT+CMEE=1")
        m.ok('AT#IPPARAMS=1,0,65535,60,0,"127.0.0.53"')
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
        eq(m.ok("AT#RESET=?").lines, ["#RESET: (0,1)"])
        m.ok("AT#RESET=1")
        lines = [m.read_line() for _ in range(5)]
        eq(lines, ["#SIMST: 1", "+CEREG: 2", "+CGEV: ME PDN ACT 5", "+CEREG: 1", '#IPCFG: 5,1,"127.0.0.1"'])
        eq(m.ok("AT#SOCKETCREATE?").lines, [], "sockets gone")
        eq(m.ok("AT#IPPARAMS?").lines, ['#IPPARAMS: 1,0,65535,60,0,"127.0.0.53"'], "settings kept")
        eq(m.cmd("AT#RESET=2").final, "ERROR", "CMEE back to 0")
        m.write(b"AT\r\n")
        eq(m.read_line(), "#SIMST: 1", "the --reboot-after reboot at command 9")
    eq(m.stats()["reboots"], 2)


@test
def connect_delay():
    srv = TcpServer(echo_handler)
    with stopped_cleanly(Modem("--connect-delay", "300"), srv) as m:
        m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
        t0 = time.monotonic()
        m.ok("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port)
        check(time.monotonic() - t0 >= 0.29, "connect delay")


# ---------------------------------------------------------------- firmware variants

def port_is_free(port, family=socket.AF_INET):
    """True when a UDP socket can bind the port: nobody holds it."""
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def run_exe(*args):
    return subprocess.run([EXE] + list(args), capture_output=True, text=True)


def expect_bad_args(args, name):
    out = run_exe(*args)
    eq(out.returncode, 2, " ".join(args))
    eq(out.stdout, "", " ".join(args))
    eq(len(out.stderr.splitlines()), 1, "one line for " + " ".join(args))
    check(name in out.stderr, "names %s: %r" % (name, out.stderr))


@test
def send_handshake_two():
    srv = TcpServer(echo_handler)
    echo = UdpEcho()
    with stopped_cleanly(Modem("--send-handshake", "two"), srv, echo) as m:
        m.ok("AT+CMEE=1")
        m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
        # not connected: refused at the line, the bytes after it are AT text
        m.write(b"AT#IPSENDTCP=5,0,1,4\r\nAT\r\n")
        eq(m.collect().final, "+CME ERROR: 2154", "not connected: at the line")
        eq(m.collect().final, "OK", "what followed was a command")
        m.ok("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port)
        # the LF after the line's CR is skipped, a payload's own LF is kept
        first, second = m.send2("AT#IPSENDTCP=5,0,1,4", b"\nab\r")
        eq((first.lines, first.final, second.final), ([], "OK", "OK"), "two results")
        m.wait_urc("#IPRECV: 5,0")
        eq(m.read_all(0, 4), b"\nab\r")
        data = bytes(range(256)) * 2
        first, second = m.send2("AT#IPSENDTCP=5,0,1,512", data)
        eq(second.final, "OK")
        eq(m.read_all(0, 512), data)
        # refused lines: the error at once, nothing collected
        for line, code in (("AT#IPSENDTCP=5,1,1,5", 2153), ("AT#IPSENDTCP=5,7,1,5", 2104),
                           ("AT#IPSENDTCP=4,0,1,5", 2100), ("AT#IPSENDTCP=5,0,1,513", 2146),
                           ("AT#IPSENDTCP=5,0,1,0", 2146)):
            m.write(line.encode() + b"\r\nAT\r\n")
            eq(m.collect().final, "+CME ERROR: %d" % code, line)
            eq(m.collect().final, "OK", "nothing collected after " + line)
        # text sends are one step in both modes
        m.ok("AT#IPSENDTCP=5,0,0,,text")
        eq(m.read_all(0, 4), b"text")
        # UDP: address, port and RAI are checked at the line
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
        for line, code in (("AT#IPSENDUDP=5,1,192.0.2.1,%d,0,1,4" % echo.port, 2103),
                           ("AT#IPSENDUDP=5,1,::1,%d,0,1,4" % echo.port, 2103),
                           ("AT#IPSENDUDP=5,1,127.0.0.1,0,0,1,4", 2141),
                           ("AT#IPSENDUDP=5,1,127.0.0.1,%d,3,1,4" % echo.port, 2147),
                           ("AT#IPSENDUDP=5,2,127.0.0.1,%d,0,1,4" % echo.port, 2153)):
            first, second = m.send2(line, b"")
            eq((first.final, second), ("+CME ERROR: %d" % code, None), line)
            m.ok("AT")
        first, second = m.send2("AT#IPSENDUDP=5,1,127.0.0.1,%d,1,1,5" % echo.port, b"dgram")
        eq((first.final, second.final), ("OK", "OK"), "UDP two-step")
        m.wait_urc("#IPRECV: 5,1")
        eq(m.ok("AT#IPREAD=5,1").read()[1], b"dgram")
        eq(echo.received, [b"dgram"], "only the accepted datagram left")
    st = m.stats()
    eq((st["profile"], st["send_handshake"]), ("note", "two"), "stats")
    lines = m.trace().splitlines()
    # the second send of that line (the first was refused)
    i = lines.index("> AT#IPSENDTCP=5,0,1,4", lines.index("> AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port))
    eq(lines[i:i + 4], ["> AT#IPSENDTCP=5,0,1,4", "< OK", "> [binary 4 bytes]", "< OK"],
       "trace shows both results")


@test
def send_handshake_two_latency():
    srv = TcpServer(echo_handler)
    with stopped_cleanly(Modem("--send-handshake", "two", "--latency", "300"), srv) as m:
        m.tcp_connected(srv.port)
        m.write(b"AT#IPSENDTCP=5,0,1,3\r\n")
        eq(m.collect().final, "OK", "the line's OK comes without the data")
        t0 = time.monotonic()
        m.write(b"xyz")
        eq(m.collect().final, "OK")
        check(time.monotonic() - t0 >= 0.29, "--latency holds the second result")


@test
def send_handshake_two_reboot():
    with stopped_cleanly(Modem("--send-handshake", "two", "--reboot-after", "1")) as m:
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
        # the reboot comes at the line: no OK, so no host sends the data
        m.write(b"AT#IPSENDUDP=5,0,127.0.0.1,9,0,1,4\r\n")
        eq(m.read_line(), "#SIMST: 1")
        m.drain(0.3)
        eq(m.ok("AT#SOCKETCREATE?").lines, [], "rebooted")


@test
def send_handshake_one_is_default():
    srv = TcpServer(echo_handler)
    with stopped_cleanly(Modem("--send-handshake", "one"), srv) as m:
        m.tcp_connected(srv.port)
        m.write(b"AT#IPSENDTCP=5,0,1,3\r\n")
        eq(m.drain(0.3), b"", "no OK before the data")
        m.write(b"xyz")
        eq(m.collect().final, "OK")
        eq(m.drain(0.3).replace(b"\r\n", b""), b"#IPRECV: 5,0", "one result only")


@test
def cid_option():
    srv = TcpServer(send_and_close(b"bye"))
    with stopped_cleanly(Modem("--cid", "3", "--link-down", "--auto-ip", "100", "--socketclosed-urc", cid=3), srv) as m:
        eq(m.wait_urc("+CGEV:"), "+CGEV: ME PDN ACT 3")
        eq(m.wait_urc("#IPCFG:"), '#IPCFG: 3,1,"127.0.0.1"')
        m.ok("AT+CMEE=1")
        eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 3,1,"127.0.0.1","::1"'])
        eq(m.ok("AT+CGPADDR").lines, ['+CGPADDR: 3,"127.0.0.1","::1"'], "exec form")
        eq(m.ok("AT+CGPADDR=3").lines, ['+CGPADDR: 3,"127.0.0.1","::1"'])
        eq(m.ok("AT+CGPADDR=5").lines, [], "no context 5")
        eq(m.ok("AT+CGPADDR=?").lines, ["+CGPADDR: (3)"])
        for line in ("AT#SOCKETCREATE=5,0,TCP,0,1,1,1", "AT#IPREAD=5,0", "AT#IPPING=5,127.0.0.1",
                     "AT#IPCFG=5,0,127.0.0.1", "AT#IPDEL=5", "AT#SOCKETCLOSE=5,0"):
            m.err(line, 2100)
        m.ok("AT#SOCKETCREATE=3,0,TCP,0,1,1,1")
        eq(m.ok("AT#SOCKETCREATE?").lines, ["#SOCKETCREATE: 3,0,6,TCP,0,1,1,1,0"])
        m.ok("AT#TCPCONNECT=3,0,127.0.0.1,%d" % srv.port)
        eq(m.ok("AT#TCPCONNECT?").lines, ["#TCPCONNECT: 3,0,5"])
        m.ok("AT#IPSENDTCP=3,0,0,,hi")
        eq(m.wait_urc("#IPRECV:"), "#IPRECV: 3,0")
        eq(m.wait_urc("#SOCKETCLOSED:"), "#SOCKETCLOSED: 3,0")
        eq(m.ok("AT#IPREAD=3,0").read(), ("#IPREAD: 3,0,3", b"bye"))
        eq(m.ok("AT#IPSENDTCP=?").lines, ['#IPSENDTCP: (3),(0-2),(0-2),(1-512),"<data>"'])
        m.ok("AT#IPDEL=3")
        eq(m.ok("AT#IPCFG?").lines, ["#IPCFG: 3,0"])
        m.ok("AT#IPCFG=3,0,127.0.0.1")
        eq(m.wait_urc("IP Network"), "IP Network is Up for context 3")


@test
def cid_reboot():
    with stopped_cleanly(Modem("--cid", "15", "--reboot-after", "1")) as m:
        m.ok("AT")
        m.write(b"AT\r\n")
        eq([m.read_line() for _ in range(5)],
           ["#SIMST: 1", "+CEREG: 2", "+CGEV: ME PDN ACT 15", "+CEREG: 1",
            '#IPCFG: 15,1,"127.0.0.1"'], "boot lines carry the cid")


@test
def dns():
    m = Modem("--dns", "--dns-entry", "example.test=127.0.0.2",
              "--dns-entry", "Example.Test=::1", "--dns-entry", "six.test=::1")
    try:
        m.ok("AT+CMEE=1")
        eq(m.ok("AT#DNS=5,0,localhost").lines, ["#DNS: 127.0.0.1"])
        eq(m.ok('AT#DNS=5,1,"localhost"').lines, ["#DNS: ::1"])
        eq(m.ok("AT#DNS=5,0,LocalHost").lines, ["#DNS: 127.0.0.1"], "names ignore case")
        eq(m.ok('AT#DNS=5,0,"example.test"').lines, ["#DNS: 127.0.0.2"])
        eq(m.ok("AT#DNS=5,1,EXAMPLE.TEST").lines, ["#DNS: ::1"], "the family picks")
        eq(m.ok("AT#DNS=5,1,six.test").lines, ["#DNS: ::1"])
        m.err("AT#DNS=5,0,six.test", 2171)  # known only as IPv6
        m.err("AT#DNS=5,0,nosuch.test", 2171)
        m.err("AT#DNS=5,0," + "a" * 300, 2171)
        m.err("AT#DNS=4,0,localhost", 2100)
        m.err("AT#DNS=5,2,localhost", 2102)
        m.err("AT#DNS=5,0", 503)
        m.err("AT#DNS=5,0,", 50)
        m.err("AT#DNS?", 504)
        eq(m.ok("AT#DNS=?").lines, ['#DNS: (5),(0,1),"<name>"'])
        m.ok("AT#IPDEL=5")
        m.err("AT#DNS=5,0,localhost", 2106)
    finally:
        eq(m.stop(), 0)
    st = m.stats()
    eq(st["dns_queries"], 9, "lookups made")
    eq(st["commands"]["AT#DNS"], 16, "every AT#DNS line")


@test
def dns_off_and_delay():
    with stopped_cleanly(Modem()) as m:
        m.ok("AT+CMEE=1")
        m.err("AT#DNS=5,0,localhost", 504)
        m.err("AT#DNS=?", 504)
    with stopped_cleanly(Modem("--dns", "--dns-delay", "300")) as m:
        m.ok("AT+CMEE=1")
        for line, lines, final in (("AT#DNS=5,0,localhost", ["#DNS: 127.0.0.1"], "OK"),
                                   ("AT#DNS=5,0,nosuch.test", [], "+CME ERROR: 2171")):
            t0 = time.monotonic()
            r = m.cmd(line)
            check(time.monotonic() - t0 >= 0.29, "--dns-delay: " + line)
            eq((r.lines, r.final), (lines, final), line)


@test
def max_send():
    srv = TcpServer(echo_handler)
    echo = UdpEcho()
    with stopped_cleanly(Modem("--max-send", "1600"), srv, echo) as m:
        m.ok("AT+CMEE=1")
        eq(m.ok("AT#IPSENDTCP=?").lines, ['#IPSENDTCP: (5),(0-2),(0-2),(1-1600),"<data>"'])
        check("(1-1600)" in m.ok("AT#IPSENDUDP=?").lines[0], "UDP range")
        m.tcp_connected(srv.port)
        blob = random.Random(6).randbytes(1600)
        m.ok("AT#IPSENDTCP=5,0,1,1600", blob)
        eq(m.read_all(0, 1600), blob)
        # above the limit: 2146 at once, the next bytes are AT text
        m.write(b"AT#IPSENDTCP=5,0,1,1601\r\nAT\r\n")
        eq(m.collect().final, "+CME ERROR: 2146")
        eq(m.collect().final, "OK", "nothing collected")
        m.ok("AT#IPSENDTCP=5,0,0,," + "t" * 1600)
        m.err("AT#IPSENDTCP=5,0,0,," + "t" * 1601, 2146)
        m.ok("AT#IPSENDTCP=5,0,2,," + blob.hex())
        m.err("AT#IPSENDTCP=5,0,2,," + blob.hex() + "00", 2146)
        eq(m.read_all(0, 3200), b"t" * 1600 + blob)
        # UDP: a 1600-byte datagram goes out and comes back in one read,
        # bigger than --read-chunk (1500 by default): UDP reads are whole
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
        m.ok("AT#IPSENDUDP=5,1,127.0.0.1,%d,0,1,1600" % echo.port, blob)
        m.wait_urc("#IPRECV: 5,1")
        eq(m.ok("AT#IPREAD=5,1").read(), ("#IPREAD: 5,1,1600", blob))


@test
def max_send_hex_counts_chars():
    srv = TcpServer(echo_handler)
    for args, ok_bytes, bad_bytes in (([], 512, 513), (["--hex-counts-chars"], 256, 257)):
        with stopped_cleanly(Modem(*args)) as m:
            m.ok("AT+CMEE=1")
            eq(m.ok("AT#IPSENDUDP=?").lines[0],
               '#IPSENDUDP: (5),(0-2),"<ip_address>",(1-65535),(0-2),(0-2),(1-512),"<data>"')
            m.tcp_connected(srv.port)
            m.ok("AT#IPSENDTCP=5,0,2,," + "ab" * ok_bytes)
            m.err("AT#IPSENDTCP=5,0,2,," + "ab" * bad_bytes, 2146)
            m.ok("AT#IPSENDTCP=5,0,0,," + "x" * 512)  # ASCII: bytes in any case
            m.ok("AT#IPSENDTCP=5,0,1,512", b"y" * 512)
            m.err("AT#IPSENDTCP=5,0,1,513", 2146)
            eq(m.read_all(0, ok_bytes + 1024), b"\xab" * ok_bytes + b"x" * 512 + b"y" * 512)
    srv.close()


@test
def udp_large_datagram_in():
    with stopped_cleanly(Modem("--read-chunk", "1600")) as m:
        port = free_udp_port()
        m.ok("AT#SOCKETCREATE=5,0,UDP,%d,1,1,1" % port)
        blob = random.Random(8).randbytes(1600)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(blob, ("127.0.0.1", port))
        s.close()
        m.wait_urc("#IPRECV: 5,0")
        eq(m.ok("AT#IPREAD=5,0").read(), ("#IPREAD: 5,0,1600", blob))


@test
def udp_bound_port():
    echo = UdpEcho()
    echo6 = UdpEcho(socket.AF_INET6) if HAVE_IPV6 else None
    with stopped_cleanly(Modem(), echo, echo6) as m:
        port = free_udp_port()
        m.ok("AT#SOCKETCREATE=5,0,UDP,%d,1,1,1" % port)
        check(not port_is_free(port), "the host socket holds 127.0.0.1:%d" % port)
        m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,0,,from-bound" % echo.port)
        m.wait_urc("#IPRECV: 5,0")
        eq(echo.peers, [("127.0.0.1", port)], "sent from the bound port")
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")  # 0: any port
        m.ok("AT#IPSENDUDP=5,1,127.0.0.1,%d,0,0,,any" % echo.port)
        m.wait_urc("#IPRECV: 5,1")
        eq(echo.peers[1][0], "127.0.0.1", "port 0: still loopback")
        check(echo.peers[1][1] not in (0, port), "port 0: an ephemeral port")
        m.ok("AT#SOCKETCLOSE=5,0")
        check(port_is_free(port), "closed: the port is free again")
        if echo6:
            port6 = free_udp_port(socket.AF_INET6)
            m.ok("AT#SOCKETCREATE=5,1,UDP,%d,1,1,1" % port6)
            m.ok("AT#IPSENDUDP=5,0,::1,%d,0,0,,six" % echo6.port)
            m.wait_urc("#IPRECV: 5,0")
            eq(echo6.peers, [("::1", port6)], "IPv6: sent from [::1]:%d" % port6)


@test
@with_modem("--empty-read", "ok")
def empty_read_ok(m):
    port = free_udp_port()
    m.ok("AT#SOCKETCREATE=5,0,UDP,%d,1,1,1" % port)
    eq(m.ok("AT#IPREAD=5,0").lines, [], "a bare OK")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"one", ("127.0.0.1", port))
    s.close()
    m.wait_urc("#IPRECV: 5,0")
    eq(m.ok("AT#IPREAD=5,0").read(), ("#IPREAD: 5,0,3", b"one"))
    eq(m.ok("AT#IPREAD=5,0").lines, [], "empty again")


@test
@with_modem("--ping-prefix", "IPING")
def ping_prefix(m):
    eq(m.ok("AT#IPPING=5,127.0.0.1,5,32,1").lines, ["1,0,32,21", "#IPING: 1,1,0,21,21,21"])
    eq(m.ok("AT#IPING=5,192.0.2.1").lines, ["1,1,10,999999", "#IPING: 1,0,1,0,0,0"])
    eq(m.ok("AT#IPING=?").lines, ['#IPING: (5),"<ip_address>",(1-120),(1-450),(1-20)'])


@test
def refuse_connects():
    srv = TcpServer(echo_handler)
    with stopped_cleanly(Modem("--refuse-connects", "2"), srv) as m:
        m.ok("AT+CMEE=1")
        m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
        m.err("AT#TCPCONNECT=5,0,192.0.2.1,80", 2152)  # fails anyway: not counted
        m.err("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port, 2152)
        eq(m.ok("AT#TCPCONNECT?").lines, ["#TCPCONNECT: 5,0,3"])
        m.err("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port, 2152)
        m.ok("AT#TCPCONNECT=5,0,127.0.0.1,%d" % srv.port)
        m.ok("AT#IPSENDTCP=5,0,0,,works")
        eq(m.read_all(0, 5), b"works")
    eq(m.stats()["connects_refused_injected"], 2)


@test
def refuse_port_zero():
    with stopped_cleanly(Modem("--refuse-port-zero")) as m:
        m.ok("AT+CMEE=1")
        m.err("AT#SOCKETCREATE=5,0,TCP,0,1,1,1", 2141)
        eq(m.ok("AT#SOCKETCREATE=5,0,TCP,,1,1,1").lines, ["#SOCKETCREATE: 0"], "empty is taken")
        eq(m.ok("AT#SOCKETCREATE=5,0,UDP,,1,1,1").lines, ["#SOCKETCREATE: 1"], "UDP: any port")
        eq(m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1").lines, ["#SOCKETCREATE: 2"], "UDP 0 taken")


LOSS_URCS = {"nw-deact": "+CGEV: NW PDN DEACT 5", "nw-detach": "+CGEV: NW DETACH",
             "ipcfg0": "#IPCFG: 5,0", "cereg": "+CEREG: 2"}


@test
def link_loss():
    for variant, urc in sorted(LOSS_URCS.items()):
        peer_eof = threading.Event()

        def handler(conn):
            while conn.recv(100):
                pass
            peer_eof.set()

        srv = TcpServer(handler)
        port = free_udp_port()
        with stopped_cleanly(Modem("--link-loss-after", "4", "--link-loss-urc", variant), srv) as m:
            m.ok("AT+CMEE=1")
            m.ok("AT#SOCKETCREATE=5,0,UDP,%d,1,1,1" % port)
            m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
            r = m.ok("AT#TCPCONNECT=5,1,127.0.0.1,%d" % srv.port)
            eq(r.lines, [], variant + ": the URC follows the 4th command's OK")
            eq(m.read_line(), urc, variant)
            check(peer_eof.wait(5), variant + ": the TCP peer saw the close")
            check(port_is_free(port), variant + ": the UDP host socket is closed")
            eq(m.ok("AT#IPCFG?").lines, ["#IPCFG: 5,0"], variant)
            eq(m.ok("AT#SOCKETCREATE?").lines, [], variant + ": every socket gone")
            for line in ("AT#SOCKETCREATE=5,0,UDP,0,1,1,1", "AT#IPREAD=5,0",
                         "AT#IPSENDTCP=5,1,0,,x", "AT#TCPCONNECT=5,1,127.0.0.1,1",
                         "AT#IPPING=5,127.0.0.1"):
                m.err(line, 2106)
            m.ok("AT#IPCFG=5,0,127.0.0.1")
            eq(m.wait_urc("IP Network"), "IP Network is Up for context 5")
            eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 5,1,"127.0.0.1","::1"'])
            m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
            for _ in range(5):
                m.ok("AT")  # only once
            eq(m.drain(0.3), b"", variant + ": no second loss")
        eq(m.stats()["link_losses"], 1, variant)


@test
def link_loss_returns():
    m = Modem("--cid", "2", "--link-loss-after", "1", "--link-loss-urc", "cereg",
              "--link-return", "300", cid=2)
    try:
        m.ok("AT")
        t0 = time.monotonic()
        eq(m.read_line(), "+CEREG: 2")
        eq(m.ok("AT#IPCFG?").lines, ["#IPCFG: 2,0"])
        eq([m.read_line() for _ in range(3)],
           ["+CGEV: NW PDN ACT 2", "+CEREG: 1", '#IPCFG: 2,1,"127.0.0.1"'])
        check(time.monotonic() - t0 >= 0.29, "came back after --link-return")
        eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 2,1,"127.0.0.1","::1"'])
        m.ok("AT#SOCKETCREATE=2,0,UDP,0,1,1,1")
    finally:
        eq(m.stop(), 0)
    # the host may be first: then the timer has nothing left to do
    with stopped_cleanly(Modem("--link-loss-after", "1", "--link-return", "300")) as m:
        m.ok("AT")
        eq(m.read_line(), "+CGEV: NW PDN DEACT 5")
        m.ok("AT#IPCFG=5,0,127.0.0.1")
        eq(m.read_line(), "IP Network is Up for context 5")
        eq(m.drain(0.6), b"", "no return URCs after AT#IPCFG")
    # N = 0: lost at start, before any command (its URC may go before the
    # test opens the pty, so only the state is checked)
    with stopped_cleanly(Modem("--link-loss-after", "0")) as m:
        eq(m.ok("AT#IPCFG?").info("#IPCFG:"), ["#IPCFG: 5,0"], "N = 0: down at start")


@test
def fail_send():
    srv = TcpServer(echo_handler)
    echo = UdpEcho()
    with stopped_cleanly(Modem("--fail-send-after", "3"), srv, echo) as m:
        m.ok("AT+CMEE=1")
        port = free_udp_port()
        m.ok("AT#SOCKETCREATE=5,0,UDP,%d,1,1,1" % port)
        m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1")
        m.ok("AT#TCPCONNECT=5,1,127.0.0.1,%d" % srv.port)
        m.ok("AT#IPSENDTCP=5,1,0,,one")               # 1
        m.err("AT#IPSENDUDP=5,2,127.0.0.1,%d,0,0,,x" % echo.port, 2153)  # fails anyway
        m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,0,,two" % echo.port)      # 2
        m.err("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,1,5" % echo.port, 2154, b"three")  # 3
        check(port_is_free(port), "the UDP host socket is closed")
        m.err("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,0,,four" % echo.port, 2153)
        m.err("AT#IPREAD=5,0", 2153)
        # The echo's #IPRECV may come among the answer's lines on a slow machine: only the answer counts.
        eq(m.ok("AT#SOCKETCREATE?").info("#SOCKETCREATE:"), ["#SOCKETCREATE: 5,1,7,TCP,0,1,1,1,0"],
           "the other socket stays")
        m.ok("AT#IPSENDTCP=5,1,0,,five")
        eq(m.read_all(1, 7), b"onefive")
        time.sleep(0.1)
        eq(echo.received, [b"two"], "the failed datagram never left")
    eq(m.stats()["sends_failed_injected"], 1)


@test
def fail_send_two_step():
    got = bytearray()
    srv = TcpServer(slow_reader(0, got))
    with stopped_cleanly(Modem("--send-handshake", "two", "--fail-send-after", "1", "--fail-send-code", "2158"), srv) as m:
        m.ok("AT+CMEE=1")
        m.tcp_connected(srv.port)
        first, second = m.send2("AT#IPSENDTCP=5,0,1,5", b"AT\r\n\n")
        eq((first.final, second.final), ("OK", "+CME ERROR: 2158"),
           "the error is the second result, the data was taken")
        m.err("AT#IPSENDTCP=5,0,0,,x", 2153)
        eq(m.ok("AT#SOCKETCREATE?").lines, [], "socket closed")
        m.tcp_connected(srv.port)
        eq(m.send2("AT#IPSENDTCP=5,0,1,2", b"ok")[1].final, "OK", "only once")
        # The peer's thread reads on its own: closing the server before it did would lose the bytes.
        deadline = time.monotonic() + 5
        while bytes(got) != b"ok" and time.monotonic() < deadline:
            time.sleep(0.01)
    eq(bytes(got), b"ok", "the failed payload never reached the peer")


@test
def sid_base():
    srv = TcpServer(echo_handler)
    with stopped_cleanly(Modem("--sid-base", "10"), srv) as m:
        m.ok("AT+CMEE=1")
        eq(m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1").lines, ["#SOCKETCREATE: 10"])
        eq(m.ok("AT#SOCKETCREATE=5,0,TCP,0,1,1,1").lines, ["#SOCKETCREATE: 11"])
        eq(m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1").lines, ["#SOCKETCREATE: 12"])
        eq([l.split(",")[1] for l in m.ok("AT#SOCKETCREATE?").lines], ["10", "11", "12"])
        for sid in (0, 2, 9, 13):
            m.err("AT#IPREAD=5,%d" % sid, 2104)
            m.err("AT#IPSENDTCP=5,%d,0,,x" % sid, 2104)
            m.err("AT#SOCKETCLOSE=5,%d" % sid, 2104)
        m.err("AT#TCPCONNECT=5,10,127.0.0.1,%d" % srv.port, 2153)  # UDP
        m.ok("AT#TCPCONNECT=5,11,127.0.0.1,%d" % srv.port)
        eq(m.ok("AT#TCPCONNECT?").lines, ["#TCPCONNECT: 5,11,5"])
        m.ok("AT#IPSENDTCP=5,11,1,3", b"abc")
        eq(m.wait_urc("#IPRECV:"), "#IPRECV: 5,11")
        eq(m.ok("AT#IPREAD=5,11").read(), ("#IPREAD: 5,11,3", b"abc"))
        eq(m.ok("AT#IPREAD=?").lines, ["#IPREAD: (5),(10-12)"])
        m.ok("AT#SOCKETCLOSE=5,10")
        eq(m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1").lines, ["#SOCKETCREATE: 10"], "lowest free")


@test
def profile_maker():
    srv = TcpServer(echo_handler)
    with stopped_cleanly(Modem("--profile", "maker", cid=1), srv) as m:
        m.ok("AT+CMEE=1")
        eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 1,1,"127.0.0.1","::1"'], "cid 1")
        eq(m.ok("AT#DNS=1,0,localhost").lines, ["#DNS: 127.0.0.1"], "DNS on")
        eq(m.ok("AT#IPSENDTCP=?").lines, ['#IPSENDTCP: (1),(0-2),(0-2),(1-1024),"<data>"'])
        eq(m.ok("AT#IPPING=1,127.0.0.1").lines[-1], "#IPING: 1,1,0,21,21,21")
        m.err("AT#SOCKETCREATE=1,0,TCP,0,1,1,1", 2141)
        m.ok("AT#SOCKETCREATE=1,0,TCP,,1,1,1")
        m.ok("AT#TCPCONNECT=1,0,127.0.0.1,%d" % srv.port)
        eq(m.ok("AT#IPREAD=1,0").lines, [], "empty read: bare OK")
        blob = random.Random(9).randbytes(3000)
        for i in range(0, len(blob), 1000):
            first, second = m.send2("AT#IPSENDTCP=1,0,1,1000", blob[i:i + 1000])
            eq((first.final, second.final), ("OK", "OK"), "two-step")
        m.err("AT#IPSENDTCP=1,0,1,1025", 2146)
        time.sleep(0.3)
        eq(len(m.ok("AT#IPREAD=1,0").read()[1]), 1024, "read chunk 1024")
        eq(m.read_all(0, 3000 - 1024, chunk=1024), blob[1024:])
    st = m.stats()
    eq((st["profile"], st["send_handshake"]), ("maker", "two"))


@test
def profile_overrides():
    # explicit switches win, before or after --profile
    m = Modem("--send-handshake", "one", "--cid", "7", "--profile", "maker", "--no-dns",
              "--empty-read", "header", cid=7)
    try:
        m.ok("AT+CMEE=1")
        eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 7,1,"127.0.0.1","::1"'])
        m.err("AT#DNS=7,0,localhost", 504)
        m.ok("AT#SOCKETCREATE=7,0,UDP,0,1,1,1")
        eq(m.ok("AT#IPREAD=7,0").read(), ("#IPREAD: 7,0,0", b""))
        eq(m.ok("AT#IPSENDUDP=?").lines[0],
           '#IPSENDUDP: (7),(0-2),"<ip_address>",(1-65535),(0-2),(0-2),(1-1024),"<data>"',
           "max-send still from the profile")
        eq(m.ok("AT#IPSENDUDP=7,0,127.0.0.1,9,0,1,2", b"hi").lines, [], "one step")
    finally:
        eq(m.stop(), 0)
    st = m.stats()
    eq((st["profile"], st["send_handshake"]), ("maker", "one"))
    # the last --profile counts
    with stopped_cleanly(Modem("--profile", "maker", "--profile", "note")) as m:
        eq(m.ok("AT#IPCFG?").lines, ['#IPCFG: 5,1,"127.0.0.1","::1"'])


@test
def command_line_options():
    out = subprocess.run([EXE, "--help"], capture_output=True, text=True)
    eq(out.returncode, 0)
    for opt in ("--baud", "--echo", "--ignore-ate0", "--fragment", "--urc-noise",
                "--garbage", "--latency", "--stall-after", "--reboot-after",
                "--connect-delay", "--read-chunk", "--rx-buffer", "--no-close-urc",
                "--socketclosed-urc", "--stats", "--trace", "--link", "--ipv4",
                "--ipv6", "--link-down", "--auto-ip", "--urc-interleave", "--seed",
                "--profile", "--send-handshake", "--cid", "--dns", "--no-dns", "--dns-entry",
                "--dns-delay", "--max-send", "--hex-counts-chars", "--refuse-port-zero", "--empty-read",
                "--ping-prefix", "--sid-base", "--refuse-connects", "--link-loss-after",
                "--link-loss-urc", "--link-return", "--fail-send-after", "--fail-send-code"):
        check(opt in out.stdout, "--help mentions " + opt)
    check(all(len(l) <= 80 for l in out.stdout.splitlines()), "--help fits 80 columns")
    out = subprocess.run([EXE, "--version"], capture_output=True, text=True)
    eq(out.returncode, 0)
    check(out.stdout.startswith("st87-fakemodem "), "--version")
    for bad, name in ((["--baud", "fast"], "--baud"), (["--bogus"], "--bogus"),
                      (["--latency"], "--latency"), (["--ipv4", "::1"], "--ipv4"),
                      (["extra"], "extra"), (["--rx-buffer", "0"], "--rx-buffer")):
        out = subprocess.run([EXE] + bad, capture_output=True, text=True)
        eq(out.returncode, 2, " ".join(bad))
        eq(out.stdout, "", " ".join(bad))
        eq(len(out.stderr.splitlines()), 1, "one line for " + " ".join(bad))
        check(name in out.stderr, "names %s: %r" % (name, out.stderr))
    for bad, name in ((["--profile", "zephyr"], "--profile"),
                      (["--send-handshake", "three"], "--send-handshake"),
                      (["--cid", "0"], "--cid"), (["--cid", "16"], "--cid"),
                      (["--max-send", "0"], "--max-send"), (["--max-send", "1601"], "--max-send"),
                      (["--empty-read", "none"], "--empty-read"),
                      (["--ping-prefix", "PING"], "--ping-prefix"),
                      (["--sid-base", "21"], "--sid-base"),
                      (["--refuse-connects", "-1"], "--refuse-connects"),
                      (["--link-loss-after", "x"], "--link-loss-after"),
                      (["--link-loss-urc", "cgev"], "--link-loss-urc"),
                      (["--link-return", "-5"], "--link-return"),
                      (["--fail-send-after", "0"], "--fail-send-after"),
                      (["--fail-send-code", "0"], "--fail-send-code"),
                      (["--dns-delay", "soon"], "--dns-delay"),
                      (["--dns-entry", "host.test=192.0.2.1"], "--dns-entry"),
                      (["--dns-entry", "host.test=::2"], "--dns-entry"),
                      (["--dns-entry", "host.test"], "--dns-entry"),
                      (["--dns-entry", "=127.0.0.1"], "--dns-entry"),
                      (["--dns-entry", "a,b=127.0.0.1"], "--dns-entry"),
                      (["--dns-entry", "h.test=127.0.0.1", "--dns-entry", "H.TEST=127.0.0.2"],
                       "--dns-entry")):
        expect_bad_args(bad, name)
    # the edges that are allowed
    for good in (["--read-chunk", "1600", "--max-send", "1600", "--cid", "15", "--sid-base", "20"],
                 ["--cid", "1", "--max-send", "1", "--sid-base", "0"],
                 ["--dns-entry", "h.test=127.0.0.1", "--dns-entry", "h.test=::1"]):
        m = Modem(*good)
        try:
            m.ok("AT")
        finally:
            eq(m.stop(), 0, " ".join(good))


@test
def sigint_exits_zero():
    m = Modem()
    m.ok("AT")
    eq(m.stop(signal.SIGINT), 0)


def main():
    global EXE
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    EXE = os.path.abspath(sys.argv[1])
    global TMP
    TMP = tempfile.mkdtemp(prefix="fakemodem-selftest-")
    WRAPPER[:] = valgrind_setup_wrapper()
    only = set(sys.argv[2:])
    failed = []
    for t in TESTS:
        if only and t.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            t()
            print("ok   %-28s %.2fs" % (t.__name__, time.monotonic() - t0), flush=True)
        except Exception as e:  # report every failure, keep going
            failed.append(t.__name__)
            print("FAIL %-28s %s: %s" % (t.__name__, type(e).__name__, e), flush=True)
            traceback.print_exc()
    print("%d tests, %d failed%s%s" % (len(TESTS) if not only else len(only), len(failed),
                                       (": " + " ".join(failed)) if failed else "",
                                       "" if HAVE_IPV6 else " (no ::1: IPv6 parts skipped)"))
    shutil.rmtree(TMP, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
