#!/usr/bin/env python3
"""Nothing lost at exit: what a program sent just before it exits reaches the peer.

A kernel socket delivers a program's bytes after close() and exit(). In
process, the shim's exit waits while the modem keeps taking data (no cap on
the time, only on a stall: ST87_EXIT_FLUSH_TIMEOUT without a byte moved), keeps
to the SO_LINGER the program set, and closes every modem socket before the
process is gone. The lines are slow on purpose (the fake modem's --baud):
each upload takes longer than the 5 s the exit used to wait.

Usage: test_exit.py CASE   (meson runs each case as its own test)
"""
import hashlib
import os
import subprocess
import sys
import threading

from fakemodem_fixture import assert_no_modem_socket_left, check, workdir
from harness import client_wrapper, fake_modem, read_to_end, run, run_case, st87d, tcp_server, wait_for

# Sends the file named by argv[2] to 127.0.0.1:argv[1] and exits at once, as `s.sendall(data); s.close()`
# does in a script; argv[3], when given, is SO_LINGER's l_linger, set before the connect.
SEND_THEN_EXIT = r"""
import socket, struct, sys
s = socket.socket()
if len(sys.argv) > 3:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, int(sys.argv[3])))
s.connect(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    s.sendall(f.read())
s.close()
"""


class Sink:
    """A loopback server that reads one connection to its end and keeps what it got."""

    def __init__(self):
        self.received = b""
        self.finished = threading.Event()

    def __call__(self, connection):
        self.received = read_to_end(connection)
        self.finished.set()

    def wait(self):
        check(self.finished.wait(60), "the peer never saw the connection end")
        return self.received


def payload_file(tmp, size):
    path = os.path.join(tmp, "payload.bin")
    data = os.urandom(size)
    with open(path, "wb") as f:
        f.write(data)
    return path, data


def same(got, sent):
    return hashlib.sha256(got).digest() == hashlib.sha256(sent).digest()


def send_then_exit(size, baud, *linger):
    """Runs SEND_THEN_EXIT over a fake modem at @baud; returns (what the peer got, what was sent, the run)."""
    sink = Sink()
    with workdir() as tmp, fake_modem(tmp, "--baud", str(baud)) as modem, tcp_server(sink) as server:
        path, data = payload_file(tmp, size)
        result = run([sys.executable, "-c", SEND_THEN_EXIT, str(server.server_address[1]), path,
                      *[str(value) for value in linger]], modem.env(), timeout=300, text=True)
        check(result.returncode == 0, "the program failed: %r" % result.stderr)
        got = sink.wait()
        assert_no_modem_socket_left(modem)
        return got, data, result


def case_128k_sent_then_exit():
    # 128 KiB at 115200 baud: about 12 s on the line; the program's exit comes right after its send.
    got, data, result = send_then_exit(128 * 1024, 115200)
    check(same(got, data), "the peer got %d bytes of %d: %r" % (len(got), len(data), result.stderr))
    check(result.stderr == "", "a line on stderr though nothing failed: %r" % result.stderr)


def case_1mib_sent_then_exit():
    got, data, result = send_then_exit(1024 * 1024, 921600)
    check(same(got, data), "the peer got %d bytes of %d: %r" % (len(got), len(data), result.stderr))


def case_nc_quits_at_end_of_input():
    # `nc -q 0` quits the moment its input ends: what it wrote must still arrive.
    sink = Sink()
    with workdir() as tmp, fake_modem(tmp, "--baud", "115200") as modem, tcp_server(sink) as server:
        path, data = payload_file(tmp, 128 * 1024)
        with open(path, "rb") as stdin:
            result = run(["nc", "-q", "0", "127.0.0.1", str(server.server_address[1])], modem.env(),
                         stdin=stdin, timeout=300)
        check(result.returncode == 0, "nc failed: %r" % result.stderr)
        got = sink.wait()
        check(same(got, data), "the peer got %d bytes of %d" % (len(got), len(data)))
        assert_no_modem_socket_left(modem)


def is_short_prefix(got, data):
    return len(got) < len(data) and data.startswith(got)


def case_linger_zero_sends_nothing_more():
    # SO_LINGER {1, 0}: as a kernel does, the exit does not wait; the modem socket is still closed.
    got, data, result = send_then_exit(128 * 1024, 115200, 0)
    check(is_short_prefix(got, data), "the peer got %d bytes of %d, not a part of them" % (len(got), len(data)))
    check("exit:" not in result.stderr, "SO_LINGER {1, 0} is what the program asked for: %r" % result.stderr)


def case_linger_seconds_bound_the_wait():
    # SO_LINGER {1, 1}: the exit waits a second, then says what it left unsent.
    got, data, result = send_then_exit(128 * 1024, 115200, 1)
    check(is_short_prefix(got, data), "the peer got %d bytes of %d, not a part of them" % (len(got), len(data)))
    check("exit: TCP 127.0.0.1:" in result.stderr and "bytes not sent: SO_LINGER {1, 1} ran out" in result.stderr,
          "no line said what was left unsent: %r" % result.stderr)


def case_stall_gives_up_with_a_line():
    # At 4800 baud the burst of sends under way when the program exits takes seconds: with
    # ST87_EXIT_FLUSH_TIMEOUT=1000 that is a stall; the exit gives up, says how many bytes of which connection it
    # left, and still closes the modem socket.
    sink = Sink()
    with workdir() as tmp, fake_modem(tmp, "--baud", "4800") as modem, tcp_server(sink) as server:
        path, data = payload_file(tmp, 16 * 1024)
        result = run([sys.executable, "-c", SEND_THEN_EXIT, str(server.server_address[1]), path],
                     modem.env(ST87_EXIT_FLUSH_TIMEOUT=1000, ST87_SEND_HANDSHAKE=modem_handshake()),
                     timeout=120, text=True)
        check(result.returncode == 0, "the program failed: %r" % result.stderr)
        check("exit: TCP 127.0.0.1:%d" % server.server_address[1] in result.stderr and
              "bytes not sent: no byte reached the modem for 1000 ms" in result.stderr,
              "no line said what was left unsent: %r" % result.stderr)
        got = sink.wait()
        check(is_short_prefix(got, data), "the peer got %d bytes of %d, not a part of them" % (len(got), len(data)))
        assert_no_modem_socket_left(modem)


def modem_handshake():
    # At 4800 baud the detection's wait for the line's answer is longer than its bound: name the handshake.
    return "two-step" if os.environ.get("ST87_FAKEMODEM_PROFILE") == "maker" else "one-step"


def case_128k_sent_then_exit_through_st87d():
    # Through st87d the program exits at once; the daemon holds the pair's other end and sends it all.
    sink = Sink()
    with workdir() as tmp, fake_modem(tmp, "--baud", "115200") as modem, st87d(tmp, modem) as daemon, \
            tcp_server(sink) as server:
        path, data = payload_file(tmp, 128 * 1024)
        result = run([sys.executable, "-c", SEND_THEN_EXIT, str(server.server_address[1]), path], daemon.env(),
                     timeout=120, text=True)
        check(result.returncode == 0, "the program failed: %r" % result.stderr)
        got = sink.wait()
        check(same(got, data), "the peer got %d bytes of %d" % (len(got), len(data)))


# Connects to 127.0.0.1:argv[1], starts a lookup of slow.test in another thread, says so, waits for a line on
# stdin, sends the file named by argv[2] (when given) and exits with the lookup still running.
LOOKUP_IN_A_THREAD_THEN_EXIT = r"""
import socket, sys, threading
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
threading.Thread(target=socket.getaddrinfo, args=("slow.test", 80), daemon=True).start()
print("looking up", flush=True)
sys.stdin.readline()
if len(sys.argv) > 2:
    with open(sys.argv[2], "rb") as f:
        connection.sendall(f.read())
sys.exit(0)
"""
# Loopback connections and every DNS destination go over the modem.
ROUTE_WITH_DNS = "127.0.0.1/32,*:53"


def exit_during_a_lookup(tmp, modem, port, *payload_path):
    """Runs LOOKUP_IN_A_THREAD_THEN_EXIT until its lookup is at the modem, lets it exit; returns its stderr."""
    program = subprocess.Popen(client_wrapper() + [sys.executable, "-c", LOOKUP_IN_A_THREAD_THEN_EXIT, str(port),
                                                   *payload_path],
                               env=modem.env(route=ROUTE_WITH_DNS, ST87_LOG="info"), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        check(program.stdout.readline().strip() == "looking up", "the program did not start its lookup")
        wait_for(lambda: "AT#DNS" in modem.trace(), 30, "the lookup at the modem")
        out, err = program.communicate("exit\n", timeout=30)
    except subprocess.TimeoutExpired:
        program.kill()
        raise AssertionError("the program's exit waited for the lookup: %r" % program.communicate()[1])
    check(program.returncode == 0, "the program failed: %r" % err)
    return err


def case_leaves_a_lookup_in_another_thread():
    # A thread's getaddrinfo waits for AT#DNS, which the modem answers after two minutes; the program exits with
    # nothing left to send: the exit does not wait for the answer (it used to wait 80 s: the stall bound and its
    # grace). The idle connection's modem socket is left to the next start-up.
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-delay", "120000") as modem, \
            tcp_server(Sink()) as server:
        err = exit_during_a_lookup(tmp, modem, server.server_address[1])
        check("exit: not waiting for the modem's answer to a lookup" in err and "1 modem socket left open" in err,
              "the exit does not say it left the lookup: %r" % err)


def case_during_a_lookup_still_sends_the_data():
    # The same exit with data just written to the connection: it waits for the lookup's answer (5 s), then sends
    # every byte and closes the modem socket.
    sink = Sink()
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-delay", "5000") as modem, tcp_server(sink) as server:
        path, data = payload_file(tmp, 20000)
        err = exit_during_a_lookup(tmp, modem, server.server_address[1], path)
        check(same(sink.wait(), data), "the data sent before the exit did not all reach the peer: %r" % err)
        check("not waiting for the modem's answer" not in err, "the exit left data behind a lookup: %r" % err)
        assert_no_modem_socket_left(modem)


CASES = {name[len("case_"):]: value for name, value in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, __file__)
