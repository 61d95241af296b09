#!/usr/bin/env python3
"""A multi-threaded C program (threads_client.c) through the shim: routed and unrouted sockets
connected, duplicated, used and closed by several threads at once, every byte checked.

In the ThreadSanitizer build (scripts/test.sh, build-tsan) the shim is preloaded with its TSan
runtime, and a data race fails the run.

Usage: test_threads.py CASE
"""
import os

from fakemodem_fixture import check, tcp_echo_server, udp_echo_server, workdir
from harness import fake_modem, run, run_case

# The TCP echo server the tests do not route (they route 127.0.0.1 only).
UNROUTED = "127.0.0.2"


def case_threads():
    client = os.environ["ST87_TEST_THREADS_CLIENT"]
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, tcp_echo_server() as routed, \
            udp_echo_server() as udp_port, tcp_echo_server(UNROUTED) as unrouted:
        env = modem.env(route="127.0.0.1/32")
        if "tsan" in env["LD_PRELOAD"]:
            env["TSAN_OPTIONS"] = "halt_on_error=1:exitcode=66:report_signal_unsafe=0"
        result = run([client, str(routed.server_address[1]), str(udp_port), str(unrouted.server_address[1]), "6"], env,
                     timeout=170, text=True)
        print(result.stdout.strip())
        check(result.returncode == 0, "threads client: exit %d\n%s" % (result.returncode, result.stderr[-6000:]))
        modem.stop()
        check(modem.stats()["open_sockets"] == 0, "modem sockets left open")


CASES = {"threads": case_threads}

if __name__ == "__main__":
    run_case(CASES, "test_threads.py")
