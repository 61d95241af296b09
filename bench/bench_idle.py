#!/usr/bin/env python3
"""Idle cost: the CPU a routed TCP connection costs while nothing moves on it.

st87-bench-probe opens a TCP connection to a local echo server through the
shim and st87-fakemodem, exchanges a byte, sleeps IDLE seconds with the
connection open (after SETTLE s for the reads and link check that follow
the exchange), and prints the CPU time of its whole process over the
sleep (CLOCK_PROCESS_CPUTIME_ID: every thread, the shim's engine included,
in nanoseconds; /proc/PID/stat counts in 10 ms ticks, too coarse for this)
and the voluntary context switches of its threads (wake-ups). Target:
under 10 ms of CPU for 10 s of idling, with ST87_LINK_CHECK=5 (an
AT#TCPCONNECT? every 5 s) and at the default (60 s, so none in 10 s). The fake modem's commands during the run show the link checks. The
two cases run at the same time, each with its own fake modem.

Then the modem's side (idle_power.py): wake-ups, host commands and awake
share of an idle hour with one routed TCP connection open, with and
without close URCs, and the share of DNS queries sent with RAI 2.
"""
import threading

import benchlib
import idle_power
from fakemodem_fixture import workdir
from harness import fake_modem, tcp_server

IDLE = 10.0
SETTLE = 1.0
TARGET_MS = 10.0


def one_case(port, link_check, results, key):
    try:
        with workdir() as tmp, fake_modem(tmp, "--profile", "note", "--baud", "115200") as modem:
            extra = {} if link_check is None else {"ST87_LINK_CHECK": link_check}
            result = benchlib.run_checked([benchlib.Programs.probe, str(port), str(IDLE), str(SETTLE)],
                                          modem.env(**extra),
                                          IDLE + 60, "st87-bench-probe")
            modem.stop()
            results[key] = (benchlib.parse_keys(result.stdout.decode()), modem.stats())
    except Exception as error:  # noqa: BLE001  (reported by the caller)
        results[key] = error


def run(bench):
    cases = [("ST87_LINK_CHECK=5", "5"), ("default (60 s)", None)]
    results = {}
    with tcp_server(benchlib.echo) as server:
        port = server.server_address[1]
        threads = [threading.Thread(target=one_case, args=(port, check, results, name)) for name, check in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for name, _ in cases:
        if isinstance(results.get(name), Exception) or name not in results:
            raise RuntimeError("idle case %s could not run: %s" % (name, results.get(name)))
    for name, _ in cases:
        probe, stats = results[name]
        if stats["commands"].get("AT#TCPCONNECT", 0) < 1:
            raise RuntimeError("the connection did not go through the modem (%s)" % name)
        # AT#TCPCONNECT counts the connect and every AT#TCPCONNECT? link check.
        checks = stats["commands"].get("AT#TCPCONNECT", 0) - 1
        bench.figure("idle routed TCP %.0f s, link check %s, CPU ms" % (IDLE, name), probe["idle_cpu_ns"] / 1e6,
                     "%d wake-ups of the process's threads (the probe's own sleep is 1); "
                     "%d AT#TCPCONNECT? in the whole run; "
                     "%.1f ms CPU for the whole run, start-up and connect included"
                     % (probe["idle_wakeups"], checks, probe["total_cpu_us"] / 1e3),
                     (TARGET_MS, "at_most", " ms"), digits=3)
        bench.note("AT commands of the whole run (%s): %s" % (name, benchlib.dump(stats["commands"])))
    idle_power.run_power(bench)


if __name__ == "__main__":
    benchlib.main("idle cost", run)
