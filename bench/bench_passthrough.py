#!/usr/bin/env python3
"""Pass-through: an unrouted loopback TCP transfer with and without the shim preloaded.

st87-bench-stream sends 1 GiB over 127.0.0.1 TCP in 256 KiB send() calls to
a forked receiver that recv()s it; it is run alternately without the shim
and with LD_PRELOAD of the shim and ST87_ROUTE='[::1]:9' (a rule that does
not match, so nothing is routed), ROUNDS times after one warm-up run of each.
The wall time of each run (time.monotonic around the whole program) gives a
ratio per round, plain time / shim time (1.00: no cost; the target is at
least 0.99); the median of those ratios is the figure. Beside it: the ratio
of the best times (noise only ever adds time), the CPU time of each run
(user + system of the program and its receiver, from the children's
rusage), and an A/A control: a second plain run in every round, whose
plain/plain ratio shows how much of a difference this machine can resolve
at all (on a loaded 2-core machine, a few per cent).

ST87_PORT names a fake modem that must see no traffic at all: its trace is
checked at the end.
"""
import os
import resource
import subprocess
import time

import benchlib
from fakemodem_fixture import workdir
from harness import fake_modem, preload_value, Paths

TOTAL = 1 << 30
CHUNK = 256 * 1024
ROUNDS = 11
UNROUTED = "[::1]:9"


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(env, total):
    cpu_before = children_cpu()
    started = time.monotonic()
    result = subprocess.run([benchlib.Programs.stream, str(total), str(CHUNK)], env=env, capture_output=True,
                            timeout=120)
    wall = time.monotonic() - started
    cpu = children_cpu() - cpu_before
    if result.returncode != 0:
        raise RuntimeError("st87-bench-stream failed (exit %d): %s" % (result.returncode, result.stderr.decode()))
    if not result.stdout.decode().startswith("%d received" % total):
        raise RuntimeError("st87-bench-stream said %r" % result.stdout)
    return wall, cpu


def run(bench):
    total = max(CHUNK, int(TOTAL * benchlib.scale()))
    with workdir() as tmp, fake_modem(tmp, "--profile", "note") as modem:
        plain_env = dict(os.environ)
        plain_env.pop("LD_PRELOAD", None)
        shim_env = dict(plain_env, LD_PRELOAD=preload_value(Paths.shim), ST87_PORT=modem.link,
                        ST87_ROUTE=UNROUTED)
        timed_run(plain_env, total)
        timed_run(shim_env, total)
        times = {"plain": [], "shim": [], "control": []}
        variants = [("plain", plain_env), ("shim", shim_env), ("control", plain_env)]
        for round_number in range(ROUNDS):
            # Rotate the order, so that no variant always runs first or last.
            shift = round_number % len(variants)
            for name, env in variants[shift:] + variants[:shift]:
                times[name].append(timed_run(env, total))
        modem.stop()
        trace = modem.trace()
    if trace:
        raise RuntimeError("unrouted traffic reached the modem:\n" + trace[:2000])

    plain, shim, control = times["plain"], times["shim"], times["control"]
    wall_ratios = [p[0] / s[0] for p, s in zip(plain, shim)]
    control_ratios = [p[0] / c[0] for p, c in zip(plain, control)]
    cpu_ratios = [p[1] / s[1] for p, s in zip(plain, shim) if s[1] > 0]
    control_cpu = [p[1] / c[1] for p, c in zip(plain, control) if c[1] > 0]
    best_plain = min(min(p[0] for p in plain), min(c[0] for c in control))
    gib = total / float(1 << 30)
    bench.figure("pass-through unrouted TCP %.2g GiB, plain/shim wall time" % gib, benchlib.median(wall_ratios),
                 "median of %d interleaved rounds; ratios %s; best times %.3f" % (
                     ROUNDS, " ".join("%.3f" % r for r in wall_ratios), best_plain / min(s[0] for s in shim)),
                 (0.99, "at_least", ""), digits=3)
    spread = sorted(control_ratios)
    quartiles = (spread[len(spread) // 4], spread[(3 * len(spread)) // 4])
    bench.figure("pass-through A/A control, plain/plain wall time", benchlib.median(control_ratios),
                 "the same program twice without the shim: the noise floor; middle half of the ratios "
                 "%.3f..%.3f; ratios %s" % (quartiles[0], quartiles[1], " ".join("%.3f" % r for r in control_ratios)),
                 digits=3)
    bench.figure("pass-through unrouted TCP %.2g GiB, plain/shim CPU time" % gib, benchlib.median(cpu_ratios),
                 "median of %d rounds; median CPU plain %.3f s, shim %.3f s; A/A control %.3f"
                 % (len(cpu_ratios), benchlib.median([p[1] for p in plain]), benchlib.median([s[1] for s in shim]),
                    benchlib.median(control_cpu)), digits=3)
    bench.note("median wall time: plain %.3f s, shim %.3f s, control %.3f s (%.2f GB/s plain, %.2f GB/s shim); "
               "%d send() calls of %d B per run"
               % (benchlib.median([p[0] for p in plain]), benchlib.median([s[0] for s in shim]),
                  benchlib.median([c[0] for c in control]), total / benchlib.median([p[0] for p in plain]) / 1e9,
                  total / benchlib.median([s[0] for s in shim]) / 1e9, total // CHUNK, CHUNK))


if __name__ == "__main__":
    benchlib.main("pass-through", run)
