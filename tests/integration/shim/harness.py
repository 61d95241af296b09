"""Fixtures for running real programs through libst87shim.so and st87-fakemodem.

Everything here listens on or connects to loopback only, and everything a
fixture starts is stopped when its `with` block ends, whatever happens.
"""
import contextlib
import hashlib
import http.server
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time


# The fake modem's profile (ST87_FAKEMODEM_PROFILE): "note" or "maker" (context 1, AT#DNS, ...).
PROFILE = os.environ.get("ST87_FAKEMODEM_PROFILE") or "note"
CID = 1 if PROFILE == "maker" else 5


class Paths:
    """Build outputs, passed by meson as environment variables."""
    shim = os.environ["ST87_TEST_SHIM"]
    fakemodem = os.environ["ST87_TEST_FAKEMODEM"]
    st87run = os.environ.get("ST87_TEST_ST87RUN", "")
    st87d = os.environ.get("ST87_TEST_ST87D", "")
    st87ctl = os.environ.get("ST87_TEST_ST87CTL", "")


def _sanitizer_runtimes(library):
    """A sanitizer build of the shim needs its runtimes loaded first in the programs it is preloaded into."""
    try:
        listing = subprocess.run(["ldd", library], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    runtimes = []
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].startswith(("libasan", "libubsan", "libtsan")):
            runtimes.append(parts[2])
    return runtimes


def shim_built_with_asan():
    return any("libasan" in runtime for runtime in _sanitizer_runtimes(Paths.shim))


def client_wrapper():
    """valgrind around the client program when ST87_TEST_VALGRIND is set: it checks the shim inside it."""
    if not os.environ.get("ST87_TEST_VALGRIND"):
        return []
    return ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=no", "--trace-children=no"]


def preload_value(*libraries):
    runtimes = _sanitizer_runtimes(Paths.shim)
    # TSan goes after the shim: the libc calls the shim finds with RTLD_NEXT (close, ...) must pass
    # through TSan's interceptors, or it takes a reused fd number for a race.
    if any("libtsan" in runtime for runtime in runtimes):
        return ":".join(list(libraries) + runtimes)
    return ":".join(runtimes + list(libraries))


def shim_environment(**variables):
    """The environment for a program run through the shim; the sanitizers' checks of the program itself are off."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = preload_value(Paths.shim)
    # Leaks of curl or python are not ours; the shim's own are checked by the unit tests and valgrind.
    env["ASAN_OPTIONS"] = "detect_leaks=0:verify_asan_link_order=0:" + env.get("ASAN_OPTIONS", "")
    env.update({k: str(v) for k, v in variables.items()})
    return env


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def random_file(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return sha256_file(path)


class FakeModem:
    """st87-fakemodem on a pty, linked at <dir>/modem, with stats and trace files."""

    def __init__(self, workdir, *switches):
        self.link = os.path.join(workdir, "modem")
        self.stats_path = os.path.join(workdir, "modem-stats.json")
        self.trace_path = os.path.join(workdir, "modem-trace.txt")
        self.process = subprocess.Popen(
            [Paths.fakemodem, "--link", self.link, "--stats", self.stats_path,
             "--trace", self.trace_path, *switches],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.process.stdout.readline().strip()
        if not first.startswith("/dev/"):
            self.stop()
            raise RuntimeError("st87-fakemodem did not start: " + first + self.process.stderr.read())

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stats(self):
        """The stats JSON, written when the fake modem stops (so call after stop())."""
        with open(self.stats_path) as f:
            return json.load(f)

    def trace(self):
        try:
            with open(self.trace_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def env(self, route="127.0.0.1/32", **extra):
        return shim_environment(ST87_PORT=self.link, ST87_ROUTE=route, **extra)


class Daemon:
    """st87d in the foreground on <dir>/st87d.sock, serving @modem; its log in <dir>/st87d.log."""

    def __init__(self, workdir, modem, *switches, **variables):
        self.socket = os.path.join(workdir, "st87d.sock")
        self.log_path = os.path.join(workdir, "st87d.log")
        self.modem = modem
        env = dict(os.environ, ST87_PORT=modem.link, ST87_LOG="info")
        env.pop("LD_PRELOAD", None)
        env.update({k: str(v) for k, v in variables.items()})
        started_at = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(client_wrapper() + [Paths.st87d, "-f", "--socket", self.socket, *switches],
                                            env=env, stdout=log, stderr=log)
        # "serving" comes once the modem is open (and the sockets a dead daemon left are closed).
        wait_for(lambda: "st87d: serving" in self.log()[started_at:] or self.process.poll() is not None, 30,
                 "st87d's start")
        if self.process.poll() is not None:
            raise RuntimeError("st87d did not start: " + self.log())

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if client_wrapper() and self.process.returncode == 99:
            raise AssertionError("valgrind found errors in st87d:\n" + self.log())

    def env(self, route="127.0.0.1/32", **extra):
        """A program's environment: the shim, routed through this daemon (no port of its own)."""
        return shim_environment(ST87_DAEMON=self.socket, ST87_ROUTE=route, ST87_PORT="/dev/null/no-port", **extra)


@contextlib.contextmanager
def st87d(workdir, modem, *switches, **variables):
    daemon = Daemon(workdir, modem, *switches, **variables)
    try:
        yield daemon
    finally:
        daemon.stop()


def assert_no_modem_socket_left(modem):
    """Stops @modem and checks that every modem socket a program opened was closed."""
    modem.stop()
    stats = modem.stats()
    check(stats["open_sockets"] == 0, "modem sockets left open: %r" % stats)


@contextlib.contextmanager
def fake_modem(workdir, *switches):
    modem = FakeModem(workdir, *switches)
    try:
        yield modem
    finally:
        modem.stop()


class RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files from the server's directory and records the digest of POST bodies."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        remaining = length
        digest = hashlib.sha256()
        while remaining > 0:
            block = self.rfile.read(min(remaining, 1 << 16))
            if not block:
                break
            digest.update(block)
            remaining -= len(block)
        self.server.posted.append((length - remaining, digest.hexdigest()))
        body = b"received\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serving(server):
    """Runs a socketserver-style @server in a thread for the `with` block, then stops and closes it."""
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def http_server(directory):
    handler = lambda *a, **k: RecordingHandler(*a, directory=directory, **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.posted = []
    with serving(server):
        yield server


def run_case(cases, script):
    """The main of a test script: runs the case named on the command line; exit 77 (skip) under an ASan shim."""
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        sys.exit("usage: %s {%s}" % (script, ",".join(sorted(cases))))
    if shim_built_with_asan():
        # ASan cannot be preloaded into programs built without it: curl hangs in setlocale
        # even with libasan alone. The shim's memory checks run under valgrind instead.
        print("skipped: the shim is built with ASan; the valgrind cases check it")
        sys.exit(77)
    started = time.monotonic()
    cases[sys.argv[1]]()
    print("ok %s (%.1f s)" % (sys.argv[1], time.monotonic() - started))


class _TcpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.server.behaviour(self.request)


@contextlib.contextmanager
def tcp_server(behaviour):
    """A threaded TCP server on 127.0.0.1 that runs behaviour(connection) per client."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _TcpHandler)
    server.daemon_threads = True
    server.behaviour = behaviour
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def udp_echo_server(peers=None):
    """A UDP echo server on 127.0.0.1; yields its port. Each datagram's source goes into @peers when given."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if peers is not None:
                peers.append(peer)
            sock.sendto(data, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


def free_port():
    """A loopback TCP port that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(command, env, timeout=120, **kwargs):
    return subprocess.run(client_wrapper() + list(command), env=env, timeout=timeout, capture_output=True, **kwargs)


@contextlib.contextmanager
def workdir():
    with tempfile.TemporaryDirectory(prefix="st87-test-") as path:
        yield path


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)
