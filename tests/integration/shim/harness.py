"""Fixtures for running real programs through libst87shim.so and st87-fakemodem.

The fake modem itself, the checks and waits come from fakemodem_fixture
(tests/integration); here is what is the shim's own: its environment, st87d,
the servers its test programs talk to, and the main of a test script.

Everything here listens on or connects to loopback only, and everything a
fixture starts is stopped when its `with` block ends, whatever happens.
"""
import contextlib
import hashlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import fakemodem_fixture
# serving, tcp_echo and tcp_server are the suites' too (fakemodem_fixture has the one TCP server).
from fakemodem_fixture import check, serving, stop_process, tcp_echo, tcp_server, valgrind, wait_for  # noqa: F401


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
    return valgrind(check_leaks=False)


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


# "*" leaves loopback to the kernel; the tests' servers are on loopback, so a test that needs "*" (names looked up
# over the modem) and its connection carried too names loopback as well.
EVERYTHING_AND_LOOPBACK = "*,127.0.0.0/8,[::1]"


class FakeModem(fakemodem_fixture.FakeModem):
    """The fake modem (fakemodem_fixture.FakeModem), and the environment of a program the shim carries over it."""

    def env(self, route="127.0.0.1/32", **extra):
        return shim_environment(ST87_PORT=self.link, ST87_ROUTE=route, **extra)


def fake_modem(workdir, *switches):
    """st87-fakemodem on a pty in @workdir, for a `with` block: it is stopped when the block ends."""
    return FakeModem(workdir, *switches, program=Paths.fakemodem)


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
        stop_process(self.process, sig, timeout=30)
        if client_wrapper() and self.process.returncode == fakemodem_fixture.VALGRIND_FOUND_ERRORS:
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


def read_to_end(connection):
    """Everything a peer sends on @connection until it closes its side."""
    chunks = []
    while True:
        block = connection.recv(65536)
        if not block:
            return b"".join(chunks)
        chunks.append(block)


def free_port():
    """A loopback TCP port that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def program(name):
    """The path of @name on PATH: scripts/setup.sh installs it, so a missing one fails the case."""
    path = shutil.which(name)
    check(path is not None, "%s is not installed (scripts/setup.sh installs it)" % name)
    return path


def build_go_program(tmp):
    """http_get.go built in @tmp with CGO_ENABLED=0 (no libc for the shim to catch): its path."""
    out = os.path.join(tmp, "http_get")
    env = dict(os.environ, CGO_ENABLED="0", GO111MODULE="off", GOCACHE=os.path.join(tmp, "go-cache"),
               GOPATH=os.path.join(tmp, "go"), HOME=tmp)
    env.pop("LD_PRELOAD", None)
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "http_get.go")
    built = subprocess.run([program("go"), "build", "-o", out, source], env=env, capture_output=True, timeout=170)
    check(built.returncode == 0, "go build", built)
    return out


def run(command, env, timeout=120, **kwargs):
    return subprocess.run(client_wrapper() + list(command), env=env, timeout=timeout, capture_output=True, **kwargs)


def full_scale():
    """True in the `slow` suite, which runs the cases that take real seconds as a user would meet them; the
    default run takes a scaled-down version of each (shorter deadlines, smaller payloads)."""
    return os.environ.get("ST87_TEST_FULL_SCALE") == "1"


def test_deadline_percent():
    """ST87_DEADLINE_PERCENT for a case that waits out a deadline: the real ones in the slow suite, a tenth of
    them in the default run (a silent modem is still silent ten times sooner)."""
    return 100 if full_scale() else 10
