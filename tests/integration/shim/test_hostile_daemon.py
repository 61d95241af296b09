#!/usr/bin/env python3
"""st87d and its clients when one of them is hostile: forged pair ends, floods of silent
connections, a socket path another user could take, a daemon run by another user.

Usage: test_hostile_daemon.py CASE   (meson runs each case as its own test)
"""
import errno
import os
import socket
import stat
import struct
import subprocess
import sys
import time

from fakemodem_fixture import check, stop_process, udp_echo_server, wait_for, workdir
from harness import Paths, fake_modem, run, run_case, shim_environment, st87d, tcp_server
from test_daemon import BLOCKING_CONNECT, holder_server, st87ctl
from test_hardening import EMPTY_DATAGRAM, open_socket_request

NOBODY = 65534
AS_NOBODY = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
# The system's python: another user may not reach a python under root's home.
SYSTEM_PYTHON = "/usr/bin/python3"

# st87d's reply (src/daemon/wire.h): magic, kind, error, ipv4[64], ipv6[64], text[512].
REPLY_FAILED = 2
REPLY_TEXT_AT = 12 + 64 + 64


def needs_root():
    if os.geteuid() != 0:
        print("skipped: needs root to run a client as another user")
        sys.exit(77)


def reply_fields(reply):
    """(kind, error, text) of one st87d reply."""
    kind, error = struct.unpack("@IIi", reply[:12])[1:]
    return kind, error, reply[REPLY_TEXT_AT:].split(b"\0")[0].decode(errors="replace")


def forged_open(daemon, port, pair_end):
    """Asks @daemon for a TCP socket to @port with @pair_end as the engine's end; its first reply."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    client.connect(daemon.socket)
    client.sendmsg([open_socket_request(port, 0, socket.SOCK_STREAM)],
                   [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", pair_end.fileno()))])
    client.settimeout(20)
    try:
        return reply_fields(client.recv(1024))
    finally:
        client.close()


# Listens on a Unix stream socket at argv[1], says so, and holds what connects until stdin closes.
OTHER_PROCESS_LISTENER = r"""
import socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen(4)
print("listening", flush=True)
held = listener.accept()
sys.stdin.read()
"""


def case_pair_end_must_be_the_requesters_own_pair():
    # A listening socket once pinned st87d at 100 % CPU and kept the modem's TCP socket for ever; an end
    # with no peer, or whose peer is another process, is no pair of the program's either.
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(holder_server) as server:
        port = server.server_address[1]
        listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listening.bind(os.path.join(tmp, "listening.sock"))
        listening.listen(4)
        unconnected = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other_path = os.path.join(tmp, "other.sock")
        other = subprocess.Popen([sys.executable, "-c", OTHER_PROCESS_LISTENER, other_path],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            check(other.stdout.readline().strip() == "listening", "the other process did not listen")
            to_other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            to_other.connect(other_path)
            for what, end in (("a listening socket", listening), ("a socket with no peer", unconnected),
                              ("a socket whose peer is another process", to_other)):
                kind, error, text = forged_open(daemon, port, end)
                check(kind == REPLY_FAILED and error == errno.EINVAL,
                      "%s was taken as a pair end: reply %d, error %d, %r" % (what, kind, error, text))
                print("%s: refused: %s" % (what, text))
            # What the listening socket did to st87d: a connection pending on it made its end readable.
            poker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            poker.connect(os.path.join(tmp, "listening.sock"))
            check("AT#SOCKETCREATE=" not in modem.trace(), "a forged pair end got a modem socket:\n" + modem.trace())
            check("no sockets open" in st87ctl(daemon, "status").stdout, "a forged pair end holds a socket")
            before = cpu_seconds(daemon.process.pid)
            time.sleep(2)
            busy = cpu_seconds(daemon.process.pid) - before
            check(busy < 1, "st87d used %.1f s of CPU in 2 s with nothing to do" % busy)
            check(daemon.log().count("pair end") >= 3, "st87d did not log why it refused:\n" + daemon.log())
            poker.close()
            to_other.close()
        finally:
            stop_process(other)
            listening.close()
            unconnected.close()
        # The program's own pair still goes through.
        with udp_echo_server() as echo_port:
            client = run([sys.executable, "-c", EMPTY_DATAGRAM, str(echo_port)], daemon.env(), timeout=60, text=True)
            check("echo: two" in client.stdout, "a program's own pair was refused: %r" % client.stderr)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_hostile_daemon.py")
