#!/usr/bin/env python3
"""Per-call cost of the intercepted calls on unrouted fds: instructions, counted by callgrind.

st87-bench-percall makes CALLS calls of each intercepted function on an
unrouted socketpair and UDP sockets on 127.0.0.1, each call kind in its own
function op_<call>. It runs under `valgrind --tool=callgrind` (instruction
counts are the same on a busy machine as on an idle one) four ways:

    libc             no shim
    shim inert       LD_PRELOAD of the shim, ST87_ROUTE unset
    shim unrouted    LD_PRELOAD, ST87_ROUTE='[::1]:9' (rules that match none of these fds)
    shim routed open LD_PRELOAD, one TCP connection routed through st87-fakemodem
                     kept open meanwhile (so the shim's fd map is not empty)

callgrind_annotate's inclusive count of op_<call>, divided by CALLS, less the
loop's own instructions (op_loop), is the cost of one call. Only user-space
instructions are counted: the system call itself costs the same either way.
"""
import os
import re
import shutil

import benchlib
from fakemodem_fixture import workdir
from harness import Paths, fake_modem, preload_value, tcp_server

CALLS = 51200
CALLS_ORDER = ["send", "recv", "sendmsg", "recvmsg", "sendto", "recvfrom", "getsockopt", "setsockopt",
               "getsockname", "getpeername", "connect", "fcntl", "dup", "dup2", "close"]
LINE = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+\S*:op_(\w+)\s")


def callgrind(tmp, name, env, *arguments):
    out = os.path.join(tmp, "callgrind.%s" % name)
    benchlib.run_checked(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                          benchlib.Programs.percall, str(CALLS), *map(str, arguments)],
                         env, 300, "callgrind of st87-bench-percall (%s)" % name)
    annotated = benchlib.run_checked(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                                     dict(os.environ), 60, "callgrind_annotate").stdout.decode()
    counts = {}
    for line in annotated.splitlines():
        match = LINE.match(line)
        if match:
            counts[match.group(2)] = int(match.group(1).replace(",", ""))
    missing = [call for call in CALLS_ORDER + ["loop"] if call not in counts]
    if missing:
        raise RuntimeError("callgrind_annotate did not list op_%s (%s)" % (", op_".join(missing), name))
    loop = counts["loop"] / CALLS
    return {call: counts[call] / CALLS - loop for call in CALLS_ORDER}


def run(bench):
    for tool in ("valgrind", "callgrind_annotate"):
        if not shutil.which(tool):
            raise RuntimeError("%s is not installed" % tool)
    base = dict(os.environ)
    base.pop("LD_PRELOAD", None)
    base.pop("ST87_ROUTE", None)
    preload = preload_value(Paths.shim)
    with workdir() as tmp:
        setups = [("libc", callgrind(tmp, "libc", base)),
                  ("shim inert", callgrind(tmp, "inert", dict(base, LD_PRELOAD=preload))),
                  ("shim unrouted", callgrind(tmp, "unrouted", dict(base, LD_PRELOAD=preload,
                                                                      ST87_ROUTE="[::1]:9", ST87_PORT="/nonexistent")))]
        with fake_modem(tmp, "--profile", "note") as modem, tcp_server(benchlib.echo) as server:
            port = server.server_address[1]
            env = dict(base, LD_PRELOAD=preload, ST87_PORT=modem.link, ST87_ROUTE="127.0.0.1:%d" % port)
            setups.append(("shim routed open", callgrind(tmp, "routed", env, port)))
            modem.stop()
            if "AT#TCPCONNECT=" not in modem.trace():
                raise RuntimeError("the routed connection did not go through the modem")

    libc = setups[0][1]
    bench.note("instructions per call (callgrind, %d calls each, loop excluded):" % CALLS)
    bench.note("%-12s" % "call" + "".join("%18s" % name for name, _ in setups))
    for call in CALLS_ORDER:
        bench.note("%-12s" % call + "".join("%18.1f" % counts[call] for _, counts in setups))
    for call in CALLS_ORDER:
        bench.figure("per-call %s unrouted, instructions added by the shim" % call,
                     "%+.0f" % (setups[2][1][call] - libc[call]),
                     "libc %.0f, shim unrouted %.0f, inert %.0f, with a routed socket open %.0f"
                     % (libc[call], setups[2][1][call], setups[1][1][call], setups[3][1][call]))


if __name__ == "__main__":
    benchlib.main("per-call cost", run)
