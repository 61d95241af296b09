#!/usr/bin/env python3
"""Runs one interposer test program (preload/test_*.c) with libst87shim.so preloaded.

Usage: run_preloaded.py PROGRAM

Starts the fake modem (fakemodem_fixture, through harness), a TCP and a UDP
echo server on 127.0.0.1 and a DNS server for one name, names their ports in
the program's environment (preload/preload_support.h), routes 127.0.0.1/32
and runs the program. Passes when the program does, every modem socket it
opened was closed, its data went over the modem, and the name /etc/hosts
answers never reached the modem or the DNS server.
"""
import sys

from dns_server import dns_server
from fakemodem_fixture import assert_no_modem_socket_left, check, tcp_echo_server, udp_echo_server, workdir
from harness import fake_modem, free_port, run, shim_built_with_asan

# A name only the modem's resolvers know: its AT#DNS (maker profile), or ST87_DNS over a modem socket (note).
MODEM_NAME = "only-the-modem-knows.test"
# A name /etc/hosts answers (test_names.c).
HOSTS_NAME = "localhost"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: run_preloaded.py PROGRAM")
    program = sys.argv[1]
    if shim_built_with_asan():
        print("skipped: the shim is built with ASan; the valgrind cases check it")
        sys.exit(77)
    with workdir() as tmp, fake_modem(tmp, "--dns-entry", MODEM_NAME + "=127.0.0.1") as modem, \
            tcp_echo_server() as tcp, udp_echo_server() as udp_port, \
            dns_server({MODEM_NAME: "127.0.0.1"}) as (dns_port, asked):
        env = modem.env(ST87_DNS="127.0.0.1:%d" % dns_port,
                        ST87_TEST_TCP_ECHO_PORT=tcp.server_address[1],
                        ST87_TEST_UDP_ECHO_PORT=udp_port,
                        ST87_TEST_CLOSED_PORT=free_port(),
                        ST87_TEST_MODEM_NAME=MODEM_NAME)
        result = run([program], env, timeout=150, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        check(result.returncode == 0, "%s: exit status %d" % (program, result.returncode))
        check(HOSTS_NAME not in asked and HOSTS_NAME not in modem.trace(),
              "%s from /etc/hosts went to the modem: asked %r" % (HOSTS_NAME, asked))
        assert_no_modem_socket_left(modem)
        check(modem.stats()["payload_sent"] > 0, "nothing went over the modem: %r" % modem.stats())


if __name__ == "__main__":
    main()
