#!/usr/bin/env python3
"""Memory: resident memory the shim adds to a process.

st87-bench-probe (a small C client) connects to a local TCP echo server,
exchanges a byte, waits a moment and reports its VmRSS (and VmHWM,
RssAnon, RssFile, threads) from /proc/self/status:

    plain           no shim
    shim inert      LD_PRELOAD of the shim, ST87_ROUTE unset
    shim unrouted   LD_PRELOAD, ST87_ROUTE='[::1]:9' (the connection is not routed)
    shim routed     LD_PRELOAD, the connection routed through st87-fakemodem
                    (the shim's engine thread, the modem session, the pair)

Each RUNS times; the median VmRSS counts. The figure is what a case adds to
the plain program; the target is at most 2 MiB for the routed case.
"""
import os

import benchlib
from fakemodem_fixture import workdir
from harness import Paths, fake_modem, preload_value, tcp_server

RUNS = 3
SETTLE = 0.3
TARGET_KIB = 2048


def measure(env, port):
    samples = []
    for _ in range(RUNS):
        result = benchlib.run_checked([benchlib.Programs.probe, str(port), "0", str(SETTLE)], env, 60,
                                      "st87-bench-probe")
        samples.append(benchlib.parse_keys(result.stdout.decode()))
    samples.sort(key=lambda sample: sample["vm_rss_kb"])
    return samples[len(samples) // 2]


def run(bench):
    base = dict(os.environ)
    base.pop("LD_PRELOAD", None)
    base.pop("ST87_ROUTE", None)
    preload = preload_value(Paths.shim)
    with workdir() as tmp, tcp_server(benchlib.echo) as server, fake_modem(tmp, "--profile", "note") as modem:
        port = server.server_address[1]
        cases = [
            ("plain", base),
            ("shim inert", dict(base, LD_PRELOAD=preload)),
            ("shim unrouted", dict(base, LD_PRELOAD=preload, ST87_ROUTE="[::1]:9", ST87_PORT=modem.link)),
        ]
        results = [(name, measure(env, port)) for name, env in cases]
        unrouted_trace = modem.trace()
        results.append(("shim routed", measure(modem.env(route="127.0.0.1:%d" % port), port)))
        modem.stop()
        if unrouted_trace:
            raise RuntimeError("the unrouted case reached the modem")
        if "AT#TCPCONNECT=" not in modem.trace():
            raise RuntimeError("the routed case did not go through the modem")

    plain = results[0][1]
    bench.figure("memory plain program VmRSS", "%d kB" % plain["vm_rss_kb"],
                 "VmHWM %d kB, RssAnon %d kB, RssFile %d kB, %d thread(s)"
                 % (plain["vm_hwm_kb"], plain["rss_anon_kb"], plain["rss_file_kb"], plain["threads"]))
    for name, sample in results[1:]:
        added = sample["vm_rss_kb"] - plain["vm_rss_kb"]
        bench.figure("memory added by the %s, one TCP connection, KiB" % name, added,
                     "VmRSS %d kB (plain %d kB), VmHWM %+d kB, RssAnon %+d kB, RssFile %+d kB, %d thread(s)"
                     % (sample["vm_rss_kb"], plain["vm_rss_kb"], sample["vm_hwm_kb"] - plain["vm_hwm_kb"],
                        sample["rss_anon_kb"] - plain["rss_anon_kb"], sample["rss_file_kb"] - plain["rss_file_kb"],
                        sample["threads"]),
                     (TARGET_KIB, "at_most", " KiB") if name == "shim routed" else None)


if __name__ == "__main__":
    benchlib.main("memory", run)
