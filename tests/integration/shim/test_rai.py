#!/usr/bin/env python3
"""Release assistance (<rai> of AT#IPSENDUDP) asked for by a program through the shim.

A python3 client sends to a loopback UDP echo server; the fake modem counts
its sends by <rai>. The option's level and name come from the public header
st87/st87shim.h, as a C program would take them.

Usage: test_rai.py CASE   (meson runs each case as its own test)
"""
import contextlib
import errno
import os
import re
import socket

from fakemodem_fixture import check, udp_echo_server, workdir
from harness import fake_modem, run, run_case

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "include", "st87", "st87shim.h")


def header_constant(name):
    with open(HEADER) as f:
        found = re.search(r"#define %s (0x[0-9a-fA-F]+|\d+)" % name, f.read())
    check(found, "st87shim.h defines no %s" % name)
    return int(found.group(1), 0)


SOL_ST87 = header_constant("SOL_ST87")
ST87_SO_RAI = header_constant("ST87_SO_RAI")

# argv: port, level, name. <rai> 1 asked before the socket is routed (its first sendto routes it),
# <rai> 2 on a routed socket; one datagram each.
SOCKET_OPTION = r"""
import errno, socket, sys
port, level, name = map(int, sys.argv[1:4])
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    tcp.setsockopt(level, name, 2)
except OSError as error:
    print("tcp: errno", error.errno)
early = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
early.setsockopt(level, name, 1)
print("before routing:", early.getsockopt(level, name))
early.sendto(b"early", ("127.0.0.1", port))
print("early echo:", early.recvfrom(100)[0].decode())
early.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
s.setsockopt(level, name, 2)
print("read back:", s.getsockopt(level, name))
try:
    s.setsockopt(level, name, 3)
except OSError as error:
    print("rai 3: errno", error.errno)
s.send(b"ping")
print("echo:", s.recv(100).decode())
s.close()
"""

# argv: port, count; one echo exchange per datagram.
EXCHANGES = r"""
import socket, sys
port, count = map(int, sys.argv[1:3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
for i in range(count):
    s.send(b"n%d" % i)
    print("echo:", s.recv(100).decode())
s.close()
"""

# argv: port; two datagrams and a close at once, as a one-shot sensor script does.
SEND_AND_CLOSE = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(b"reading 1")
s.send(b"reading 2")
s.close()
print("sent")
"""


@contextlib.contextmanager
def udp_sink():
    """A loopback UDP port that takes datagrams and answers none; yields its port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        yield sink.getsockname()[1]


def python_through_shim(modem, script, *args, **env):
    return run(["python3", "-c", script, *map(str, args)], modem.env(**env), timeout=90)


def sends_by_rai(modem):
    modem.stop()
    stats = modem.stats()
    return [stats["udp_rai_%d" % rai] for rai in range(3)]


def case_socket_option():
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server() as port:
        result = python_through_shim(modem, SOCKET_OPTION, port, SOL_ST87, ST87_SO_RAI)
        out = result.stdout.decode()
        check(result.returncode == 0 and "echo: ping" in out, "client failed: %s %r" % (out, result.stderr))
        check("tcp: errno %d" % errno.ENOPROTOOPT in out, "a TCP socket took the option: %s" % out)
        check("before routing: 1" in out and "early echo: early" in out,
              "the option set before routing: %s" % out)
        check("read back: 2" in out, "getsockopt did not give the value back: %s" % out)
        check("rai 3: errno %d" % errno.EINVAL in out, "<rai> 3 was taken: %s" % out)
        sends = sends_by_rai(modem)
        check(sends == [0, 1, 1], "the datagrams did not go with <rai> 1 and 2: %r" % sends)


def case_environment():
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server() as port:
        result = python_through_shim(modem, EXCHANGES, port, 3, ST87_UDP_RAI="2")
        check(result.returncode == 0 and result.stdout.count(b"echo:") == 3,
              "client failed: %r %r" % (result.stdout, result.stderr))
        check(sends_by_rai(modem) == [0, 0, 3], "ST87_UDP_RAI=2 was not applied to every datagram")


def case_last_datagram_before_close():
    # Each send takes the modem 300 ms: the program has closed long before the second goes.
    with workdir() as tmp, fake_modem(tmp, "--latency", "300") as modem, udp_sink() as port:
        result = python_through_shim(modem, SEND_AND_CLOSE, port, ST87_UDP_RAI="2")
        check(result.returncode == 0 and b"sent" in result.stdout, "client failed: %r" % result.stderr)
        sends = sends_by_rai(modem)
        check(sends == [0, 1, 1], "the last datagram before close() did not go with <rai> 1: %r" % sends)


def case_no_rai_by_default():
    with workdir() as tmp, fake_modem(tmp) as modem, udp_sink() as port:
        result = python_through_shim(modem, SEND_AND_CLOSE, port)
        check(result.returncode == 0, "client failed: %r" % result.stderr)
        sends = sends_by_rai(modem)
        check(sends == [2, 0, 0], "datagrams went with <rai> other than 0: %r" % sends)


def case_bad_variable():
    with workdir() as tmp, fake_modem(tmp) as modem, udp_sink() as port:
        result = python_through_shim(modem, SEND_AND_CLOSE, port, ST87_UDP_RAI="3")
        check(result.returncode != 0, "a routed send went out with a bad ST87_UDP_RAI")
        check(b'ST87_UDP_RAI="3": expected 0' in result.stderr, "no line names the variable: %r" % result.stderr)
        check(sends_by_rai(modem) == [0, 0, 0], "a datagram reached the modem")


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_rai.py")
