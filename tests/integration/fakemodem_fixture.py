"""The fake modem for the Python suites: start and stop st87-fakemodem, read its stats and trace.

Used by the shim's suites (tests/integration/shim, through harness.py), the
st87ctl suites (tests/integration/ctl, through ctl_fixture.py), the
benchmarks (bench/), the C programs run with the shim preloaded
(shim/run_preloaded.py) and the fake modem's own self-test; meson puts this
folder on their PYTHONPATH. It is the one way the fake modem is started from
Python, and from a shell script through its command line:

    python3 fakemodem_fixture.py PROGRAM WORKDIR [SWITCH...]

starts PROGRAM (st87-fakemodem) with the files below in WORKDIR (the link
WORKDIR/modem), prints the pty's path once it is ready, and runs until
SIGTERM or SIGINT, when it stops the fake modem (which writes its stats).
C tests start it through tests/integration/core/fake_modem.c, which passes
the same switches.

Also here: the checks and waits every suite uses, the valgrind command
lines, and the TCP and UDP echo servers on loopback.

Everything here listens on or connects to 127.0.0.1 only, and everything
started is stopped when its `with` block ends, whatever happens.
"""
import contextlib
import json
import os
import shutil
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

# The exit status valgrind gives a program in which it found an error (--error-exitcode).
VALGRIND_FOUND_ERRORS = 99


def valgrind(check_leaks=True):
    """The command prefix that runs a program under valgrind; definite leaks are errors when @check_leaks."""
    leaks = (["--leak-check=full", "--errors-for-leak-kinds=definite"] if check_leaks
             else ["--leak-check=no", "--trace-children=no"])
    return ["valgrind", "--quiet", "--error-exitcode=%d" % VALGRIND_FOUND_ERRORS] + leaks


def valgrind_setup_wrapper():
    """valgrind around the programs a script starts under `meson test --setup valgrind`.

    The setup's wrapper is prepended to meson's own command (python) only,
    and tells the script so with ST87_UNDER_VALGRIND."""
    if os.environ.get("ST87_UNDER_VALGRIND") and shutil.which("valgrind"):
        return valgrind()
    return []


def stop_process(process, sig=signal.SIGTERM, timeout=10):
    """Sends @sig to @process if it still runs and waits for it; kills it after @timeout seconds.

    Returns its exit status, or None when it had to be killed."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


class FakeModem:
    """st87-fakemodem on a pty, linked at <workdir>/modem, with its stats and trace files in @workdir.

    @program is the fake modem's path, by default $ST87_TEST_FAKEMODEM;
    @wrapper a command prefix (valgrind); @stderr where its stderr goes (a
    pipe, read when it fails to start). In a `with` block it is stopped
    when the block ends."""

    def __init__(self, workdir, *switches, program=None, wrapper=(), stderr=subprocess.PIPE):
        self.workdir = workdir
        self.link = os.path.join(workdir, "modem")
        self.stats_path = os.path.join(workdir, "modem-stats.json")
        self.trace_path = os.path.join(workdir, "modem-trace.txt")
        # --cr-only: the host ends every line in CR alone, so an LF after a send's line is its data.
        self.process = subprocess.Popen(
            [*wrapper, program or os.environ["ST87_TEST_FAKEMODEM"], "--link", self.link, "--stats",
             self.stats_path, "--trace", self.trace_path, "--cr-only", *switches],
            stdout=subprocess.PIPE, stderr=stderr, text=True)
        # The first stdout line is the pty's path: the modem is ready then.
        self.pty = self.process.stdout.readline().strip()
        if not self.pty.startswith("/dev/"):
            stop_process(self.process)
            why = self.process.stderr.read() if self.process.stderr else ""
            self._close_pipes()
            raise RuntimeError("st87-fakemodem did not start: " + self.pty + why)

    def _close_pipes(self):
        self.process.stdout.close()
        if self.process.stderr:
            self.process.stderr.close()

    def stop(self, sig=signal.SIGTERM):
        """Stops the fake modem (@sig), which writes its stats; returns its exit status (None: killed).

        Safe to call twice."""
        status = stop_process(self.process, sig)
        self._close_pipes()
        return status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stats(self):
        """The stats JSON, written when the fake modem stops (so call after stop())."""
        with open(self.stats_path) as f:
            return json.load(f)

    def trace(self):
        """The AT traffic: lines "> " from the host, "< " from the modem; "" before the first."""
        try:
            with open(self.trace_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def host_commands(self):
        """The command lines the host sent, in order, from the trace."""
        return [line[2:] for line in self.trace().split("\n") if line.startswith("> ")]


def assert_no_modem_socket_left(modem):
    """Stops @modem and checks that every modem socket a program opened was closed."""
    modem.stop()
    stats = modem.stats()
    check(stats["open_sockets"] == 0, "modem sockets left open: %r" % stats)


@contextlib.contextmanager
def workdir():
    """A temporary directory for the `with` block (the fake modem's files, a program's output)."""
    with tempfile.TemporaryDirectory(prefix="st87-test-") as path:
        yield path


def check(condition, what, result=None):
    """Fails the test with @what (and @result, a program's run, when given) unless @condition holds."""
    if not condition:
        raise AssertionError(what if result is None else "%s\n%s" % (what, result))


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


@contextlib.contextmanager
def udp_server(reply, host="127.0.0.1", port=0):
    """A UDP server on host:port (any free port when 0) that answers each datagram with reply(data, peer) (no answer
    when that is None).

    Yields its port; it stops when the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, port))
    sock.settimeout(0.2)  # only so that the end of the block is noticed
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            answer = reply(data, peer)
            if answer is not None:
                sock.sendto(answer, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


class _TcpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.server.behaviour(self.request)


class _TcpServer6(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6


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


def tcp_server(behaviour, host="127.0.0.1"):
    """A threaded TCP server on @host (a loopback address) that runs behaviour(connection) per client.

    Yields the server (its port: server.server_address[1]); it stops when the block ends."""
    kind = _TcpServer6 if ":" in host else socketserver.ThreadingTCPServer
    server = kind((host, 0), _TcpHandler)
    server.behaviour = behaviour
    return serving(server)


def tcp_echo(connection):
    """The TCP echo, as a tcp_server behaviour: sends back all it reads until the client closes (or resets)."""
    with contextlib.suppress(OSError):
        while True:
            data = connection.recv(65536)
            if not data:
                return
            connection.sendall(data)


def tcp_echo_server(host="127.0.0.1"):
    """A TCP echo server on @host (tcp_server with tcp_echo); yields the server."""
    return tcp_server(tcp_echo, host)


def udp_echo_server(peers=None, received=None):
    """A UDP echo server on 127.0.0.1 (udp_server); yields its port.

    Each datagram's source goes into @peers, and its data into @received, when given."""
    def echo(data, peer):
        if peers is not None:
            peers.append(peer)
        if received is not None:
            received.append(data)
        return data

    return udp_server(echo)


def main(argv):
    """The command line (see the top of this file): one fake modem until SIGTERM or SIGINT."""
    if len(argv) < 3:
        sys.exit("usage: fakemodem_fixture.py PROGRAM WORKDIR [SWITCH...]")
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    with FakeModem(argv[2], *argv[3:], program=argv[1], stderr=None) as modem:
        print(modem.pty, flush=True)
        while not stopping.wait(1):
            if modem.process.poll() is not None:
                sys.exit("st87-fakemodem exited with status %d" % modem.process.returncode)


if __name__ == "__main__":
    main(sys.argv)
