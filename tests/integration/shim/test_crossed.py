#!/usr/bin/env python3
"""Nobody crossed: one program's bytes never reach another program's connection.

Usage: test_crossed.py CASE   (meson runs each case as its own test)
"""
import os
import re
import subprocess
import sys
import threading

from fakemodem_fixture import CID, check, workdir
from harness import Paths, fake_modem, run_case, st87d, tcp_server

# Connects, exchanges a line, then on each line of stdin sends it and prints what came back (or the errno).
TALKER = r"""
import errno, socket, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
connection.sendall(b"hello\n")
print("connected:", connection.recv(100).decode().strip(), flush=True)
for line in sys.stdin:
    try:
        connection.sendall(line.encode())
        print("answer:", connection.recv(100).decode().strip() or "end", flush=True)
    except OSError as error:
        print("error:", errno.errorcode.get(error.errno, error.errno), flush=True)
"""


class Recorder:
    """A server that keeps everything each connection sent, and echoes each line."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()

    def __call__(self, connection):
        with connection.makefile("rb") as lines:
            for line in lines:
                with self.lock:
                    self.received.append(line)
                connection.sendall(line)

    def got(self):
        with self.lock:
            return b"".join(self.received)


def start_talker(daemon, port):
    talker = subprocess.Popen([sys.executable, "-c", TALKER, str(port)], env=daemon.env(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = talker.stdout.readline().strip()
    if line != "connected: hello":
        talker.kill()
        raise AssertionError("the talker did not connect: %r %r" % (line, talker.communicate()))
    return talker


def say(talker, text):
    talker.stdin.write(text + "\n")
    talker.stdin.flush()
    return talker.stdout.readline().strip()


def st87ctl_at(daemon, command):
    env = dict(os.environ, ST87_DAEMON=daemon.socket)
    env.pop("LD_PRELOAD", None)
    return subprocess.run([Paths.st87ctl, "at", command], env=env, capture_output=True, text=True, timeout=60)


def case_reused_socket_id_through_st87d():
    # The first program's modem socket is closed behind st87d's back (as a modem that drops it silently
    # would); the modem gives the same id to a second program's connect. The first program's next send
    # must fail, not reach the second program's peer. The second connect waits in line for the TCP socket
    # st87d believes the first holds, until the engine asks the modem about that quiet holder and hears
    # its socket is gone (2104), or, had it asked for a socket first, until the modem gives the same id.
    first_server, second_server = Recorder(), Recorder()
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(first_server) as first, tcp_server(second_server) as second:
        first_talker = start_talker(daemon, first.server_address[1])
        ids = re.findall(r"#SOCKETCREATE: (\d+)", modem.trace())
        check(len(ids) == 1, "the first connection's modem socket: %r" % ids)
        closed = st87ctl_at(daemon, "AT#SOCKETCLOSE=%d,%s" % (CID, ids[0]))
        check(closed.returncode == 0, "st87ctl at: %r" % closed.stderr)
        second_talker = start_talker(daemon, second.server_address[1])
        check(re.findall(r"#SOCKETCREATE: (\d+)", modem.trace()) == [ids[0], ids[0]],
              "the modem did not give the same id again: %r" % modem.trace())
        outcome = say(first_talker, "secret of the first program")
        check(outcome == "error: ECONNRESET", "the first program's send after its socket went: %r" % outcome)
        check(say(second_talker, "still mine") == "answer: still mine", "the second connection was disturbed")
        first_talker.stdin.close()
        second_talker.stdin.close()
        first_err = first_talker.stderr.read()
        first_talker.wait(timeout=30)
        second_talker.wait(timeout=30)
        check(b"secret" not in second_server.got(), "the first program's bytes reached the second's peer: %r"
              % second_server.got())
        check("gave its socket %s to a new one" % ids[0] in first_err or "Connection reset by peer" in first_err,
              "no line told the first program why: %r\n%s" % (first_err, daemon.log()))


CASES = {name[len("case_"):]: value for name, value in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, __file__)
