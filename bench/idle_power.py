"""Power figures for bench_idle: what an idle routed TCP connection costs the modem.

Time runs ten times faster than on real firmware: the fake modem sleeps
1 s after the last command (the maker's firmware: 10 s), the shim is told
so (ST87_SLEEP_HOLD=1) and checks an idle link every 6 s (ST87_LINK_CHECK,
default 60). An idle period of IDLE_S seconds thus stands for ten times as
long, and counts per hour are scaled from it; the awake share needs no
scaling (the wake probe's lost first AT still costs its real 0.5 s, so the
share is a little high). Two cases: a modem that announces a peer's close (the shim then
never polls) and one that says nothing (--no-close-urc: the shim polls).
Both run at the same time, each with its own fake modem. The stats come
from the fake modem's sleep model at the start and end of the idle period
(SIGUSR1 writes them).

The share of DNS queries sent with RAI 2 comes from names looked up through
the shim with ST87_DNS on firmware without AT#DNS (the note's).
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import benchlib
from dns_server import dns_server
from fakemodem_fixture import wait_for, workdir
from harness import fake_modem, run, tcp_server

TIME_SCALE = 10
IDLE_S = 30.0
SETTLE_S = 2.0
HOUR_S = 3600.0
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "idle_client.py")
NAMES = ["a.bench.test", "b.bench.test", "c.bench.test", "d.bench.test"]


def snapshot(modem):
    """The fake modem's stats now (SIGUSR1 writes them through a rename)."""
    if os.path.exists(modem.stats_path):
        os.remove(modem.stats_path)
    modem.process.send_signal(signal.SIGUSR1)
    wait_for(lambda: os.path.exists(modem.stats_path), what="the fake modem's stats")
    with open(modem.stats_path) as f:
        return json.load(f)


def host_commands(stats):
    """Every line the host sent: executed, and lost waking the modem."""
    return sum(stats["commands"].values()) + stats["commands_while_asleep"]


def send_then_close(connection):
    # The close comes on its own, after the data was read: the modem announces it with a URC of its own.
    connection.sendall(b"x" * 2000)
    time.sleep(0.5)


def idle_period(switches, closing_port, idle_port):
    """Stats at the start and the end of the idle period."""
    with workdir() as tmp, fake_modem(tmp, "--profile", "note", "--sleep-after", "1000", *switches) as modem:
        env = modem.env(ST87_SLEEP_HOLD="1", ST87_LINK_CHECK="6")
        client = subprocess.Popen([sys.executable, CLIENT, str(closing_port), str(idle_port), str(SETTLE_S)],
                                  env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        try:
            if client.stdout.readline().strip() != "idle":
                raise RuntimeError("the idle client failed: %s" % client.stderr.read())
            start = snapshot(modem)
            time.sleep(IDLE_S)  # the idle period being measured
            end = snapshot(modem)
            client.stdin.write("\n")
            client.stdin.flush()
            client.wait(timeout=60)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        return start, end


def one_case(switches, ports, results, key):
    try:
        results[key] = idle_period(switches, *ports)
    except Exception as error:  # noqa: BLE001  (reported by the caller)
        results[key] = error


def report_idle(bench, name, start, end):
    window_s = (end["run_ms"] - start["run_ms"]) / 1000.0
    per_hour = HOUR_S / (window_s * TIME_SCALE)
    wakeups = (end["wakeups"] - start["wakeups"]) * per_hour
    commands = (host_commands(end) - host_commands(start)) * per_hour
    awake = (end["awake_ms"] - start["awake_ms"]) / (end["run_ms"] - start["run_ms"])
    label = "idle routed TCP, %s" % name
    bench.figure(label + ", modem wake-ups per idle hour", wakeups,
                 "%d in %.0f s standing for %.0f s" % (end["wakeups"] - start["wakeups"], window_s,
                                                       window_s * TIME_SCALE),
                 (0 if "announces" in name else 60, "at_most", ""), digits=0)
    bench.figure(label + ", host commands per idle hour", commands, digits=0)
    bench.figure(label + ", awake share of the idle period", awake,
                 "%d ms awake of %.0f ms" % (end["awake_ms"] - start["awake_ms"], window_s * 1000), digits=3)


def dns_rai_share(bench):
    with workdir() as tmp, fake_modem(tmp, "--profile", "note") as modem, \
            dns_server({name: "127.0.0.1" for name in NAMES}) as (dns_port, _asked):
        script = "import socket, sys\nfor name in sys.argv[1:]: socket.getaddrinfo(name, 80)\n"
        result = run([sys.executable, "-c", script, *NAMES],
                     modem.env(ST87_DNS="127.0.0.1:%d" % dns_port), timeout=60)
        modem.stop()
        if result.returncode != 0:
            raise RuntimeError("lookups through the shim failed: %s" % result.stderr)
        stats = modem.stats()
    sent = sum(stats["udp_rai_%d" % rai] for rai in range(3))
    if not sent:
        raise RuntimeError("no DNS query went over the modem")
    bench.figure("DNS queries over the modem sent with RAI 2", stats["udp_rai_2"] / sent,
                 "%d of %d datagrams, %d names" % (stats["udp_rai_2"], sent, len(NAMES)),
                 (1.0, "at_least", ""), digits=3)


def run_power(bench):
    cases = [("the modem announces closes", []), ("the modem says nothing of closes", ["--no-close-urc"])]
    results = {}
    with tcp_server(send_then_close) as closing, tcp_server(benchlib.echo) as idle:
        ports = (closing.server_address[1], idle.server_address[1])
        threads = [threading.Thread(target=one_case, args=(switches, ports, results, name))
                   for name, switches in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for name, _ in cases:
        if name not in results or isinstance(results[name], Exception):
            raise RuntimeError("idle power case %s could not run: %s" % (name, results.get(name)))
    for name, _ in cases:
        report_idle(bench, name, *results[name])
    dns_rai_share(bench)
