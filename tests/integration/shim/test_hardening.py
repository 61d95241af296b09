#!/usr/bin/env python3
"""The shim when its own memory runs out: a clear errno and a line, nothing half-done.

Usage: test_hardening.py CASE   (meson runs each case as its own test)
"""
import os
import sys

from harness import Paths, check, fake_modem, preload_value, run, run_case, st87d, tcp_server, wait_for, workdir

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


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_hardening.py")
