#!/usr/bin/env python3
"""st87ctl status's radio section through st87d: the daemon's engine runs the queries (the port
has one opener), between a program's traffic; a firmware without the commands leaves it empty.
st87d --metrics-file: counters equal to what a program moved, read by Prometheus' own parser
(Debian's python3-prometheus-client); a sleeping modem is not woken to be measured.

Usage: test_daemon_radio.py CASE   (meson runs each case as its own test)
"""
import contextlib
import hashlib
import json
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from fakemodem_fixture import check, tcp_echo_server, wait_for, workdir
from harness import Paths, fake_modem, http_server, random_file, run, run_case, sha256_file, st87d
from test_single_tcp import keepalive_server, url

# Sends argv[2] random bytes through the shim to a TCP echo server, reads them back, prints the count and both
# digests, then holds the connection until a line comes on stdin.
HOLDING_ECHO_CLIENT = r"""
import hashlib, os, socket, sys
data = os.urandom(int(sys.argv[2]))
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
connection.sendall(data)
back = connection.makefile("rb").read(len(data))
print(len(back), hashlib.sha256(data).hexdigest(), hashlib.sha256(back).hexdigest(), flush=True)
sys.stdin.readline()
connection.close()
"""

# Sends 20 KiB of random bytes through the shim to a TCP echo server and prints both digests.
ECHO_CLIENT = r"""
import hashlib, os, socket, sys
data = os.urandom(20000)
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
connection.sendall(data)
connection.shutdown(socket.SHUT_WR)
back = connection.makefile("rb").read()  # all of it, up to the server's end
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


def file_version(path):
    """What tells one write of @path from the next: ext4 hands a freed inode number straight back, so a
    rename loop may alternate between two; the modification time moves with every write."""
    with contextlib.suppress(FileNotFoundError):
        status = os.stat(path)
        return (status.st_ino, status.st_mtime_ns)
    return None


def rewrites(path, count):
    """Waits until @path has been replaced @count times (each write renames a new file into place)."""
    seen = set()
    def replaced():
        seen.add(file_version(path))
        seen.discard(None)
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


def curl_page(tmp, server, daemon, digest):
    """curl fetches page.bin from @server through @daemon, checked against @digest: the sizes of its request,
    the answer's headers and its body."""
    out = os.path.join(tmp, "got.bin")
    curl = run(["curl", "--silent", "--show-error", "--fail", "--max-time", "60", "--http1.0", "-o", out,
                "-w", "%{size_request} %{size_header} %{size_download}",
                "http://127.0.0.1:%d/page.bin" % server.server_port], daemon.env())
    check(curl.returncode == 0 and sha256_file(out) == digest, "page.bin by curl through st87d: %r" % curl.stderr)
    return (int(size) for size in curl.stdout.split())


def start_holding_client(daemon, port, size, **extra):
    return subprocess.Popen([sys.executable, "-c", HOLDING_ECHO_CLIENT, str(port), str(size)],
                            env=daemon.env(**extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def check_echoed(client, size):
    """The client's line: @size bytes back, the same digest both ways."""
    fields = client.stdout.readline().split()
    check(len(fields) == 3 and fields[0] == str(size) and fields[1] == fields[2],
          "%d bytes echoed through st87d byte for byte: %r" % (size, fields))


def release(client):
    out, err = client.communicate("\n", timeout=60)
    check(client.returncode == 0, "the client closed cleanly: %r %r" % (out, err))


def process_name(pid):
    with open("/proc/%d/comm" % pid) as f:
        return f.read().strip()


def scrape(address):
    with urllib.request.urlopen("http://%s/metrics" % address, timeout=60) as answer:
        return parse_metrics(answer.read().decode())


def program_bytes(metrics, program, direction):
    return metrics.get(("st87_program_payload_bytes_total", (("direction", direction), ("program", program))))


def case_traffic_per_program_through_the_daemon():
    # Two programs through one st87d, each moving a known payload (sha256-checked): the socket's bytes in status,
    # each program's in status, watch and the metrics, exactly.
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, http_server(tmp) as server, \
            tcp_echo_server() as echo:
        digest = random_file(os.path.join(tmp, "page.bin"), 30000)
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address) as daemon:
            echo_port = echo.server_address[1]
            holder = start_holding_client(daemon, echo_port, 12345)
            check_echoed(holder, 12345)
            python = process_name(holder.pid)
            status = st87ctl(daemon, "status").stdout
            socket_line = r"modem socket \d+: TCP 127\.0\.0\.1:%d of pid %d \(%s\), open, 12345 B to the modem, " \
                r"12345 B from it" % (echo_port, holder.pid, re.escape(python))
            check(re.search(socket_line, status), "status shows the socket's bytes each way:\n" + status)
            release(holder)
            request, headers, body = curl_page(tmp, server, daemon, digest)
            metrics = scrape(address)
            expected = {(python, "to_modem"): 12345, (python, "from_modem"): 12345,
                        ("curl", "to_modem"): request, ("curl", "from_modem"): headers + body}
            for (program, direction), size in expected.items():
                check(program_bytes(metrics, program, direction) == size,
                      "%s: %d bytes %s: %r" % (program, size, direction, metrics))
            check(metrics[("st87_payload_bytes_total", (("direction", "to_modem"),))] == 12345 + request
                  and metrics[("st87_payload_bytes_total", (("direction", "from_modem"),))] == 12345 + headers + body,
                  "the totals are the programs' sums: %r" % metrics)
            status = st87ctl(daemon, "status").stdout
            for line in ("program pid %d (%s): 12345 B to the modem, 12345 B from it" % (holder.pid, python),
                         "(curl): %d B to the modem, %d B from it" % (request, headers + body)):
                check(line in status, "status shows %r:\n%s" % (line, status))
            watch = st87ctl(daemon, "watch", "--interval", "1", "--count", "2")
            check(watch.returncode == 0, "watch through st87d: %r" % watch.stderr)
            for line in ("program   pid %d (%s): to modem 12345 B" % (holder.pid, python),
                         "(curl): to modem %d B (0 B/s), from modem %d B (0 B/s)" % (request, headers + body)):
                check(watch.stdout.count(line) == 2, "both blocks show %r:\n%s" % (line, watch.stdout))


def case_queued_connect_counted_and_watched():
    # A second program's connect waits in line for the TCP socket another program holds: watch names it, the
    # metrics count it waiting, then one wait once it has had its turn; no eviction (another program's).
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, tcp_echo_server() as echo:
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address) as daemon:
            echo_port = echo.server_address[1]
            holder = start_holding_client(daemon, echo_port, 1000)
            check_echoed(holder, 1000)
            waiter = start_holding_client(daemon, echo_port, 2000, ST87_CONNECT_TIMEOUT="100000")
            waiting = "waiting for the TCP socket, place 1 in line: TCP 127.0.0.1:%d of pid %d (%s)" % (
                echo_port, waiter.pid, process_name(waiter.pid))
            wait_for(lambda: waiting in st87ctl(daemon, "status").stdout, 30, "the second connect in line")
            watch = st87ctl(daemon, "watch", "--count", "1")
            check(watch.returncode == 0 and waiting in watch.stdout,
                  "watch names the waiting program: %r %r" % (watch.stdout, watch.stderr))
            metrics = scrape(address)
            check(metrics[("st87_tcp_queue_waiting", ())] == 1
                  and metrics[("st87_tcp_queue_wait_seconds_count", ())] == 0,
                  "one connect in line, none done waiting: %r" % metrics)
            release(holder)
            check_echoed(waiter, 2000)
            release(waiter)
            metrics = scrape(address)
            check(metrics[("st87_tcp_queue_waiting", ())] == 0
                  and metrics[("st87_tcp_queue_wait_seconds_count", ())] == 1
                  and metrics[("st87_tcp_queue_wait_seconds_sum", ())] > 0,
                  "one wait counted once it had its turn: %r" % metrics)
            check(metrics[("st87_tcp_evictions_total", ())] == 0,
                  "another program's connection is never taken: %r" % metrics)
            check(metrics[("st87_connects_total", (("result", "ok"),))] == 2, "two connects: %r" % metrics)


def case_evictions_counted():
    # curl -L across three servers through st87d: each hop takes the modem's TCP socket from curl's own idle
    # connection; the metrics count each hand-over the log tells of.
    body = os.urandom(40000)
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, keepalive_server() as first, \
            keepalive_server() as second, keepalive_server("127.0.0.2") as third:
        third.pages["/file"] = (200, {}, body)
        second.pages["/hop"] = (302, {"Location": url(third, "/file")}, b"")
        first.pages["/start"] = (302, {"Location": url(second, "/hop")}, b"")
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address) as daemon:
            out = os.path.join(tmp, "got.bin")
            curl = run(["curl", "--silent", "--show-error", "--fail", "-L", "--max-time", "60", "-o", out,
                        url(first, "/start")], daemon.env(route="127.0.0.0/8"))
            check(curl.returncode == 0 and sha256_file(out) == hashlib.sha256(body).hexdigest(),
                  "curl -L through st87d: %r" % curl.stderr)
            metrics = scrape(address)
            taken = daemon.log().count("takes the modem's TCP socket from the idle connection")
            check(taken == 2 and metrics[("st87_tcp_evictions_total", ())] == 2,
                  "two hand-overs logged (%d) and counted: %r" % (taken, metrics))


def radio_seconds_help(address):
    """The HELP text of st87_radio_connected_seconds_total: it says where the seconds come from."""
    with urllib.request.urlopen("http://%s/metrics" % address, timeout=60) as answer:
        families = {family.name: family for family in prometheus_parser()(answer.read().decode())}
    return families["st87_radio_connected_seconds"].documentation


def case_radio_connected_seconds_from_cscon_urcs():
    # The radio connects for traffic (after a 100 ms set-up) and goes idle 300 ms after it: st87d turns the
    # +CSCON URCs on once, and counts the connected seconds from them.
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600", "--rrc-setup", "100",
                                      "--radio-idle-after", "300") as modem, tcp_echo_server() as echo:
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address, "--metrics-radio-interval", "1") as daemon:
            check("+CSCON URCs" in radio_seconds_help(address), "the HELP text names the URCs as the source")
            holder = start_holding_client(daemon, echo.server_address[1], 5000)
            check_echoed(holder, 5000)
            release(holder)
            wait_for(lambda: "radio idle" in modem.trace()[modem.trace().find("radio connected"):], 30,
                     "the radio connected, then idle")
            check("+CSCON: 1" in modem.trace() and "+CSCON: 0" in modem.trace(), "the modem said both changes")
            wait_for(lambda: scrape(address)[("st87_radio_connected_seconds_total", ())] > 0, 30,
                     "the connected time counted")
            check(modem.host_commands().count("AT+CSCON=1") == 1, "AT+CSCON=1 sent once: %s" % modem.host_commands())


def case_cscon_urcs_asked_again_after_a_restart():
    # A restart turns the modem's +CSCON URCs off: the next radio reading turns them on again.
    with workdir() as tmp, fake_modem(tmp, "--reboot-after", "16") as modem:
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address, "--metrics-radio-interval", "1") as daemon:
            wait_for(lambda: scrape(address) and modem.host_commands().count("AT+CSCON=1") == 2, 60,
                     "AT+CSCON=1 again after the restart")
            check("the modem restarted" in daemon.log(), "st87d saw the restart:\n" + daemon.log())
            commands = modem.host_commands()
            check(commands.index("AT+CSCON=1") < 16 < len(commands) - commands[::-1].index("AT+CSCON=1"),
                  "once before the restart, once after: %s" % commands)
            check("+CSCON URCs" in radio_seconds_help(address), "the HELP text names the URCs again")


def case_radio_connected_seconds_polled_where_cscon_urcs_are_unknown():
    # A firmware without AT+CSCON: asked once whether it sends URCs, never again; the HELP text says polled.
    with workdir() as tmp, fake_modem(tmp, "--radio-unknown", "cscon") as modem:
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address, "--metrics-radio-interval", "1"):
            wait_for(lambda: scrape(address) and modem.host_commands().count("AT+CESQ") >= 3, 30,
                     "three radio readings")
            check(modem.host_commands().count("AT+CSCON=1") == 1, "AT+CSCON=1 asked once: %s" % modem.host_commands())
            check("read every --metrics-radio-interval" in radio_seconds_help(address), "the HELP text says polled")
            check(scrape(address)[("st87_radio_connected_seconds_total", ())] == 0, "an unknown state is idle")


def free_loopback_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def case_metrics_over_http_count_a_curl():
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem, http_server(tmp) as server:
        digest = random_file(os.path.join(tmp, "page.bin"), 50000)
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address) as daemon:
            request, headers, body = curl_page(tmp, server, daemon, digest)
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


# A program's lookup the modem answers late (the fake modem's --dns-delay).
SLOW_LOOKUP = "import socket; socket.getaddrinfo('slow.test', 80, socket.AF_INET)"


def timed_scrape(address, timeout):
    """(HTTP status, the metrics, seconds taken), or (None, None, seconds) when no answer came within @timeout."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen("http://%s/metrics" % address, timeout=timeout) as answer:
            status, text = answer.status, answer.read().decode()
    except (socket.timeout, TimeoutError, urllib.error.URLError) as error:
        if isinstance(error, urllib.error.URLError) and not isinstance(error.reason, (socket.timeout, TimeoutError)):
            raise
        return None, None, time.monotonic() - started
    return status, parse_metrics(text), time.monotonic() - started


def radio_gauges(metrics):
    return sorted(name for name, _ in metrics if name in ("st87_radio_age_seconds", "st87_rsrp_dbm", "st87_rsrq_db",
                                                          "st87_rrc_connected"))


def start_slow_lookup(daemon, modem):
    lookup = subprocess.Popen([sys.executable, "-c", SLOW_LOOKUP], env=daemon.env(route="*"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: "AT#DNS" in modem.trace(), 30, "the lookup at the modem")
    return lookup


def case_metrics_answered_during_a_long_lookup():
    # A program's lookup holds the modem for 60 s (AT#DNS answers late). A scrape meanwhile is answered with the
    # counters at once: the radio job it queues waits behind the lookup, and the scrape no longer waits with it
    # (it used to wait the whole 60 s, and Prometheus saw the target down exactly when the radio was busy).
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-delay", "60000") as modem:
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address) as daemon:
            lookup = start_slow_lookup(daemon, modem)
            try:
                for attempt in range(3):
                    status, metrics, took = timed_scrape(address, 15)
                    check(status == 200, "scrape %d during the lookup answered: no answer within %.1f s"
                          % (attempt + 1, took))
                    check(metrics[("st87_modem_open", ())] == 1 and metrics[("st87_at_commands_total", ())] >= 4
                          and ("st87_connects_total", (("result", "ok"),)) in metrics,
                          "the counters during the lookup: %r" % metrics)
                    check(radio_gauges(metrics) == [], "no radio values read yet: %r" % radio_gauges(metrics))
                check(lookup.poll() is None, "the lookup was still at the modem during the scrapes")
                check("AT+CESQ" not in modem.host_commands(), "nothing sent to the modem inside the lookup")
            finally:
                daemon.stop()
                lookup.communicate(timeout=30)


def case_metrics_file_written_during_a_long_lookup():
    # The same for --metrics-file, the radio due at every write: while a lookup holds the modem for two minutes, the
    # file is still rewritten every second (it used to stop until the modem answered), with the radio's values read
    # before the lookup and their age.
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-delay", "120000") as modem:
        path = os.path.join(tmp, "st87.prom")
        with st87d(tmp, modem, "--metrics-file", path, "--metrics-interval", "1",
                   "--metrics-radio-interval", "1") as daemon:
            wait_for(lambda: "AT+CESQ" in modem.host_commands(), 30, "the radio read once")
            lookup = start_slow_lookup(daemon, modem)
            readings = modem.host_commands().count("AT+CESQ")
            try:
                seen = set()
                def rewritten_three_times():
                    seen.add(file_version(path))
                    seen.discard(None)
                    return len(seen) > 3
                wait_for(rewritten_three_times, 30, "three rewrites of the metrics file during the lookup")
                check(lookup.poll() is None, "the lookup was still at the modem during the rewrites")
                metrics = read_metrics(path)
                check(metrics[("st87_modem_open", ())] == 1 and metrics[("st87_rsrp_dbm", ())] == -95
                      and metrics[("st87_radio_age_seconds", ())] >= 2,
                      "the counters and the radio's last values with their age: %r" % metrics)
                check(modem.host_commands().count("AT+CESQ") == readings, "nothing sent inside the lookup")
            finally:
                daemon.stop()
                lookup.communicate(timeout=30)
            check([name for name in os.listdir(tmp) if name.startswith("st87.prom.")] == [],
                  "no temporary file left beside it")


def case_radio_read_behind_a_lookup_reaches_a_later_scrape():
    # Scrapes during a 15 s lookup queue one radio job between them (not one each) and are answered without the
    # radio's values; once the modem has answered the lookup, the job runs and a later scrape shows what it read.
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-delay", "15000",
                                      "--dns-entry", "slow.test=127.0.0.1") as modem:
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address) as daemon:
            lookup = start_slow_lookup(daemon, modem)
            for attempt in range(3):
                status, metrics, took = timed_scrape(address, 60)
                check(status == 200 and radio_gauges(metrics) == [],
                      "scrape %d during the lookup: the counters without radio values: %r" % (attempt + 1, metrics))
            check(lookup.poll() is None and "#DNS:" not in modem.trace(),
                  "the lookup was still at the modem during the scrapes")
            out, err = lookup.communicate(timeout=60)
            check(lookup.returncode == 0, "the lookup answered: %r" % err)
            wait_for(lambda: ("st87_rsrp_dbm", ()) in scrape(address), 30, "the radio's values in a scrape")
            metrics = scrape(address)
            check(metrics[("st87_rsrp_dbm", ())] == -95 and metrics[("st87_rsrq_db", ())] == -10.5,
                  "the radio as the modem gave it: %r" % metrics)
            check(modem.host_commands().count("AT+CESQ") == 1,
                  "one radio job for all the scrapes: %s" % modem.host_commands())


def raw_request(address, method):
    """(status line, headers by lower-case name, body) of one HTTP/1.0 request to st87d's --metrics."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=60) as connection:
        connection.sendall(b"%s /metrics HTTP/1.0\r\nHost: %s\r\n\r\n" % (method.encode(), address.encode()))
        answer = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return lines[0], headers, body


def case_metrics_head_gives_the_length_of_a_get():
    # HEAD answers with the Content-Length a GET gets (RFC 9110 9.3.2) and no body. Between two GETs whose bodies
    # are the same byte for byte nothing moved, so HEAD's text was that one: its length exactly.
    with workdir() as tmp, fake_modem(tmp) as modem:
        address = "127.0.0.1:%d" % free_loopback_port()
        with st87d(tmp, modem, "--metrics", address):
            scrape(address)  # the radio read once (the next in a minute)
            for attempt in range(5):
                _, _, before = raw_request(address, "GET")
                status, headers, body = raw_request(address, "HEAD")
                got_status, got_headers, after = raw_request(address, "GET")
                if before == after:
                    break
            check(before == after, "two GETs alike in five tries: the daemon was not quiet")
            check(got_status.startswith("HTTP/1.0 200") and int(got_headers["content-length"]) == len(after),
                  "a GET's own length: %r %r" % (got_status, got_headers))
            check(status.startswith("HTTP/1.0 200") and headers["content-type"] == got_headers["content-type"],
                  "HEAD's status and type as GET's: %r %r" % (status, headers))
            check(int(headers["content-length"]) == len(after),
                  "HEAD's Content-Length %s is the %d bytes of the GET's body" % (headers["content-length"], len(after)))
            check(body == b"", "HEAD's answer has no body: %r" % body[:200])


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_daemon_radio.py")
