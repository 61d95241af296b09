#!/usr/bin/env python3
"""Soak: hundreds of routed connections against the fake modem with faults switched on.

    meson test -C build --suite soak           # ST87_SOAK_SECONDS bounds it (default 300)

Phases cycle until the time is up, each with a fresh fake modem: clean; fragments, URC
noise and junk lines; a reboot mid-traffic; a link loss that comes back; a modem that
stops answering; the same clean traffic through st87d. In each phase, jobs run one after
another and two at a time: curl GET and POST of random sizes, a python UDP exchange, and
the multi-threaded C client. After every job:

- its data came back byte for byte, or it failed cleanly (an errno, a curl exit code for
  a network error) within its bound; a hang or a wrong byte fails the soak;
- no modem socket is left open (the fake modem's counters, written on SIGUSR1), unless
  the modem was made to stop answering.

A long-lived python process makes routed connections throughout one phase; its fd count
must come back to where it started and its resident memory stay flat. Figures are printed
at the end.
"""
import json
import os
import random
import signal
import sys
import threading
import time

from fakemodem_fixture import check, tcp_echo_server, udp_echo_server, wait_for, workdir
from harness import fake_modem, http_server, random_file, run, sha256_file, st87d
from test_threads import UNROUTED

SECONDS = float(os.environ.get("ST87_SOAK_SECONDS", "300"))
# curl gives up on its own after CURL_MAX_TIME; its exit may then still wait for the modem command the
# engine is in (AT#IPREAD's 31 s deadline and the query after it, on a modem that stopped answering), and a
# job of a pair may have waited meanwhile for the other program to let go of the port.
CURL_MAX_TIME = 80
EXIT_WAIT_BOUND = 60
JOB_BOUND = CURL_MAX_TIME + EXIT_WAIT_BOUND
# curl exit codes of a network failure: connect (7), partial (18), timeout (28), empty reply (52),
# send (55) and receive (56) errors.
CURL_NETWORK_FAILURES = {7, 18, 28, 52, 55, 56}

UDP_CLIENT = r"""
import errno, os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(15)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    for i in range(int(sys.argv[2])):
        data = os.urandom(1 + (i * 37) % 480)
        s.send(data)
        if s.recv(2048) != data:
            print("differs")
            sys.exit(1)
    print("ok")
except OSError as error:
    print("failed", errno.errorcode.get(error.errno, "timeout"))
"""

# Makes routed GETs in one process and reports its fds and resident memory as it goes.
RESIDENT = r"""
import hashlib, os, socket, sys, time
port, path, digest, rounds = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

def snapshot():
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return len(os.listdir("/proc/self/fd")), rss

ok = failed = 0
for i in range(rounds):
    if i == 5:
        time.sleep(0.5)  # the engine closes its end of the last pair when it sees the close: let it
        print("start", *snapshot(), flush=True)
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        c.sendall(b"GET " + path.encode() + b" HTTP/1.0\r\n\r\n")
        data = c.makefile("rb").read()
        c.close()
        body = data.split(b"\r\n\r\n", 1)[1]
        if hashlib.sha256(body).hexdigest() != digest:
            print("differs", flush=True)
            sys.exit(1)
        ok += 1
    except OSError:
        failed += 1
        time.sleep(0.2)
time.sleep(0.5)
print("end", *snapshot(), ok, failed, flush=True)
"""

PHASES = [
    ("clean", []),
    ("fragments and noise", ["--fragment", "--urc-noise", "--garbage"]),
    ("reboot", ["--reboot-after", "{reboot}"]),
    ("link loss", ["--link-loss-after", "{loss}", "--link-return", "400"]),
    ("stall", ["--stall-after", "{stall}"]),
    ("through st87d", []),
]


class Tally:
    def __init__(self):
        self.counts = {}
        self.slowest = {}
        self.lock = threading.Lock()
        self.faults_on = True
        self.in_pairs = False

    def add(self, kind, outcome, started):
        # Without faults, a job run alone must succeed. Two at once may find the modem taken (one TCP socket;
        # without st87d, one process owns the port): a clean failure is right there.
        check(self.faults_on or self.in_pairs or outcome == "ok", "%s failed with no fault switched on" % kind)
        with self.lock:
            self.counts.setdefault(kind, {}).setdefault(outcome, 0)
            self.counts[kind][outcome] += 1
            self.slowest[kind] = max(self.slowest.get(kind, 0), time.monotonic() - started)


def open_sockets(modem):
    os.kill(modem.process.pid, signal.SIGUSR1)
    time.sleep(0.05)
    with open(modem.stats_path) as f:
        return json.load(f)["open_sockets"]


def curl(env, arguments):
    return run(["curl", "--silent", "--show-error", "--max-time", str(CURL_MAX_TIME)] + arguments, env,
               timeout=JOB_BOUND)


def job_get(env, server, files, tally):
    started = time.monotonic()
    name = random.choice(sorted(files))
    out = os.path.join(server.directory, "got-%d.bin" % threading.get_ident())
    result = curl(env, ["--fail", "-o", out, "http://127.0.0.1:%d/%s" % (server.server_port, name)])
    if result.returncode == 0:
        check(sha256_file(out) == files[name], "GET %s came back different" % name)
        tally.add("curl GET", "ok", started)
    else:
        check(result.returncode in CURL_NETWORK_FAILURES, "GET: curl exit %d: %r" % (result.returncode, result.stderr))
        tally.add("curl GET", "failed cleanly", started)


def job_post(env, server, files, tally):
    started = time.monotonic()
    name = random.choice(sorted(files))
    path = os.path.join(server.directory, name)
    before = len(server.posted)
    result = curl(env, ["--fail", "-o", os.devnull, "-H", "Expect:", "--data-binary", "@" + path,
                        "http://127.0.0.1:%d/up" % server.server_port])
    if result.returncode == 0:
        # Another POST may run beside this one (jobs go in pairs, and the TCP line lets both succeed): this
        # one's body is among what arrived since, and everything that arrived is some file whole.
        arrived = server.posted[before:]
        whole = {(os.path.getsize(os.path.join(server.directory, n)), digest) for n, digest in files.items()}
        check((os.path.getsize(path), files[name]) in arrived and set(arrived) <= whole,
              "POST %s arrived different: %r" % (name, arrived))
        tally.add("curl POST", "ok", started)
    else:
        check(result.returncode in CURL_NETWORK_FAILURES, "POST: curl exit %d: %r" % (result.returncode, result.stderr))
        tally.add("curl POST", "failed cleanly", started)


def job_udp(env, udp_port, tally):
    started = time.monotonic()
    result = run([sys.executable, "-c", UDP_CLIENT, str(udp_port), str(random.randint(1, 12))], env,
                 timeout=JOB_BOUND, text=True)
    out = result.stdout.strip()
    check(out == "ok" or out.startswith("failed"), "UDP: %r %r" % (out, result.stderr))
    tally.add("python UDP", "ok" if out == "ok" else "failed cleanly", started)


def job_threads(env, tcp_port, udp_port, unrouted_port, tally):
    started = time.monotonic()
    client = os.environ.get("ST87_TEST_THREADS_CLIENT")
    result = run([client, str(tcp_port), str(udp_port), str(unrouted_port), "2"], env, timeout=JOB_BOUND, text=True)
    # The client retries a busy modem; under faults an exchange may fail cleanly, never differ silently.
    wrong_data = ("the echo differs", "a datagram neither thread sent")
    check(not any(phrase in result.stderr for phrase in wrong_data), "threads client: %r" % result.stderr[-2000:])
    tally.add("C threads", "ok" if result.returncode == 0 else "failed cleanly", started)


def phase_switches(name, switches):
    values = {"reboot": random.randint(20, 120), "loss": random.randint(20, 120), "stall": random.randint(40, 200)}
    return [s.format(**values) for s in switches] + ["--seed", str(random.randint(1, 1 << 30))]


def run_phase(name, switches, tmp, server, files, tally, unrouted_port, deadline):
    stalls = name == "stall"
    tally.faults_on = bool(switches)
    with fake_modem(tmp, "--baud", "921600", *phase_switches(name, switches)) as modem, \
            tcp_echo_server() as tcp, udp_echo_server() as udp_port:
        daemon_context = st87d(tmp, modem) if name == "through st87d" else None
        daemon = daemon_context.__enter__() if daemon_context else None
        try:
            env = daemon.env(route="127.0.0.1/32") if daemon else modem.env(route="127.0.0.1/32", ST87_CONNECT_TIMEOUT=8000)
            jobs = [lambda: job_get(env, server, files, tally), lambda: job_post(env, server, files, tally),
                    lambda: job_udp(env, udp_port, tally),
                    lambda: job_threads(env, tcp.server_address[1], udp_port, unrouted_port, tally)]
            for _ in range(12):
                if time.monotonic() > deadline:
                    break
                if random.random() < 0.3:
                    pair = [threading.Thread(target=guarded, args=(random.choice(jobs), errors)) for _ in range(2)]
                    tally.in_pairs = True
                    for thread in pair:
                        thread.start()
                    for thread in pair:
                        thread.join()
                    tally.in_pairs = False
                    if errors:
                        raise errors.pop()
                else:
                    random.choice(jobs)()
                if not stalls and not daemon:
                    wait_for(lambda: open_sockets(modem) == 0, 10, "every modem socket closed after a job")
        finally:
            if daemon_context:
                daemon_context.__exit__(None, None, None)
        if daemon:
            modem.stop()
            check(modem.stats()["open_sockets"] == 0, "st87d left modem sockets open")


errors = []


def guarded(job, sink):
    try:
        job()
    except Exception as error:  # noqa: BLE001  (passed to the main thread)
        sink.append(error)


def resident_figures(tmp, server, files):
    """One process, many routed GETs through a clean modem: fd count and resident memory."""
    name = min(files, key=lambda n: os.path.getsize(os.path.join(server.directory, n)))
    with fake_modem(tmp, "--baud", "921600") as modem:
        result = run([sys.executable, "-c", RESIDENT, str(server.server_port), "/" + name, files[name], "60"],
                      modem.env(route="127.0.0.1/32"), timeout=600, text=True)
    lines = dict((line.split()[0], line.split()[1:]) for line in result.stdout.splitlines() if line.split())
    check("start" in lines and "end" in lines, "the long-lived client failed: %r" % result.stderr)
    fds_start, rss_start = map(int, lines["start"])
    fds_end, rss_end, ok, failed = map(int, lines["end"])
    print("long-lived process: %d GETs ok, %d failed; fds %d -> %d; resident %d KiB -> %d KiB (%+d KiB)"
          % (ok, failed, fds_start, fds_end, rss_start, rss_end, rss_end - rss_start))
    check(fds_end <= fds_start, "the process holds %d fds more than it started with" % (fds_end - fds_start))
    check(rss_end - rss_start < 2048, "resident memory grew by %d KiB over 55 connections" % (rss_end - rss_start))


def main():
    random.seed(int(os.environ.get("ST87_SOAK_SEED", str(int(time.time())))))
    started = time.monotonic()
    deadline = started + SECONDS
    tally = Tally()
    with workdir() as tmp, http_server(tmp) as server, tcp_echo_server(UNROUTED) as unrouted:
        server.directory = tmp
        files = {}
        for index, size in enumerate([1, 700, 5000, 40000, 150000]):
            name = "file%d.bin" % index
            files[name] = random_file(os.path.join(tmp, name), size)
        resident_figures(tmp, server, files)
        phases = 0
        while time.monotonic() < deadline:
            name, switches = PHASES[phases % len(PHASES)]
            print("phase %d: %s" % (phases + 1, name), flush=True)
            run_phase(name, switches, tmp, server, files, tally, unrouted.server_address[1], deadline)
            phases += 1
    print("soak: %.0f s, %d phases" % (time.monotonic() - started, phases))
    for kind, outcomes in sorted(tally.counts.items()):
        print("  %-10s %s; slowest %.0f s (bound %d s)" % (kind, ", ".join("%s %d" % item for item in sorted(outcomes.items())),
                                                           tally.slowest[kind], JOB_BOUND))
    total_ok = sum(outcomes.get("ok", 0) for outcomes in tally.counts.values())
    check(total_ok > 0, "no job succeeded")


if __name__ == "__main__":
    main()
