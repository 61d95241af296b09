#!/usr/bin/env python3
"""st87ctl status's radio section through st87d: the daemon's engine runs the queries (the port
has one opener), between a program's traffic; a firmware without the commands leaves it empty.
st87d --metrics-file: counters equal to what a program moved, read by Prometheus' own parser
(Debian's python3-prometheus-client); a sleeping modem is not woken to be measured.

Usage: test_daemon_radio.py CASE   (meson runs each case as its own test)
"""
import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

from fakemodem_fixture import check, tcp_echo_server, wait_for, workdir
from harness import Paths, fake_modem, http_server, random_file, run, run_case, sha256_file, st87d

# Sends 20 KiB of random bytes through the shim to a TCP echo server and prints both digests.
ECHO_CLIENT = r"""
import hashlib, os, socket, sys
data = os.urandom(20000)
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
connection.sendall(data)
connection.shutdown(socket.SHUT_WR)
back = b""
while True:
    block = connection.recv(65536)
    if not block:
        break
    back += block
print(hashlib.sha256(data).hexdigest(), hashlib.sha256(back).hexdigest())
"""


def st87ctl(daemon, *arguments):
    env = dict(os.environ, ST87_DAEMON=daemon.socket)
    env.pop("LD_PRELOAD", None)
    return subprocess.run([Paths.st87ctl, *arguments], env=env, capture_output=True, text=True, timeout=120)


def radio_commands(modem):
    return [line for line in modem.host_commands()
            if line.startswith(("AT+CGSN", "AT+CGMR", "AT+CESQ", "AT+CSQ", "AT+CEREG", "AT+CSCON", "AT+CPSMS",
                                "AT+CEDRXS"))]


def case_radio_through_the_daemon():
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, st87d(tmp, modem) as daemon, \
            tcp_echo_server() as echo:
        status = st87ctl(daemon, "status")
        check(status.returncode == 0, "status through st87d: %r %r" % (status.stdout, status.stderr))
        check(status.stdout.startswith("st87d pid"), "st87d answers the status:\n" + status.stdout)
        for row in ("IMEI: 004999010640000", "RSRP: -95 dBm", "RSRQ: -10.5 dB", "RSSI: -73 dBm",
                    "registration: registered, home network (1)", "cell: 01A2B3C4 in tracking area 1A2B, NB-S1",
                    "RRC: idle", "PSM: off", "eDRX: off"):
            check(row in status.stdout, "status through st87d shows %r:\n%s" % (row, status.stdout))
        check(radio_commands(modem) == ["AT+CGSN", "AT+CGMR", "AT+CESQ", "AT+CSQ", "AT+CEREG?", "AT+CEREG=5",
                                        "AT+CEREG?", "AT+CEREG=0", "AT+CSCON?", "AT+CPSMS?", "AT+CEDRXS?"],
              "st87d's engine sent each query once: %s" % radio_commands(modem))
        # A program's bytes through st87d after the queries (AT+CEREG=5 and back): byte for byte.
        client = subprocess.run([sys.executable, "-c", ECHO_CLIENT, str(echo.server_address[1])],
                                env=daemon.env(), capture_output=True, text=True, timeout=120)
        digests = client.stdout.split()
        check(client.returncode == 0 and len(digests) == 2 and digests[0] == digests[1],
              "20000 bytes echoed through st87d: %r %r" % (client.stdout, client.stderr))
        report = st87ctl(daemon, "status", "--json")
        check(report.returncode == 0, "status --json through st87d: %r" % report.stderr)
        answer = json.loads(report.stdout)
        check(answer["daemon"] == daemon.socket and any(line.startswith("st87d pid") for line in answer["lines"]),
              "JSON: st87d's own answer as before: %r" % answer)
        radio = answer["radio"]
        check((radio["rsrp_dbm"], radio["rsrq_db"], radio["rssi_dbm"], radio["rrc"]) == (-95, -10.5, -73, "idle")
              and radio["registration"]["cell_id"] == "01A2B3C4" and radio["imei"] == "004999010640000",
              "JSON: the radio through st87d: %r" % radio)
        at = st87ctl(daemon, "at", "AT+CEREG?")
        check("+CEREG: 0,1" in at.stdout, "AT+CEREG's presentation put back: %r" % at.stdout)


def case_radio_unknown_through_the_daemon():
    with workdir() as tmp, fake_modem(tmp, "--radio-unknown", "all") as modem, st87d(tmp, modem) as daemon:
        status = st87ctl(daemon, "status")
        check(status.returncode == 0 and "queries: none the firmware knows" in status.stdout,
              "status through st87d with no radio command known: %r %r" % (status.stdout, status.stderr))
        report = st87ctl(daemon, "status", "--json")
        check(report.returncode == 0 and json.loads(report.stdout)["radio"] == {},
              "JSON: an empty radio object: %r" % report.stdout)
        check("AT+CEREG=5" not in modem.host_commands(), "no presentation set where AT+CEREG is unknown")
        check("st87d pid" in st87ctl(daemon, "status").stdout, "st87d still serves")


def prometheus_parser():
    """prometheus_client's text parser; Debian installs it for /usr/bin/python3, which may not be the python3 running."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            from prometheus_client.parser import text_string_to_metric_families
        except ImportError:
            check(False, "python3-prometheus-client is installed (scripts/setup.sh installs it)")
    return text_string_to_metric_families


def parse_metrics(text):
    """{(sample name, sorted labels): value}, through Prometheus' parser."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in prometheus_parser()(text) for sample in family.samples}


def read_metrics(path):
    with open(path) as f:
        return parse_metrics(f.read())


def rewrites(path, count):
    """Waits until @path has been replaced @count times (each write renames a new file into place)."""
    seen = set()
    def replaced():
        with contextlib.suppress(FileNotFoundError):
            seen.add(os.stat(path).st_ino)
        return len(seen) > count
    wait_for(replaced, 60, "%d rewrites of %s" % (count, path))


def case_metrics_file_counts_a_transfer():
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, tcp_echo_server() as echo:
        path = os.path.join(tmp, "st87.prom")
        with st87d(tmp, modem, "--metrics-file", path, "--metrics-interval", "1",
                   "--metrics-radio-interval", "1") as daemon:
            client = subprocess.run([sys.executable, "-c", ECHO_CLIENT, str(echo.server_address[1])],
                                    env=daemon.env(), capture_output=True, text=True, timeout=120)
            digests = client.stdout.split()
            check(client.returncode == 0 and len(digests) == 2 and digests[0] == digests[1],
                  "20000 bytes echoed through st87d: %r %r" % (client.stdout, client.stderr))
            def transfer_counted():
                metrics = read_metrics(path) if os.path.exists(path) else {}
                return metrics.get(("st87_payload_bytes_total", (("direction", "from_modem"),))) == 20000
            wait_for(transfer_counted, 60, "the metrics file counting the echo")
            metrics = read_metrics(path)
            check(metrics[("st87_payload_bytes_total", (("direction", "to_modem"),))] == 20000,
                  "20000 bytes to the modem: %r" % metrics)
            check(metrics[("st87_connects_total", (("result", "ok"),))] == 1
                  and metrics[("st87_connects_total", (("result", "failed"),))] == 0, "one connect: %r" % metrics)
            check(metrics[("st87_at_commands_total", ())] >= 4 and metrics[("st87_modem_open", ())] == 1,
                  "AT commands counted, the modem open: %r" % metrics)
            check(metrics[("st87_modem_restarts_total", ())] == 0 and metrics[("st87_link_losses_total", ())] == 0,
                  "no restart, no link loss: %r" % metrics)
            check(("st87_rsrp_dbm", ()) not in metrics or metrics[("st87_rsrp_dbm", ())] == -95,
                  "RSRP, when read, as the modem gave it: %r" % metrics)
            check(os.stat(path).st_mode & 0o777 == 0o644, "the metrics file is readable by node_exporter")
            check([name for name in os.listdir(tmp) if name.startswith("st87.prom.")] == [],
                  "no temporary file left beside it")


def case_metrics_never_wake_a_sleeping_modem():
    # The modem sleeps 1 s after the last command and says nothing; st87d learns the hold (AT#SLEEPMODE?).
    with workdir() as tmp, fake_modem(tmp, "--sleep-after", "1000") as modem:
        path = os.path.join(tmp, "st87.prom")
        with st87d(tmp, modem, "--metrics-file", path, "--metrics-interval", "1",
                   "--metrics-radio-interval", "1"):
            wait_for(lambda: "[fell asleep]" in modem.trace(), 60, "the modem falling asleep")
            asleep_at = modem.trace().rindex("[fell asleep]")
            rewrites(path, 4)
            after = [line for line in modem.trace()[asleep_at:].split("\n") if line.startswith("> ")]
            check(after == [], "nothing sent to the sleeping modem: %r" % after)
            metrics = read_metrics(path)
            check(metrics[("st87_modem_open", ())] == 1, "the modem open: %r" % metrics)
            if ("st87_radio_age_seconds", ()) in metrics:
                check(metrics[("st87_radio_age_seconds", ())] >= 1,
                      "the radio values read while awake, reported with their age: %r" % metrics)


def case_watch_through_the_daemon():
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, tcp_echo_server() as echo, \
            st87d(tmp, modem, "--metrics-radio-interval", "1") as daemon:
        client = subprocess.run([sys.executable, "-c", ECHO_CLIENT, str(echo.server_address[1])],
                                env=daemon.env(), capture_output=True, text=True, timeout=120)
        digests = client.stdout.split()
        check(client.returncode == 0 and len(digests) == 2 and digests[0] == digests[1],
              "20000 bytes echoed through st87d: %r %r" % (client.stdout, client.stderr))
        watch = st87ctl(daemon, "watch", "--interval", "1", "--count", "2")
        check(watch.returncode == 0 and watch.stdout.count("st87ctl watch, every 1 s") == 2,
              "two blocks through st87d: %r %r" % (watch.stdout, watch.stderr))
        check("to modem 20000 B" in watch.stdout and "from modem 20000 B" in watch.stdout,
              "the daemon's byte counters: %r" % watch.stdout)
        check("  st87d pid" in watch.stdout and "+CME ERRORs:" in watch.stdout,
              "st87d's own status and the error counts: %r" % watch.stdout)
        check("RSRP -95 dBm" in watch.stdout, "the radio as st87d read it: %r" % watch.stdout)


def free_loopback_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def case_metrics_over_http_count_a_curl():
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, http_server(tmp) as server:
        digest = random_file(os.path.join(tmp, "page.bin"), 50000)
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address) as daemon:
            out = os.path.join(tmp, "got.bin")
            curl = run(["curl", "--silent", "--show-error", "--fail", "--max-time", "60", "--http1.0", "-o", out,
                        "-w", "%{size_request} %{size_header} %{size_download}",
                        "http://127.0.0.1:%d/page.bin" % server.server_port], daemon.env())
            check(curl.returncode == 0 and sha256_file(out) == digest,
                  "50000 bytes by curl through st87d: %r" % curl.stderr)
            request, headers, body = (int(size) for size in curl.stdout.split())
            with urllib.request.urlopen("http://%s/metrics" % address, timeout=60) as answer:
                check(answer.headers["Content-Type"].startswith("text/plain; version=0.0.4"),
                      "the Prometheus text format's content type: %r" % answer.headers["Content-Type"])
                text = answer.read().decode()
            metrics = parse_metrics(text)
            check(metrics[("st87_payload_bytes_total", (("direction", "to_modem"),))] == request,
                  "the request's %d bytes to the modem: %r" % (request, metrics))
            check(metrics[("st87_payload_bytes_total", (("direction", "from_modem"),))] == headers + body,
                  "the answer's %d bytes from the modem: %r" % (headers + body, metrics))
            check(metrics[("st87_connects_total", (("result", "ok"),))] == 1, "one connect: %r" % metrics)
            try:
                urllib.request.urlopen("http://%s/other" % address, timeout=60)
                status = 200
            except urllib.error.HTTPError as error:
                status = error.code
            check(status == 404, "a path other than /metrics: 404, not %d" % status)
    refused = subprocess.run([Paths.st87d, "-f", "--metrics", "0.0.0.0:%d" % free_loopback_port()],
                             capture_output=True, text=True, timeout=60)
    check(refused.returncode == 2 and len(refused.stderr.splitlines()) == 1 and "loopback" in refused.stderr,
          "--metrics on a non-loopback address refused in one line: %r" % refused.stderr)


def drip(address, cut_off, started):
    """Writes a request to st87d's --metrics one byte a second, never ending its headers, until st87d drops the
    connection or 80 s pass; sets @cut_off["after"] to the bytes written by then and ["answer"] to what came.
    Sets @started once connected and its first byte sent."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=90) as connection:
        request = b"GET /metrics HTTP/1.0\r\nX-Slow: " + b"x" * 50
        for count, byte in enumerate(request):
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                break
            started.set()
            readable, _, _ = select.select([connection], [], [], 1)
            if readable:
                break
        cut_off["after"] = count
        try:
            cut_off["answer"] = connection.recv(65536)
        except OSError:
            cut_off["answer"] = b""


def case_metrics_over_http_not_held_by_a_slow_client():
    # A client that sends its request one byte a second would hold the one serving thread for up to an hour (a
    # wait per byte); it gets one deadline for the whole request (2 s) and then the connection is dropped
    # unanswered, so a scrape that comes meanwhile is answered while the slow client is still dripping.
    with workdir() as tmp, fake_modem(tmp) as modem:
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address):
            cut_off, started = {}, threading.Event()
            dripper = threading.Thread(target=drip, args=(address, cut_off, started), daemon=True)
            dripper.start()
            # Connected first, so accepted first: the serving thread is busy with it when the scrape comes.
            check(started.wait(60), "the slow client did not connect")
            with urllib.request.urlopen("http://%s/metrics" % address, timeout=30) as answer:
                status, text = answer.status, answer.read().decode()
            dripper.join()
    check(status == 200 and "st87_connects_total" in text, "the scrape: %d %r" % (status, text[:200]))
    check(cut_off.get("answer") == b"", "the slow client was answered: %r" % cut_off)
    check(cut_off.get("after", 0) < 60, "the slow client was not cut off: %r" % cut_off)


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_daemon_radio.py")
