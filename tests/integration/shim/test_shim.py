#!/usr/bin/env python3
"""Real programs (curl, wget, nc, python3, openssl) through libst87shim.so and st87-fakemodem.

Usage: test_shim.py CASE   (meson runs each case as its own test)
"""
import functools
import hashlib
import http.server
import os
import signal
import threading
import socket
import subprocess
import sys
import time

from dns_server import dns_server
from fakemodem_fixture import CID, PROFILE, assert_no_modem_socket_left, check, udp_echo_server, wait_for, workdir
from harness import (EVERYTHING_AND_LOOPBACK, Paths, RecordingHandler, fake_modem, free_port, http_server,
                     preload_value, random_file, run, run_case, sha256_file, shim_environment, st87d, tcp_echo,
                     tcp_server)

MIB = 1 << 20


def curl_get(modem, url, output, *extra, **env):
    return run(["curl", "--silent", "--show-error", "--fail", "--max-time", "60", "-o", output,
                *extra, url], modem.env(**env))


def check_fetched_over_modem(result, what, out, digest, modem):
    """@what exited 0 with @out whole (its SHA-256 @digest), read through the modem, no modem socket left."""
    check(result.returncode == 0, "%s failed: %s" % (what, result.stderr))
    check(sha256_file(out) == digest, "%s: what came differs" % what)
    check("AT#IPREAD" in modem.trace(), "%s: the data did not come through the modem" % what)
    assert_no_modem_socket_left(modem)


def case_curl_get_1mib():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), MIB)
        out = os.path.join(tmp, "got.bin")
        result = curl_get(modem, "http://127.0.0.1:%d/big.bin" % server.server_port, out)
        check_fetched_over_modem(result, "curl GET of 1 MiB", out, digest, modem)


def case_curl_post_256k():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        body = os.path.join(tmp, "body.bin")
        digest = random_file(body, 256 * 1024)
        result = run(["curl", "--silent", "--show-error", "--fail", "--max-time", "60",
                      "--data-binary", "@" + body, "-H", "Content-Type: application/octet-stream",
                      "http://127.0.0.1:%d/upload" % server.server_port], modem.env())
        check(result.returncode == 0, "curl POST failed: %s" % result.stderr)
        check(server.posted == [(256 * 1024, digest)], "server got %r" % server.posted)
        assert_no_modem_socket_left(modem)


def case_wget_get():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "file.bin"), 300 * 1024)
        out = os.path.join(tmp, "wget.bin")
        result = run(["wget", "-q", "-O", out, "http://127.0.0.1:%d/file.bin" % server.server_port],
                     modem.env())
        check(result.returncode == 0, "wget failed: %s" % result.stderr)
        check(sha256_file(out) == digest, "wget GET differs")
        assert_no_modem_socket_left(modem)


def case_dns_over_modem():
    # The fake modem's own resolver knows the name too, but ST87_DNS is set: the query goes there over a
    # modem UDP socket under both profiles (AT#DNS would hold every other socket until it answers).
    name = "modem-only.st87.test"
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--dns-entry", name + "=127.0.0.1") as modem:
        digest = random_file(os.path.join(tmp, "named.bin"), 64 * 1024)
        with dns_server({name: "127.0.0.1"}) as (dns_port, asked):
            out = os.path.join(tmp, "got.bin")
            result = curl_get(modem, "http://%s:%d/named.bin" % (name, server.server_port),
                              out, ST87_DNS="127.0.0.1:%d" % dns_port)
            check(result.returncode == 0, "curl by name failed: %s" % result.stderr)
            check(sha256_file(out) == digest, "GET by name differs")
            trace = modem.trace()
            check("AT#DNS=" not in trace, "ST87_DNS is set, yet the modem was asked with AT#DNS")
            check(name in asked, "the DNS server was not asked")
            check("AT#IPSENDUDP=%d," % CID in trace and ",127.0.0.1,%d," % dns_port in trace,
                  "the DNS query did not leave through AT#IPSENDUDP")
            check(",127.0.0.1,%d,2,1," % dns_port in trace and ",127.0.0.1,%d,0," % dns_port not in trace,
                  "a DNS query went without release assistance 2 (one downlink expected)")
            # A name no one knows: curl says it cannot resolve it.
            result = curl_get(modem, "http://no-such-name.st87.test/", os.devnull,
                              ST87_DNS="127.0.0.1:%d" % dns_port)
            check(result.returncode == 6, "unknown name: curl exit %d, %s" % (result.returncode, result.stderr))
        assert_no_modem_socket_left(modem)


# Looks names up (IPv4), each argument "SECONDS:NAME": NAME once SECONDS have passed since start. A line each,
# "NAME ok ADDRESS" or "NAME failed ERRNO".
TIMED_LOOKUPS = r"""
import socket, sys, time
start = time.monotonic()
for when, name in (argument.split(":", 1) for argument in sys.argv[1:]):
    time.sleep(max(0.0, start + float(when) - time.monotonic()))
    try:
        print(name, "ok", socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0], flush=True)
    except socket.gaierror as error:
        print(name, "failed", error.errno, flush=True)
"""


def udp_sockets_created(modem):
    return modem.trace().count("AT#SOCKETCREATE=%d,0,UDP," % CID)


def case_dns_waits_for_the_modem_link():
    # ST87_DNS is set and the modem's link comes up 6 s after start: the query waits for its modem socket and goes
    # out once (its 5 s answer clock starts then, not while the link was down), and the next lookup finds a free
    # modem UDP socket.
    first, second = "cold-link.st87.test", "after-it.st87.test"
    with dns_server({first: "127.0.0.1", second: "127.0.0.2"}) as (dns_port, asked), workdir() as tmp, \
            fake_modem(tmp, "--link-down", "--auto-ip", "6000") as modem:
        result = run([sys.executable, "-c", TIMED_LOOKUPS, "0:" + first, "0:" + second],
                     modem.env(ST87_DNS="127.0.0.1:%d" % dns_port, ST87_LOG="info"), text=True, timeout=120)
        check(result.stdout.splitlines() == ["%s ok 127.0.0.1" % first, "%s ok 127.0.0.2" % second],
              "the lookups: %r %r" % (result.stdout, result.stderr[-2000:]))
        check(asked == [first, second], "the resolver was asked %r: a query sent before the link came up" % asked)
        check("Too many open files" not in result.stderr, "a lookup found no free modem UDP socket")
        check(udp_sockets_created(modem) == 2, "%d modem UDP sockets for two queries" % udp_sockets_created(modem))


def case_dns_given_up_gets_no_modem_socket():
    # ST87_CONNECT_TIMEOUT=1000 and the link comes up after 6 s: the first lookup gives up waiting for its modem
    # socket, and once the link is up the engine opens none for it (its asker is gone); a lookup at 8 s is
    # answered over the one modem UDP socket created. (5 s from the modem's start for the program to start and
    # give up, before the link comes up.)
    gone, later = "given-up.st87.test", "later.st87.test"
    with dns_server({gone: "127.0.0.1", later: "127.0.0.2"}) as (dns_port, asked), workdir() as tmp, \
            fake_modem(tmp, "--link-down", "--auto-ip", "6000") as modem:
        result = run([sys.executable, "-c", TIMED_LOOKUPS, "0:" + gone, "8:" + later],
                     modem.env(ST87_DNS="127.0.0.1:%d" % dns_port, ST87_CONNECT_TIMEOUT="1000", ST87_LOG="info"),
                     text=True, timeout=120)
        check(result.stdout.splitlines() == ["%s failed %d" % (gone, socket.EAI_AGAIN), "%s ok 127.0.0.2" % later],
              "the lookups: %r %r" % (result.stdout, result.stderr[-2000:]))
        check("no modem UDP socket for the query within 1000 ms (ST87_CONNECT_TIMEOUT)" in result.stderr,
              "the failure does not say why: %r" % result.stderr[-2000:])
        check(asked == [later], "the resolver was asked %r" % asked)
        check(udp_sockets_created(modem) == 1,
              "%d modem UDP sockets: one for a lookup that had given up" % udp_sockets_created(modem))


def case_dns_without_server():
    # ST87_ROUTE=* sends names to the modem: answered by AT#DNS where the firmware has it,
    # and a clear error where it has not and ST87_DNS is unset.
    name = "by-modem.st87.test"
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--dns-entry", name + "=127.0.0.1", "--dns-entry", name + "=::1") as modem:
        digest = random_file(os.path.join(tmp, "named.bin"), 16 * 1024)
        out = os.path.join(tmp, "got.bin")
        result = curl_get(modem, "http://%s:%d/named.bin" % (name, server.server_port), out, "-4",
                          route=EVERYTHING_AND_LOOPBACK)
        if PROFILE == "maker":
            check(result.returncode == 0, "curl by name over AT#DNS failed: %s" % result.stderr)
            check(sha256_file(out) == digest, "GET by name differs")
            result = run(["getent", "ahostsv6", name], modem.env(route="*"))
            check(result.returncode == 0 and result.stdout.split()[0] == b"::1",
                  "IPv6 over AT#DNS: %r %r" % (result.stdout, result.stderr))
            result = curl_get(modem, "http://unknown.st87.test/", os.devnull, route=EVERYTHING_AND_LOOPBACK)
            check(result.returncode == 6, "2171 is not 'could not resolve': %d" % result.returncode)
        else:
            check(result.returncode == 6, "no resolver at all: curl exit %d" % result.returncode)
            check(b"no AT#DNS" in result.stderr and b"ST87_DNS" in result.stderr,
                  "the shim did not say why: %r" % result.stderr)
        assert_no_modem_socket_left(modem)


# Looks sys.argv[1] up twice with getaddrinfo (family sys.argv[2]) and prints the first address each time.
TWO_LOOKUPS = r"""
import socket, sys
for _ in range(2):
    print(socket.getaddrinfo(sys.argv[1], 80, int(sys.argv[2]), socket.SOCK_STREAM)[0][4][0])
"""


def case_names_cached():
    # The second lookup of a name within its TTL (the DNS answer's 60 s; AT#DNS's bound) asks no one.
    name = "cached.st87.test"
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-entry", name + "=127.0.0.1") as modem:
        lookups = [sys.executable, "-c", TWO_LOOKUPS, name, str(int(socket.AF_INET))]
        result = run(lookups, modem.env(route="*"))
        check(result.stdout.split() == [b"127.0.0.1"] * 2, "two lookups by AT#DNS: %r" % result.stderr)
        asks = modem.trace().count('AT#DNS=%d,0,"%s"' % (CID, name))
        check(asks == 1, "AT#DNS was sent %d times for one name" % asks)
        with dns_server({name: "127.0.0.1"}) as (dns_port, asked):
            result = run(lookups, modem.env(ST87_DNS="127.0.0.1:%d" % dns_port))
            check(result.stdout.split() == [b"127.0.0.1"] * 2, "two lookups: %r %r" % (result.stdout, result.stderr))
            check(asked.count(name) == 1, "ST87_DNS was asked %d times for one name" % asked.count(name))


def case_unspec_without_ipv6_asks_once():
    # AF_UNSPEC on a context without IPv6: one query (A), not A and AAAA.
    name = "v4-only.st87.test"
    with workdir() as tmp, fake_modem(tmp, "--ipv6", "none", "--dns", "--dns-entry", name + "=127.0.0.1") as modem:
        lookup = [sys.executable, "-c", TWO_LOOKUPS.replace("range(2)", "range(1)"), name, str(int(socket.AF_UNSPEC))]
        result = run(lookup, modem.env(route="*"))
        check(result.stdout.split() == [b"127.0.0.1"], "lookup by AT#DNS: %r" % result.stderr)
        check('AT#DNS=%d,1,' % CID not in modem.trace(), "AAAA asked of a modem without IPv6")
        with dns_server({name: "127.0.0.1"}) as (dns_port, asked):
            result = run(lookup, modem.env(ST87_DNS="127.0.0.1:%d" % dns_port))
            check(result.stdout.split() == [b"127.0.0.1"], "lookup: %r %r" % (result.stdout, result.stderr))
            check(asked == [name], "queries to ST87_DNS for one AF_UNSPEC lookup: %r" % asked)


def case_unspec_without_ipv6_asks_once_through_st87d():
    # The same through st87d: its answer to the first lookup tells the program the context has no IPv6.
    name = "v4-only.st87.test"
    with workdir() as tmp, fake_modem(tmp, "--ipv6", "none", "--dns", "--dns-entry", name + "=127.0.0.1") as modem, \
            st87d(tmp, modem) as daemon:
        lookup = [sys.executable, "-c", TWO_LOOKUPS.replace("range(2)", "range(1)"), name, str(int(socket.AF_UNSPEC))]
        result = run(lookup, daemon.env(route="*"))
        check(result.stdout.split() == [b"127.0.0.1"], "lookup by AT#DNS through st87d: %r" % result.stderr)
        check('AT#DNS=%d,1,' % CID not in modem.trace(), "AAAA asked of a modem without IPv6 through st87d")


def case_gethostbyname():
    # getent hosts resolves with gethostbyname2(); the name exists only behind the modem.
    name = "old-api.st87.test"
    with workdir() as tmp, fake_modem(tmp, "--dns-entry", name + "=127.0.0.1") as modem:
        with dns_server({name: "127.0.0.1"}) as (dns_port, asked):
            result = run(["getent", "hosts", name], modem.env(ST87_DNS="127.0.0.1:%d" % dns_port))
            check(result.returncode == 0, "getent failed: %r" % result.stderr)
            check(result.stdout.split()[:2] == [b"127.0.0.1", name.encode()], "getent: %r" % result.stdout)
            check(name in asked, "the DNS server behind the modem was not asked")
        assert_no_modem_socket_left(modem)


def serve_bytes_then_close(payload):
    def behaviour(connection):
        connection.sendall(payload)
        connection.close()
    return behaviour


def receive_exactly_then_close(size, received):
    def behaviour(connection):
        chunks, total = [], 0
        while total < size:
            block = connection.recv(65536)
            if not block:
                break
            chunks.append(block)
            total += len(block)
        received.append(b"".join(chunks))
        connection.close()
    return behaviour


def case_nc_tcp():
    payload = os.urandom(200 * 1024)
    with workdir() as tmp, fake_modem(tmp) as modem:
        # Server to client: the server's close must become nc's EOF.
        with tcp_server(serve_bytes_then_close(payload)) as server:
            result = run(["nc", "-d", "127.0.0.1", str(server.server_address[1])], modem.env(), timeout=60)
            check(result.returncode == 0, "nc download failed: %s" % result.stderr)
            check(result.stdout == payload, "nc download differs (%d of %d bytes)" % (len(result.stdout), len(payload)))
        # Client to server: everything nc wrote arrives before the close.
        received = []
        with tcp_server(receive_exactly_then_close(len(payload), received)) as server:
            result = run(["nc", "-N", "127.0.0.1", str(server.server_address[1])], modem.env(),
                         input=payload, timeout=60)
            check(result.returncode == 0, "nc upload failed: %s" % result.stderr)
            wait_for(lambda: received, what="the server to finish")
            check(received[0] == payload, "nc upload differs")
        assert_no_modem_socket_left(modem)


SEND_THEN_CLOSE = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
for i in range(4):
    s.send(b"reading %d" % i)
s.close()
"""


def case_udp_sends_then_close_while_answers_come():
    # A one-shot sender to a peer that answers: answers to a closed socket must not take the
    # datagrams still queued behind them down with them.
    peers = []
    with workdir() as tmp, fake_modem(tmp, "--baud", "115200") as modem, udp_echo_server(peers) as port:
        result = run([sys.executable, "-c", SEND_THEN_CLOSE, str(port)], modem.env(), timeout=60)
        check(result.returncode == 0, "the sender failed: %r" % result.stderr)
        wait_for(lambda: len(peers) >= 4, 10, "four datagrams at the server")
        modem.stop()
        check(modem.stats()["open_sockets"] == 0, "a modem socket was left open")


def case_nc_udp():
    lines = b"".join(b"datagram %d through the modem\n" % i for i in range(5))
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server() as port:
        process = subprocess.Popen(["nc", "-u", "127.0.0.1", str(port)], env=modem.env(),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            got = b""
            for line in lines.splitlines(keepends=True):
                process.stdin.write(line)
                process.stdin.flush()
                got += process.stdout.readline()
            check(got == lines, "nc -u echo differs: %r" % got)
        finally:
            process.kill()
            process.wait()
        check("AT#IPSENDUDP" in modem.trace(), "the datagrams did not go through the modem")


def case_python_urllib():
    script = ("import hashlib,sys,urllib.request;"
              "print(hashlib.sha256(urllib.request.urlopen(sys.argv[1], timeout=60).read()).hexdigest())")
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "py.bin"), 256 * 1024)
        result = run([sys.executable, "-c", script, "http://127.0.0.1:%d/py.bin" % server.server_port],
                     modem.env(), text=True)
        check(result.returncode == 0, "python failed: %s" % result.stderr)
        check(result.stdout.strip() == digest, "python urllib GET differs")
        assert_no_modem_socket_left(modem)


def case_openssl_tls():
    with workdir() as tmp, fake_modem(tmp) as modem:
        key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
        made = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-subj", "/CN=localhost", "-days", "1"], dict(os.environ))
        check(made.returncode == 0, "cannot make a certificate: %s" % made.stderr)
        port = free_port()
        server = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", cert,
                                   "-key", key, "-rev", "-quiet"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = None
        try:
            wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, what="s_server")
            client = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet"],
                                      env=modem.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
            client.stdin.write(b"hello over the modem\n")
            client.stdin.flush()
            reply = client.stdout.readline()
            check(reply.strip() == b"medom eht revo olleh", "s_server -rev answered %r" % reply)
        finally:
            if client:
                client.kill()
                client.wait()
            server.kill()
            server.wait()
        check("AT#IPSENDTCP" in modem.trace(), "the TLS session did not go through the modem")


def case_unrouted_untouched():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "plain.bin"), 128 * 1024)
        out = os.path.join(tmp, "got.bin")
        # Routes name an address the test never contacts; 127.0.0.1 is not routed.
        result = curl_get(modem, "http://127.0.0.1:%d/plain.bin" % server.server_port, out,
                          route="[::1]:9")
        check(result.returncode == 0, "unrouted curl failed: %s" % result.stderr)
        check(sha256_file(out) == digest, "unrouted GET differs")
        check(result.stderr == b"", "the shim spoke up for unrouted traffic: %r" % result.stderr)
        modem.stop()
        check(modem.trace() == "", "unrouted traffic reached the modem:\n" + modem.trace())


def case_connect_timeout():
    # The server is there; the modem takes 5 s to say so. curl must give up first.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--connect-delay", "5000") as modem:
        result = run(["curl", "--silent", "--show-error", "--connect-timeout", "1",
                      "http://127.0.0.1:%d/" % server.server_port], modem.env(), timeout=60)
        check(result.returncode == 28, "curl exit %d (want 28, timeout): %s" % (result.returncode, result.stderr))
        assert_no_modem_socket_left(modem)


def case_refused():
    with workdir() as tmp, fake_modem(tmp) as modem:
        port = free_port()
        result = run(["curl", "--silent", "--show-error", "http://127.0.0.1:%d/" % port], modem.env())
        check(result.returncode == 7, "curl exit %d: %s" % (result.returncode, result.stderr))
        check(b"refused" in result.stderr.lower(), "no 'refused' in %r" % result.stderr)
        check(b"st87shim:" in result.stderr, "the shim did not say why: %r" % result.stderr)
        assert_no_modem_socket_left(modem)


def case_no_modem():
    with workdir() as tmp:
        env = shim_environment(ST87_ROUTE="127.0.0.1/32", ST87_PORT=os.path.join(tmp, "no-such-port"))
        result = run(["curl", "--silent", "--show-error", "http://127.0.0.1:%d/" % free_port()], env, timeout=60)
        check(result.returncode == 7, "curl exit %d: %s" % (result.returncode, result.stderr))
        check(b"no-such-port" in result.stderr, "the error does not name the port: %r" % result.stderr)


def case_stalled_modem():
    with workdir() as tmp, fake_modem(tmp, "--stall-after", "0") as modem:
        result = run(["curl", "--silent", "--show-error", "http://127.0.0.1:%d/" % free_port()],
                     modem.env(), timeout=60)
        check(result.returncode == 7, "curl exit %d: %s" % (result.returncode, result.stderr))
        check(b"no modem answers" in result.stderr, "no reason given: %r" % result.stderr)


CONNECT_AT_ONCE = r"""
import errno, socket, sys, threading
port, count, trace = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
outcomes = []
start = threading.Barrier(count)

def probes():
    with open(trace) as f:
        return sum(1 for line in f if line.rstrip("\n").endswith("] > AT"))

def connect(into=outcomes):
    start.wait()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=60).close()
        into.append("connected")
    except OSError as error:
        into.append(errno.errorcode.get(error.errno, "timeout"))

threads = [threading.Thread(target=connect) for _ in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("at once:", " ".join(outcomes), "probes", probes())
start = threading.Barrier(1)
later = []
connect(later)
print("later:", " ".join(later), "probes", probes())
"""


def case_stalled_modem_answers_waiting_threads_at_once():
    """Six threads connect at once to a silent modem: the connects waiting while the shim tried it get that try's
    answer (each would otherwise probe the modem for 2 s in turn); a connect that comes later tries again."""
    with workdir() as tmp, fake_modem(tmp, "--stall-after", "0") as modem:
        trace = os.path.join(tmp, "trace.txt")
        result = run([sys.executable, "-c", CONNECT_AT_ONCE, str(free_port()), "6", trace], modem.env(ST87_TRACE=trace),
                     timeout=90, text=True)
        lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
        check("at once" in lines and "later" in lines, "the program failed: %r %r" % (result.stdout, result.stderr))
        at_once, probes_at_once = lines["at once"].rsplit(" probes ", 1)
        later, probes_later = lines["later"].rsplit(" probes ", 1)
        check(at_once.split() == ["ENETDOWN"] * 6, "outcomes: %r %r" % (at_once, result.stderr))
        check(result.stderr.count("no modem answers") == 7, "not every connect said why: %r" % result.stderr)
        # One try is 10 probes (an AT every 500 ms for 5 s); a thread slow to start may come after the first try
        # ended and make a second.
        check(int(probes_at_once) <= 20, "%s probes for 6 waiting connects: each tried the silent modem itself"
              % probes_at_once)
        check(later.split() == ["ENETDOWN"], "the later connect: %r" % later)
        check(int(probes_later) > int(probes_at_once), "a connect after the failed try did not try the modem again")


def case_bad_variable():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        random_file(os.path.join(tmp, "f.bin"), 1000)
        result = curl_get(modem, "http://127.0.0.1:%d/f.bin" % server.server_port, os.devnull,
                          route="127.0.0.1/33")
        check(result.returncode == 0, "a bad ST87_ROUTE broke unrouted traffic: %s" % result.stderr)
        check(b"ST87_ROUTE" in result.stderr, "no line names ST87_ROUTE: %r" % result.stderr)
        result = curl_get(modem, "http://127.0.0.1:%d/f.bin" % server.server_port, os.devnull,
                          ST87_BAUD="fast")
        check(result.returncode == 7, "routed traffic with a bad ST87_BAUD: exit %d" % result.returncode)
        check(b"ST87_BAUD" in result.stderr, "no line names ST87_BAUD: %r" % result.stderr)


def case_noisy_modem():
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--echo", "--ignore-ate0", "--fragment", "--urc-noise", "--garbage",
                       "--urc-interleave") as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), MIB)
        out = os.path.join(tmp, "got.bin")
        result = curl_get(modem, "http://127.0.0.1:%d/big.bin" % server.server_port, out)
        check(result.returncode == 0, "curl failed: %s" % result.stderr)
        check(sha256_file(out) == digest, "1 MiB GET with a noisy modem differs")
        assert_no_modem_socket_left(modem)


def case_kill_then_rerun():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), MIB)
        url = "http://127.0.0.1:%d/big.bin" % server.server_port
        out = os.path.join(tmp, "partial.bin")
        victim = subprocess.Popen(["curl", "--silent", "--limit-rate", "100k", "-o", out, url],
                                  env=modem.env(), stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: os.path.exists(out) and os.path.getsize(out) > 32 * 1024, what="a partial download")
        finally:
            victim.send_signal(signal.SIGKILL)
            victim.wait()
        out = os.path.join(tmp, "whole.bin")
        result = curl_get(modem, url, out)
        check(result.returncode == 0, "the run after kill -9 failed: %s" % result.stderr)
        check(sha256_file(out) == digest, "the run after kill -9 differs")
        assert_no_modem_socket_left(modem)


def case_st87run():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "f.bin"), 100 * 1024)
        out = os.path.join(tmp, "got.bin")
        env = {k: v for k, v in shim_environment().items() if not k.startswith("ST87_") or k.startswith("ST87_TEST")}
        env["LD_PRELOAD"] = preload_value()  # st87run adds the shim
        result = run([Paths.st87run, "--port", modem.link, "--route", "127.0.0.1/32", "--",
                      "curl", "-s", "-o", out, "http://127.0.0.1:%d/f.bin" % server.server_port], env)
        check_fetched_over_modem(result, "st87run curl", out, digest, modem)


def case_st87run_rtscts():
    """--rtscts (ST87_RTSCTS=1) reaches libst87: the port is opened with RTS/CTS flow control."""
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        random_file(os.path.join(tmp, "f.bin"), 1024)
        env = {k: v for k, v in shim_environment().items() if not k.startswith("ST87_") or k.startswith("ST87_TEST")}
        env["LD_PRELOAD"] = preload_value()
        command = ["curl", "-s", "-o", "/dev/null", "http://127.0.0.1:%d/f.bin" % server.server_port]
        result = run([Paths.st87run, "--port", modem.link, "--rtscts", "--log", "info", "--route", "127.0.0.1/32",
                      "--", *command], env)
        check(result.returncode == 0, "st87run --rtscts curl failed: %s" % result.stderr)
        check(b"RTS/CTS flow control on" in result.stderr, "flow control not on: %r" % result.stderr)
        result = run([Paths.st87run, "--port", modem.link, "--log", "info", "--route", "127.0.0.1/32", "--",
                      *command], env)
        check(result.returncode == 0 and b"RTS/CTS" not in result.stderr, "flow control without --rtscts: %r"
              % result.stderr)
        assert_no_modem_socket_left(modem)


def case_st87run_refuses_bad_options():
    """A bad option stops st87run (125) with the line the shim gives for that variable, before the command runs."""
    bad_options = [
        ("--baud", "ST87_BAUD", "500001"),
        ("--route", "ST87_ROUTE", "1.2.3.4/33"),
        ("--log", "ST87_LOG", "loud"),
        ("--daemon", "ST87_DAEMON", "st87d.sock"),
        ("--port", "ST87_PORT", "ttyUSB0"),
        ("--dns", "ST87_DNS", "9.9.9.9:0"),
    ]
    with workdir() as tmp:
        marker = os.path.join(tmp, "command-ran")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ST87_") or k.startswith("ST87_TEST")}
        for option, variable, value in bad_options:
            shim_says = run(["true"], shim_environment(**dict({"ST87_ROUTE": "*"}, **{variable: value})))
            shim_line = shim_says.stderr.decode().strip()
            check(shim_line.startswith("st87shim: %s=" % variable), "the shim's line for %s: %r" % (variable, shim_line))
            result = run([Paths.st87run, option, value, "--", "touch", marker], env)
            check(result.returncode == 125, "st87run %s %s: exit %d" % (option, value, result.returncode))
            check(result.stderr.decode() == shim_line.replace("st87shim: ", "st87run: ", 1) + "\n",
                  "st87run %s %s said %r, the shim %r" % (option, value, result.stderr, shim_line))
            check(not os.path.exists(marker), "st87run %s %s ran the command" % (option, value))
        # An inherited variable is checked too: the command would get it.
        result = run([Paths.st87run, "--", "touch", marker], dict(env, ST87_HEX="2"))
        check(result.returncode == 125 and b"ST87_HEX" in result.stderr, "a bad inherited ST87_HEX: %r" % result.stderr)
        check(not os.path.exists(marker), "st87run ran the command with a bad ST87_HEX")
        result = run([Paths.st87run, "--baud", "500000", "--log", " Debug ", "--", "touch", marker], env)
        check(result.returncode == 0, "st87run with good options: exit %d, %r" % (result.returncode, result.stderr))
        check(os.path.exists(marker), "st87run with good options did not run the command")


def case_ipv6():
    class V6Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6
    with workdir() as tmp, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "six.bin"), 128 * 1024)
        server = V6Server(("::1", 0), functools.partial(RecordingHandler, directory=tmp))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            out = os.path.join(tmp, "got.bin")
            result = curl_get(modem, "http://[::1]:%d/six.bin" % server.server_address[1], out,
                              "--globoff", route="[::1]")
            check(result.returncode == 0, "curl over IPv6 failed: %s" % result.stderr)
            check(sha256_file(out) == digest, "IPv6 GET differs")
            check("AT#SOCKETCREATE=%d,1,TCP" % CID in modem.trace(), "no IPv6 modem socket was created")
        finally:
            server.shutdown()
            server.server_close()
        assert_no_modem_socket_left(modem)


def case_tcp_fastopen():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "tfo.bin"), 64 * 1024)
        out = os.path.join(tmp, "got.bin")
        result = curl_get(modem, "http://127.0.0.1:%d/tfo.bin" % server.server_port, out, "--tcp-fastopen")
        check_fetched_over_modem(result, "curl --tcp-fastopen", out, digest, modem)


FD_GAMES = r"""
import os, socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=30)
copy = os.dup(s.fileno())                  # a copy of a routed fd is routed too
os.close(s.detach())                       # the original goes; the copy carries on
os.set_blocking(copy, True)                # create_connection's timeout left it non-blocking
os.closerange(copy + 1, 65536)             # as daemons do: close every fd we do not know
pid = os.fork()
if pid == 0:
    os._exit(0)                            # a child must not disturb the parent's session
os.waitpid(pid, 0)
os.write(copy, b"GET /fd.bin HTTP/1.0\r\n\r\n")
data = b""
while True:
    block = os.read(copy, 65536)
    if not block:
        break
    data += block
os.close(copy)
sys.stdout.buffer.write(data.split(b"\r\n\r\n", 1)[1])
"""


# A routed socket closed by fclose() of an fdopen() stream (libc closes the fd inside, not through
# close()); a new socket that gets the same number must be an ordinary one.
FCLOSE_CLIENT = r"""
import ctypes, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.fdopen.restype = ctypes.c_void_p
libc.fclose.argtypes = [ctypes.c_void_p]
routed = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
number = routed.detach()
stream = libc.fdopen(number, b"r+")
if not stream or libc.fclose(stream) != 0:
    sys.exit("fdopen/fclose failed")
plain = socket.socket()
if plain.fileno() != number:
    sys.exit("the new socket got fd %d, not %d" % (plain.fileno(), number))
plain.connect(("127.0.0.2", int(sys.argv[2])))
print("unrouted connect on fd", number, "ok")
"""


def case_fclose_forgets_the_routed_fd():
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(lambda c: c.recv(16)) as routed, \
            socket.socket() as unrouted:
        unrouted.bind(("127.0.0.2", 0))
        unrouted.listen(1)
        result = run([sys.executable, "-c", FCLOSE_CLIENT, str(routed.server_address[1]),
                      str(unrouted.getsockname()[1])], modem.env(route="127.0.0.1/32"), timeout=60)
        check(b"ok" in result.stdout, "after fclose(), the fd number stayed routed: %r" % result.stderr)
        modem.stop()
        check(modem.stats()["open_sockets"] == 0, "the fclose()d socket's modem socket stayed open")


# A blocking connect that the modem answers after a while, then one exchange.
SLOW_CONNECT_CLIENT = r"""
import socket, sys
client = socket.socket()
client.connect(("127.0.0.1", int(sys.argv[1])))
client.sendall(b"ping\n")
print(client.recv(100).decode().strip())
"""


def case_wall_clock_step():
    # The wall clock an hour behind (as after a step): the connect's 10 s timeout must not end at once.
    def answer(connection):
        connection.recv(16)
        connection.sendall(b"pong\n")
    with workdir() as tmp, fake_modem(tmp, "--connect-delay", "800") as modem, tcp_server(answer) as server:
        env = modem.env()
        env["LD_PRELOAD"] = preload_value(os.environ["ST87_TEST_CLOCK_SKEW"], Paths.shim)
        result = run([sys.executable, "-c", SLOW_CONNECT_CLIENT, str(server.server_address[1])], env, timeout=60)
        check(result.stdout.strip() == b"pong", "a connect under a stepped wall clock: %r" % result.stderr)


def case_configuration_file():
    # Port and routes from st87.conf (ST87_CONF), none in the environment; then a bad line.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "conf.bin"), 40000)
        conf = os.path.join(tmp, "st87.conf")
        with open(conf, "w") as f:
            f.write("# written by the test\nport = %s\nroute = 127.0.0.1/32\n" % modem.link)
        env = shim_environment(ST87_CONF=conf)
        out = os.path.join(tmp, "got.bin")
        url = "http://127.0.0.1:%d/conf.bin" % server.server_port
        result = run(["curl", "--silent", "--show-error", "--fail", "-o", out, url], env)
        check(result.returncode == 0 and sha256_file(out) == digest, "GET routed by the file: %r" % result.stderr)
        check("AT#IPREAD" in modem.trace(), "the file's route did not go over the modem")
        with open(conf, "a") as f:
            f.write("connect_timeout = soon\n")
        result = run(["curl", "--silent", "--show-error", "-o", os.devnull, url], env)
        check(result.returncode != 0, "a bad line in the file did not fail the routed call")
        check(("%s:4: ST87_CONNECT_TIMEOUT=\"soon\"" % conf).encode() in result.stderr,
              "no line names the file, line and key: %r" % result.stderr)


def case_fd_games():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "fd.bin"), 100 * 1024)
        result = run([sys.executable, "-c", FD_GAMES, str(server.server_port)], modem.env())
        check(result.returncode == 0, "dup/closerange/fork client failed: %s" % result.stderr)
        check(hashlib.sha256(result.stdout).hexdigest() == digest, "body after dup/closerange/fork differs")
        assert_no_modem_socket_left(modem)


TWO_CONNECTIONS = r"""
import errno, socket, sys
port = int(sys.argv[1])
first = socket.create_connection(("127.0.0.1", port), timeout=30)
try:
    socket.create_connection(("127.0.0.1", port), timeout=30)
except OSError as error:
    print(errno.errorcode.get(error.errno, error.errno))
else:
    print("connected")
first.close()
"""


def case_modem_full():
    # The first connection never gives the socket up: the second connect (non-blocking: Python's timeout) waits
    # in line until its ST87_CONNECT_TIMEOUT, then fails with ETIMEDOUT and a line naming the holder.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        result = run([sys.executable, "-c", TWO_CONNECTIONS, str(server.server_port)],
                     modem.env(ST87_CONNECT_TIMEOUT=2000), text=True)
        check(result.stdout.strip() == "ETIMEDOUT", "second TCP connection: %r %r" % (result.stdout, result.stderr))
        holder = "TCP 127.0.0.1:%d holds it" % server.server_port
        check("for the modem's only TCP socket" in result.stderr and holder in result.stderr,
              "the shim did not say why: %r" % result.stderr)
        check(modem.trace().count("AT#SOCKETCREATE=") == 1, "a create was sent for the connect in line")
        assert_no_modem_socket_left(modem)


def download_with_nc(modem, payload, **env):
    with tcp_server(serve_bytes_then_close(payload)) as server:
        result = run(["nc", "-d", "127.0.0.1", str(server.server_address[1])], modem.env(**env), timeout=60)
        check(result.returncode == 0, "nc failed: %s" % result.stderr)
        check(result.stdout == payload, "nc got %d of %d bytes" % (len(result.stdout), len(payload)))


def case_peer_close_silent_modem():
    # A modem that says nothing when the peer closes: the idle link check finds it.
    payload = os.urandom(20000)
    with workdir() as tmp, fake_modem(tmp, "--no-close-urc") as modem:
        download_with_nc(modem, payload, ST87_LINK_CHECK=1)
        check("AT#TCPCONNECT?" in modem.trace(), "the link was never checked")
        assert_no_modem_socket_left(modem)


def case_peer_close_socketclosed_urc():
    payload = os.urandom(20000)
    with workdir() as tmp, fake_modem(tmp, "--no-close-urc", "--socketclosed-urc") as modem:
        download_with_nc(modem, payload, ST87_LINK_CHECK=0)
        assert_no_modem_socket_left(modem)


def case_reboot_mid_transfer():
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--reboot-after", "40") as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), MIB)
        url = "http://127.0.0.1:%d/big.bin" % server.server_port
        result = curl_get(modem, url, os.devnull)
        check(result.returncode in (18, 56), "curl across a reboot: exit %d, %s" % (result.returncode, result.stderr))
        check(b"the modem restarted" in result.stderr, "the shim did not say why: %r" % result.stderr)
        out = os.path.join(tmp, "again.bin")
        result = curl_get(modem, url, out)
        check(result.returncode == 0, "curl after the reboot failed: %s" % result.stderr)
        check(sha256_file(out) == digest, "GET after the reboot differs")
        modem.stop()
        check(modem.stats()["reboots"] == 1, "the fake modem did not reboot")
        check(modem.stats()["open_sockets"] == 0, "modem sockets left open")


# Sends a password over TCP and UDP to echo servers and reads it back: what the trace must never show.
SECRET = b"correct horse battery staple"
SECRET_EXCHANGES = r"""
import socket, sys
secret = sys.argv[3].encode()
tcp = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
tcp.sendall(secret)
got = b""
while len(got) < len(secret):
    got += tcp.recv(64)
tcp.close()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.settimeout(30)
udp.sendto(secret, ("127.0.0.1", int(sys.argv[2])))
print("tcp", got == secret, "udp", udp.recv(64) == secret)
"""


def case_trace_shows_no_payload():
    """ST87_TRACE counts payloads in every mode (binary, hex, and hex on a modem that echoes each line); a new
    trace file is its owner's alone, and a symbolic link in its place is not followed."""
    hidden = (SECRET, SECRET.hex().encode(), SECRET.hex().upper().encode())
    # Each mode: the fake modem's switches, the program's variables, and the lines counting a send (the TCP and the
    # UDP one, and their echoes).
    for mode, switches, variables, sends in (
            ("binary", (), {}, 2), ("hex", (), {"ST87_HEX": "1"}, 2),
            ("hex, echoing modem", ("--echo", "--ignore-ate0"), {"ST87_HEX": "1"}, 4)):
        with workdir() as tmp, fake_modem(tmp, *switches) as modem, tcp_server(tcp_echo) as server, \
                udp_echo_server() as udp_port:
            trace = os.path.join(tmp, "trace.txt")
            old_umask = os.umask(0o022)
            try:
                result = run([sys.executable, "-c", SECRET_EXCHANGES, str(server.server_address[1]), str(udp_port),
                              SECRET.decode()], modem.env(ST87_TRACE=trace, **variables), timeout=60)
            finally:
                os.umask(old_umask)
            check(result.stdout.split() == [b"tcp", b"True", b"udp", b"True"],
                  "%s: the exchanges failed: %r %r" % (mode, result.stdout, result.stderr))
            with open(trace, "rb") as f:
                text = f.read()
            leaked = [shown for shown in hidden if shown in text]
            check(not leaked, "%s: the trace shows the payload as %r:\n%s" % (mode, leaked, text.decode()))
            counted = ("> [binary %d bytes]" if mode == "binary" else ",[hex %d bytes]") % len(SECRET)
            check(text.count(counted.encode()) == sends,
                  "%s: the sends are not shown as %s:\n%s" % (mode, counted, text.decode()))
            check(("< [binary %d bytes]" % len(SECRET)).encode() in text,
                  "%s: the #IPREAD block is not counted:\n%s" % (mode, text.decode()))
            mode_bits = os.stat(trace).st_mode & 0o777
            check(mode_bits == 0o600, "%s: a new trace file has mode %o, not 600" % (mode, mode_bits))

    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(tcp_echo) as server:
        target = os.path.join(tmp, "someone-elses-file")
        link = os.path.join(tmp, "trace-link")
        os.symlink(target, link)
        result = run([sys.executable, "-c", SECRET_EXCHANGES, str(server.server_address[1]), "9", "x"],
                     modem.env(ST87_TRACE=link), timeout=60)
        check(result.returncode != 0 and not os.path.exists(target), "the trace followed a symbolic link")
        check(("ST87_TRACE=%s: a symbolic link (not followed)" % link).encode() in result.stderr,
              "the failed connect does not say why: %r" % result.stderr)


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_shim.py")
