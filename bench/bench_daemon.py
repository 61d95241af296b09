#!/usr/bin/env python3
"""st87d against the in-process shim, in one run on the same machine.

    bench_daemon.py

- Throughput: curl downloads and uploads a file through the fake modem
  paced at 115200 and 921600 baud, with the shim owning the port and
  through st87d, alternated three times; the figure is the median payload
  rate through the daemon over the in-process one (target >= 0.97: the
  daemon's bridge is the same engine). An in-process upload pays the send
  handshake's detection (0.3 s on the note's firmware) in every process; the
  daemon learns it once, from the download before.
- Connect latency of a short-lived program: the wall time of a small curl
  GET, in-process (the modem's start-up is paid by every run) and through a
  running st87d (paid once by the daemon); median of several runs each, and
  their ratio (below 1: the daemon is faster).
"""
import os
import time

import benchlib
from fakemodem_fixture import workdir
from harness import fake_modem, http_server, random_file, sha256_file, st87d

CURL_TIMES = "%{time_pretransfer} %{time_total} %{size_download} %{size_upload}"
LATENCY_RUNS = 7
TRANSFER_RUNS = 3


def curl_rate(command, env, what):
    """Payload bytes per second of one curl transfer, from the request to the end."""
    result = benchlib.run_checked(["curl", "--silent", "--show-error", "--fail", "-w", CURL_TIMES] + command,
                                  env, 300, what)
    pretransfer, total, downloaded, uploaded = result.stdout.decode().split()
    return (int(downloaded) + int(uploaded)) / (float(total) - float(pretransfer))


def transfer_rates(baud, size, through_daemon):
    """(download rate, upload rate) with a fresh fake modem, in-process or through st87d."""
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--baud", str(baud), "--profile", "note") as modem:
        digest = random_file(os.path.join(tmp, "file.bin"), size)
        url = "http://127.0.0.1:%d/" % server.server_port
        out = os.path.join(tmp, "got.bin")
        if through_daemon:
            with st87d(tmp, modem, ST87_BAUD=baud) as daemon:
                env = daemon.env()
                down = curl_rate(["-o", out, url + "file.bin"], env, "download via st87d")
                up = curl_rate(["-o", os.devnull, "-H", "Expect:", "--data-binary", "@" + out, url + "up"],
                               env, "upload via st87d")
        else:
            env = modem.env(ST87_BAUD=baud, ST87_DAEMON="off")
            down = curl_rate(["-o", out, url + "file.bin"], env, "download in-process")
            up = curl_rate(["-o", os.devnull, "-H", "Expect:", "--data-binary", "@" + out, url + "up"],
                           env, "upload in-process")
        if sha256_file(out) != digest or server.posted != [(size, digest)]:
            raise RuntimeError("a transfer differs")
    return down, up


def short_curl_seconds(env, url):
    started = time.monotonic()
    benchlib.run_checked(["curl", "--silent", "--show-error", "--fail", "-o", os.devnull, url], env, 60,
                         "short curl")
    return time.monotonic() - started


def latency(bench):
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--baud", "115200", "--profile", "note") as modem:
        random_file(os.path.join(tmp, "small.bin"), 200)
        url = "http://127.0.0.1:%d/small.bin" % server.server_port
        alone = [short_curl_seconds(modem.env(ST87_DAEMON="off"), url) for _ in range(LATENCY_RUNS)]
        with st87d(tmp, modem) as daemon:
            shared = [short_curl_seconds(daemon.env(), url) for _ in range(LATENCY_RUNS)]
    in_process, via_daemon = benchlib.median(alone), benchlib.median(shared)
    bench.figure("short curl GET, in-process", in_process, "median of %d, s (modem start-up included)"
                 % LATENCY_RUNS, digits=3)
    bench.figure("short curl GET, through st87d", via_daemon, "median of %d, s" % LATENCY_RUNS, digits=3)
    bench.figure("short curl GET, st87d over in-process", via_daemon / in_process, "below 1: faster",
                 (1.0, "at_most", ""), digits=3)


def body(bench):
    for baud in (115200, 921600):
        size = int(48 * 1024 * baud / 115200 * benchlib.scale())
        # Alternated, medians of three: the machine's noise hits both sides alike.
        alone, shared = [], []
        for _ in range(TRANSFER_RUNS):
            alone.append(transfer_rates(baud, size, False))
            shared.append(transfer_rates(baud, size, True))
        for index, direction in enumerate(("download", "upload")):
            by_daemon = benchlib.median([rates[index] for rates in shared])
            in_process = benchlib.median([rates[index] for rates in alone])
            bench.figure("%s %d baud, st87d over in-process" % (direction, baud), by_daemon / in_process,
                         "medians of %d: %.0f B/s through st87d, %.0f B/s in-process, %d B"
                         % (TRANSFER_RUNS, by_daemon, in_process, size), (0.97, "at_least", ""), digits=3)
    latency(bench)


if __name__ == "__main__":
    benchlib.main("st87d", body)
