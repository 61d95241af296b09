#!/usr/bin/env python3
"""The shim when its own memory runs out: a clear errno and a line, nothing half-done.

Usage: test_hardening.py CASE   (meson runs each case as its own test)
"""
import errno
import os
import socket
import struct
import sys

from fakemodem_fixture import check, udp_echo_server, wait_for, workdir
from harness import Paths, fake_modem, preload_value, run, run_case, st87d, tcp_server

# A routed connection; then, with the shim's calloc failing, a dup() of it and a new routed socket;
# then, memory back, the connection still carries bytes both ways.
CLIENT = r"""
import errno, os, socket, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
os.environ["ST87_TEST_FAIL_SHIM_CALLOC"] = "1"
try:
    copy = os.dup(connection.fileno())
    print("dup: succeeded")
except OSError as error:
    print("dup:", errno.errorcode.get(error.errno, error.errno))
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", int(sys.argv[1])))
    print("udp: sent")
except OSError as error:
    print("udp:", errno.errorcode.get(error.errno, error.errno))
del os.environ["ST87_TEST_FAIL_SHIM_CALLOC"]
connection.sendall(b"still here\n")
print("echo:", connection.recv(100).decode().strip())
"""


def echo_line(connection):
    connection.sendall(connection.recv(100))


def case_out_of_memory_gives_enomem():
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(echo_line) as server:
        env = modem.env()
        env["LD_PRELOAD"] = preload_value(os.environ["ST87_TEST_FAIL_CALLOC"], Paths.shim)
        result = run([sys.executable, "-c", CLIENT, str(server.server_address[1])], env, timeout=60, text=True)
        out = result.stdout
        check("dup: ENOMEM" in out, "a dup() the shim could not record did not fail with ENOMEM: %r %r"
              % (out, result.stderr))
        check("duplicating routed fd" in result.stderr and "out of memory" in result.stderr,
              "no line says why the dup() failed: %r" % result.stderr)
        check("udp: ENOMEM" in out, "a socket the shim could not route did not fail with ENOMEM: %r" % out)
        check("echo: still here" in out, "the routed connection did not survive: %r %r" % (out, result.stderr))


# Many routed sockets through st87d (one connected, the rest refused: the modem has one TCP socket), each with
# its connection to the daemon; then closefrom() over all of them, as a daemonising program does; then a new one.
CLOSEFROM_CLIENT = r"""
import os, socket, sys, time
port = int(sys.argv[1])
held = socket.create_connection(("127.0.0.1", port), timeout=20).detach()
refused = []
for _ in range(40):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    refused.append(s.detach())
time.sleep(1)
os.closerange(3, 4096)
again = socket.create_connection(("127.0.0.1", port), timeout=20)
again.sendall(b"after closefrom\n")
print("echo:", again.recv(100).decode().strip())
"""


def case_closefrom_with_sockets_through_st87d():
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(echo_line) as server:
        result = run([sys.executable, "-c", CLOSEFROM_CLIENT, str(server.server_address[1])], daemon.env(),
                     timeout=120, text=True)
        check("echo: after closefrom" in result.stdout, "after closefrom(): %r %r" % (result.stdout, result.stderr))
        wait_for(lambda: "no sockets open" in run_st87ctl_status(daemon), 10, "st87d's sockets closed")


def run_st87ctl_status(daemon):
    env = dict(os.environ, ST87_DAEMON=daemon.socket)
    env.pop("LD_PRELOAD", None)
    return run([Paths.st87ctl, "status"], env, text=True).stdout


# A zero-length datagram is a datagram (a keep-alive), not the end of the socket.
EMPTY_DATAGRAM = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(b"one")
print("echo:", s.recv(100).decode())
s.send(b"")
s.send(b"two")
print("echo:", s.recv(100).decode())
"""


def case_empty_datagram_keeps_the_socket():
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server() as port:
        result = run([sys.executable, "-c", EMPTY_DATAGRAM, str(port)], modem.env(), timeout=60, text=True)
        check("echo: one" in result.stdout and "echo: two" in result.stdout,
              "a zero-length datagram ended the socket: %r %r" % (result.stdout, result.stderr))


# Holds many connections whose servers closed them (each gave the modem's TCP socket back), then makes one more.
MANY_CLOSED = r"""
import socket, sys
closing, echo, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held = []
for _ in range(count):
    c = socket.create_connection(("127.0.0.1", closing), timeout=20)
    c.recv(10)  # the server's close: EOF
    held.append(c)
last = socket.create_connection(("127.0.0.1", echo), timeout=20)
last.sendall(b"ping\n")
print("echo:", last.recv(100).decode().strip(), "with", len(held), "closed connections held")
"""


def close_at_once(connection):
    connection.close()


def many_closed_connections(env_of):
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(close_at_once) as closing, \
            tcp_server(echo_line) as echo:
        env = env_of(tmp, modem)
        result = run([sys.executable, "-c", MANY_CLOSED, str(closing.server_address[1]), str(echo.server_address[1]),
                      "70"], env, timeout=150, text=True)
        check("echo: ping with 70" in result.stdout,
              "after 70 closed connections held: %r %r" % (result.stdout, result.stderr[-2000:]))


def case_many_closed_connections_held():
    many_closed_connections(lambda tmp, modem: modem.env())


def case_many_closed_connections_held_through_st87d():
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(close_at_once) as closing, tcp_server(echo_line) as echo:
        result = run([sys.executable, "-c", MANY_CLOSED, str(closing.server_address[1]), str(echo.server_address[1]),
                      "70"], daemon.env(), timeout=150, text=True)
        check("echo: ping with 70" in result.stdout,
              "after 70 closed connections held: %r %r" % (result.stdout, result.stderr[-2000:]))


def open_socket_request(port, filler):
    """st87d's OPEN_SOCKET for a UDP socket to 127.0.0.1:port (src/daemon/wire.h), as a client could forge it."""
    address = struct.pack("@H", socket.AF_INET) + struct.pack("!H4s", port, socket.inet_aton("127.0.0.1"))
    # magic, version, kind, domain, type, flags, local_port, filler, rai; remote, remote_len; ip_version,
    # timeout_ms, name: the C struct's layout on this machine (440 bytes, remote 8-aligned).
    return struct.pack("@IIIiiiiIi4x128sIii256s4x", 0x53543837, 1, 1, socket.AF_INET, socket.SOCK_DGRAM, 0, 0,
                       filler, 0, address.ljust(128, b"\0"), 16, 0, 0, b"")


def case_daemon_refuses_a_client_that_lies():
    # A client announcing filler it never wrote must not hold st87d's engine: it is refused, others go on.
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, udp_echo_server() as port:
        liar = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        liar.connect(daemon.socket)
        program_end, engine_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        liar.sendmsg([open_socket_request(port, 4096)],
                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", engine_end.fileno()))])
        liar.settimeout(10)
        reply = liar.recv(1024)
        kind, error = struct.unpack("@IIi", reply[:12])[1:]
        check(kind == 2 and error == errno.EINVAL, "the lie was not refused: kind %d error %d" % (kind, error))
        client = run([sys.executable, "-c", EMPTY_DATAGRAM, str(port)], daemon.env(), timeout=60, text=True)
        check("echo: two" in client.stdout, "st87d stopped serving after a lying client: %r" % client.stderr)
        for s in (liar, program_end, engine_end):
            s.close()


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_hardening.py")
