"""Fixtures shared by the st87ctl and example tests.

Each test script is run by meson as
    python3 test_x.py FAKEMODEM ST87CTL HTTP_GET UDP_ECHO
and uses FakeModem (st87-fakemodem on a pseudo-terminal, stopped with
SIGTERM), run() to start a program under test, and the loopback servers
below. Everything started is stopped in a finally block; only 127.0.0.1 is
used.
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

# A program under test that hangs is a failure, not a stuck test run.
RUN_TIMEOUT_S = 60
# The context id of the fake modem's profile (ST87_FAKEMODEM_PROFILE): the maker's firmware uses 1.
CID = 1 if os.environ.get("ST87_FAKEMODEM_PROFILE") == "maker" else 5


class Programs:
    """The executables meson passed on the command line."""

    def __init__(self, argv):
        if len(argv) != 5:
            sys.exit("usage: %s FAKEMODEM ST87CTL HTTP_GET UDP_ECHO" % argv[0])
        # meson passes paths relative to the build directory: make them hold anywhere.
        paths = [os.path.abspath(path) for path in argv[1:5]]
        self.fakemodem, self.st87ctl, self.http_get, self.udp_echo = paths
        # Under `meson test --setup valgrind` the wrapper is prepended to
        # meson's own command only, so the programs a script starts are
        # wrapped here.
        self.wrapper = []
        if os.environ.get("ST87_UNDER_VALGRIND"):
            self.wrapper = ["valgrind", "--error-exitcode=99", "--leak-check=full",
                            "--errors-for-leak-kinds=definite", "--quiet"]


class FakeModem:
    """st87-fakemodem on a pty, reachable as <tmpdir>/modem; its trace and stats in tmpdir."""

    def __init__(self, programs, *extra_args):
        self.tmpdir = tempfile.mkdtemp(prefix="st87ctl-test-")
        self.link = os.path.join(self.tmpdir, "modem")
        self.trace_path = os.path.join(self.tmpdir, "fakemodem.trace")
        self.stats_path = os.path.join(self.tmpdir, "stats.json")
        self.stats = None
        self.process = subprocess.Popen(
            [programs.fakemodem, "--link", self.link, "--trace", self.trace_path,
             "--stats", self.stats_path, *extra_args],
            stdout=subprocess.PIPE, text=True)
        # The first stdout line is the slave's path: the modem is ready then.
        self.pty = self.process.stdout.readline().strip()
        if not self.pty:
            self.stop()
            raise RuntimeError("st87-fakemodem did not start")

    def host_commands(self):
        """The command lines the host sent, in order, from the fake modem's trace."""
        with open(self.trace_path, encoding="utf-8", errors="replace") as trace:
            return [line[2:].rstrip("\n") for line in trace if line.startswith("> ")]

    def stop(self):
        """Stops the fake modem (SIGTERM) and reads its stats. Safe to call twice."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        if self.stats is None and os.path.exists(self.stats_path):
            with open(self.stats_path, encoding="utf-8") as stats:
                self.stats = json.load(stats)
        return self.stats

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


class Result:
    def __init__(self, args, returncode, stdout, stderr):
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, stdout, stderr

    def __str__(self):
        return "%s\n  exit %d\n  stdout: %r\n  stderr: %r" % (
            " ".join(self.args), self.returncode, self.stdout, self.stderr)


def run(programs, program, *args, stdin_text=None, env=None):
    """Runs one program under test to completion; returns a Result."""
    command = programs.wrapper + [program, *args]
    full_env = dict(os.environ)
    # The tests name the port on the command line; a developer's own setting must not leak in.
    for name in ("ST87_PORT", "ST87_BAUD", "ST87_LOG", "ST87_TRACE"):
        full_env.pop(name, None)
    full_env.update(env or {})
    completed = subprocess.run(command, input=stdin_text, capture_output=True, text=True,
                               timeout=RUN_TIMEOUT_S, env=full_env)
    result = Result(command, completed.returncode, completed.stdout, completed.stderr)
    check_valgrind_clean(programs, result)
    return result


def check(condition, what, result=None):
    """Fails the test with @what (and the program's output) unless @condition holds."""
    if not condition:
        message = "FAIL: " + what
        if result is not None:
            message += "\n" + str(result)
        raise AssertionError(message)
    print("ok: " + what)


def check_valgrind_clean(programs, result):
    """Under valgrind, exit 99 means valgrind found an error or a leak. run() checks every run."""
    if programs.wrapper and result.returncode == 99:
        check(False, "valgrind reports no errors or leaks", result)


class Terminal:
    """`st87ctl at` with no command, fed line by line; its stdout read as it comes."""

    def __init__(self, programs, port):
        env = dict(os.environ)
        for name in ("ST87_PORT", "ST87_BAUD", "ST87_LOG", "ST87_TRACE"):
            env.pop(name, None)
        # stderr to a file: nothing reads it while the test runs, and a pipe could fill up.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            programs.wrapper + [programs.st87ctl, "--port", port, "at"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            text=True, env=env)
        self.lines = queue.Queue()
        self.transcript = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def send(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def wait_for(self, predicate, what):
        """Reads output until a line satisfies @predicate (no sleeping: the line is the signal)."""
        while True:
            try:
                line = self.lines.get(timeout=RUN_TIMEOUT_S)
            except queue.Empty:
                line = None
            if line is None:
                self.stderr.seek(0)
                check(False, "%s (stdout so far: %r, stderr: %r)" % (
                    what, self.transcript, self.stderr.read()))
            self.transcript.append(line)
            if predicate(line):
                return line

    def finish(self):
        """Closes stdin (EOF) and returns the exit status."""
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=RUN_TIMEOUT_S)
        finally:
            self.reader.join(timeout=RUN_TIMEOUT_S)  # it stops at the program's EOF
            self.process.stdout.close()
            self.stderr.close()

    def kill(self):
        """Stops the program if it still runs (after a failed check). Safe to call twice."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if not self.stderr.closed:
            self.stderr.close()


class UdpEchoServer:
    """Sends every datagram back to where it came from, on 127.0.0.1."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.received = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.socket.settimeout(0.2)  # only so that stop() is noticed
        while not self.stopping:
            try:
                data, peer = self.socket.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(data)
            self.socket.sendto(data, peer)

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.socket.close()


def main(test_function):
    """Runs test_function(programs); exit 0 on success, 1 on a failed check."""
    programs = Programs(sys.argv)
    try:
        test_function(programs)
    except AssertionError as failure:
        print(failure)
        sys.exit(1)
    print("all checks passed")
