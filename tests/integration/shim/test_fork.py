#!/usr/bin/env python3
"""Programs that fork while a routed socket is open, as daemons and shells do.

Usage: test_fork.py CASE   (meson runs each case as its own test)
"""
import os
import subprocess
import sys
import time

from fakemodem_fixture import check, workdir
from harness import fake_modem, run, run_case, tcp_server

# Connects, forks a child that outlives this use of the socket, then reads until EOF or an error.
FORKING_READER = r"""
import errno, os, socket, sys, time
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
connection.sendall(b"go\n")
child = os.fork()
if child == 0:
    connection.close()
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    time.sleep(float(sys.argv[2]))
    os._exit(0)
print("child", child, flush=True)
started = time.monotonic()
try:
    while connection.recv(65536):
        pass
    print("eof")
except OSError as error:
    print("error", errno.errorcode.get(error.errno, error.errno))
print("after %.1f s" % (time.monotonic() - started), flush=True)
"""


ONE_EXCHANGE = r"""
import socket, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
connection.sendall(b"go\n")
print("got", len(connection.recv(100)))
"""


def trickle(connection):
    """Sends a little every 0.2 s until the client goes."""
    connection.recv(16)
    try:
        while True:
            connection.sendall(b"x" * 100)
            time.sleep(0.2)
    except OSError:
        pass


def case_parent_sees_modem_restart_while_child_lives():
    # The modem restarts mid-transfer: the parent gets ECONNRESET, though its child (which outlives the
    # parent's 20 s receive timeout) still holds copies of whatever the shim had open when it forked.
    with workdir() as tmp, fake_modem(tmp, "--reboot-after", "30") as modem, tcp_server(trickle) as server:
        parent = subprocess.Popen([sys.executable, "-c", FORKING_READER, str(server.server_address[1]), "60"],
                                  env=modem.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = parent.communicate(timeout=60)
        child = int(out.split()[1]) if out.startswith("child") else 0
        if child:
            try:
                os.kill(child, 9)
            except ProcessLookupError:
                pass
        check("error ECONNRESET" in out, "the parent did not see the modem restart: %r %r" % (out, err))
        print("the parent learned of the restart", out.split("\n")[-2])
        modem.stop()
        check(modem.stats()["reboots"] == 1, "the fake modem did not restart")


def case_port_is_free_once_the_parent_exits():
    # The parent exits while its forked child sleeps on: the port's lock goes with the parent.
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(trickle) as server:
        parent = subprocess.Popen([sys.executable, "-c", FORKING_READER.replace("while connection.recv(65536)",
                                                                                "while False"),
                                   str(server.server_address[1]), "20"],
                                  env=modem.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = parent.communicate(timeout=60)
        check(out.startswith("child"), "the parent failed: %r" % err)
        child = int(out.split()[1])
        try:
            second = run([sys.executable, "-c", ONE_EXCHANGE, str(server.server_address[1])],
                         modem.env(ST87_CONNECT_TIMEOUT=5000), text=True, timeout=60)
            check("port busy" not in second.stderr, "the forked child kept the port: %r" % second.stderr)
            check(second.stdout.startswith("got"), "the next program could not connect: %r" % second.stderr)
        finally:
            os.kill(child, 9)


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_fork.py")
