"""Fixtures shared by the st87ctl and example tests.

Each test script is run by meson as
    python3 test_x.py FAKEMODEM ST87CTL HTTP_GET UDP_ECHO
and uses fake_modem() (fakemodem_fixture.FakeModem in a directory of its
own), run() to start a program under test, Terminal for `st87ctl at` fed
line by line, and the loopback servers of fakemodem_fixture. Everything
started is stopped in a finally block or at the end of a `with` block; only
127.0.0.1 is used.
"""

import contextlib
import os
import queue
import subprocess
import sys
import tempfile
import threading

import fakemodem_fixture
from fakemodem_fixture import FakeModem, workdir

# A program under test that hangs is a failure, not a stuck test run.
RUN_TIMEOUT_S = 60


class Programs:
    """The executables meson passed on the command line."""

    def __init__(self, argv):
        if len(argv) != 5:
            sys.exit("usage: %s FAKEMODEM ST87CTL HTTP_GET UDP_ECHO" % argv[0])
        # meson passes paths relative to the build directory: make them hold anywhere.
        paths = [os.path.abspath(path) for path in argv[1:5]]
        self.fakemodem, self.st87ctl, self.http_get, self.udp_echo = paths
        # The programs under test run under valgrind with `meson test --setup valgrind`.
        self.wrapper = fakemodem_fixture.valgrind_setup_wrapper()


@contextlib.contextmanager
def fake_modem(programs, *switches):
    """The fake modem, reachable as <modem.workdir>/modem, in a temporary directory that goes with it."""
    with workdir() as path, FakeModem(path, *switches, program=programs.fakemodem) as modem:
        yield modem


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
    """fakemodem_fixture.check, and a line "ok: @what" when @condition holds."""
    fakemodem_fixture.check(condition, what, result)
    print("ok: " + what)


def check_valgrind_clean(programs, result):
    """Under valgrind, exit 99 means valgrind found an error or a leak. run() checks every run."""
    if programs.wrapper and result.returncode == fakemodem_fixture.VALGRIND_FOUND_ERRORS:
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


def main(test_function):
    """Runs test_function(programs); exit 0 on success, 1 on a failed check."""
    programs = Programs(sys.argv)
    try:
        test_function(programs)
    except AssertionError as failure:
        print("FAIL: %s" % failure)
        sys.exit(1)
    print("all checks passed")
