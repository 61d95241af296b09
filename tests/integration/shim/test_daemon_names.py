#!/usr/bin/env python3
"""Names through st87d: one resolver cache for every client, answers kept no longer than their TTL, and the DNS
server the modem is configured with asked over a modem UDP socket instead of AT#DNS.

Usage: test_daemon_names.py CASE   (meson runs each case as its own test)
"""
import contextlib
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

from dns_server import dns_server
from fakemodem_fixture import CID, check, udp_echo_server, udp_server, wait_for, workdir
from harness import Paths, fake_modem, run, run_case, shim_environment, st87d
from test_daemon import CADENCE

NAME = "shared.st87.test"
# Names go over the modem when every DNS destination is routed (or ST87_DNS is set).
ROUTE_WITH_DNS = "127.0.0.1/32,*:53"

# Looks sys.argv[1] up (IPv4) once per later argument, sleeping that many seconds first; prints each answer's
# addresses, sorted, on a line.
LOOKUPS = r"""
import socket, sys, time
for pause in sys.argv[2:]:
    time.sleep(float(pause))
    found = socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET, socket.SOCK_STREAM)
    print(" ".join(sorted({entry[4][0] for entry in found})), flush=True)
"""


def look_up(env, *pauses, name=NAME):
    """Runs LOOKUPS through the shim: the answers' lines."""
    result = run([sys.executable, "-c", LOOKUPS, name, *[str(p) for p in pauses]], env, text=True)
    check(result.returncode == 0, "the lookups of %s failed: %r" % (name, result.stderr))
    return result.stdout.splitlines()


def at_dns_count(modem, name=NAME):
    return modem.trace().count('AT#DNS=%d,0,"%s"' % (CID, name))


def case_resolver_cache_shared_by_every_client():
    # Two programs look the same name up with ST87_DNS: st87d asks once, keeps the answer for both, and every
    # address of it reaches each program.
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            dns_server({NAME: ["127.0.0.1", "127.0.0.2"]}) as (dns_port, asked):
        env = daemon.env(ST87_DNS="127.0.0.1:%d" % dns_port)
        for program in ("first", "second"):
            answers = look_up(env, 0)
            check(answers == ["127.0.0.1 127.0.0.2"], "the %s program's answer: %r" % (program, answers))
        check(asked.count(NAME) == 1, "the resolver was asked %d times for two programs" % asked.count(NAME))
        check(",127.0.0.1,%d,2," % dns_port in modem.trace(), "the query did not leave over the modem with rai 2")
        check("lookup %s by 127.0.0.1:%d: 127.0.0.1" % (NAME, dns_port) in daemon.log(),
              "st87d's log does not name the lookup and its resolver")


def second_asks_while_the_first_waits(daemon, dns_port, answer_held, asked):
    """Two programs through @daemon looking NAME up: the second starts once the first's query is at the resolver
    (whose answers wait for @answer_held) and waits in st87d for it; then the answer goes. The two programs."""
    env = daemon.env(ST87_DNS="127.0.0.1:%d" % dns_port)
    command = [sys.executable, "-c", LOOKUPS, NAME, "0"]
    started = []
    try:
        started.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        wait_for(lambda: asked, 30, "the first program's query at the resolver")
        started.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        wait_for(lambda: "waits for the same one in flight" in daemon.log(), 30, "the second program's wait")
    finally:
        answer_held.set()
    return started


def case_lookups_at_once_ask_once():
    # A second program asks for a name while st87d's query for the first is still unanswered: it waits for that
    # answer instead of asking again (a lookup's retry goes from the same modem socket, so it would not count).
    answer_held = threading.Event()
    peers = []
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            dns_server({NAME: "127.0.0.1"}, hold=answer_held, peers=peers) as (dns_port, asked):
        for program in second_asks_while_the_first_waits(daemon, dns_port, answer_held, asked):
            out, err = program.communicate(timeout=60)
            check(program.returncode == 0 and out.split() == ["127.0.0.1"], "a lookup: %r %r" % (out, err))
        check(len(set(peers)) == 1, "two programs' lookups at once asked from %d modem sockets" % len(set(peers)))


def case_failed_lookup_is_shared_by_those_that_waited():
    # As above, but the resolver answers SERVFAIL (which no cache keeps): the program that waited takes the
    # failure of the lookup it waited for instead of asking again (N waiters behind a failing or silent resolver
    # once failed one after another, N lookups' time in all).
    answer_held = threading.Event()
    peers = []
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            dns_server({NAME: "127.0.0.1"}, hold=answer_held, peers=peers, rcode=2) as (dns_port, asked):
        for program in second_asks_while_the_first_waits(daemon, dns_port, answer_held, asked):
            out, err = program.communicate(timeout=60)
            check(program.returncode != 0 and "gaierror" in err, "a lookup did not fail: %r %r" % (out, err))
        check(len(set(peers)) == 1, "two programs' lookups at once asked from %d modem sockets" % len(set(peers)))


def case_ttl_zero_is_asked_every_time():
    # An answer of TTL 0 is kept by no one: not by st87d, not by the program.
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            dns_server({NAME: "127.0.0.1"}, ttl=0) as (dns_port, asked):
        env = daemon.env(ST87_DNS="127.0.0.1:%d" % dns_port)
        check(look_up(env, 0, 0) == ["127.0.0.1"] * 2, "two lookups in one program")
        check(look_up(env, 0) == ["127.0.0.1"], "a lookup in a second program")
        check(asked.count(NAME) == 3, "three lookups of a TTL-0 answer asked %d times" % asked.count(NAME))


def case_short_ttl_asked_again_after_it_expires():
    # A 1 s answer, looked up again 2.5 s later by the same program and then by another: asked again each time
    # it has expired, in the program's cache as in st87d's.
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            dns_server({NAME: "127.0.0.1"}, ttl=1) as (dns_port, asked):
        env = daemon.env(ST87_DNS="127.0.0.1:%d" % dns_port)
        check(look_up(env, 0, 2.5) == ["127.0.0.1"] * 2, "two lookups 2.5 s apart")
        check(asked.count(NAME) == 2, "an expired answer was asked %d times in all, not 2" % asked.count(NAME))
        time.sleep(2.5)
        check(look_up(env, 0) == ["127.0.0.1"], "a second program's lookup")
        check(asked.count(NAME) == 3, "the second program's lookup after expiry was not asked again")


def case_no_such_name_is_kept_for_a_while():
    # "No such name" has no record to carry a TTL: st87d keeps it the cache's bound for negative answers (10 s),
    # so a second program's lookup of it is answered without a query over the radio (it used to be asked again).
    missing = "nosuch.st87.test"
    probe = "import socket, sys\ntry:\n    socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET)\n" \
            "except socket.gaierror as error:\n    print(error.errno == socket.EAI_NONAME)\n"
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            dns_server({NAME: "127.0.0.1"}) as (dns_port, asked):
        env = daemon.env(ST87_DNS="127.0.0.1:%d" % dns_port)
        for program in ("first", "second"):
            result = run([sys.executable, "-c", probe, missing], env, text=True)
            check(result.stdout.strip() == "True", "the %s program: not EAI_NONAME: %r %r"
                  % (program, result.stdout, result.stderr))
        check(asked.count(missing) == 1, "a name that does not exist was asked %d times for two programs"
              % asked.count(missing))


def case_modem_ttl_bounds_the_programs_cache():
    # AT#DNS answers "#DNS: <ip>,1" (Mbed's TTL): the program keeps what st87d tells it no longer than that, so
    # its lookup 2.5 s later reaches the modem again (a program used to keep any AT#DNS answer for 60 s).
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-ttl", "1", "--dns-entry", NAME + "=127.0.0.1") as modem, \
            st87d(tmp, modem) as daemon:
        env = daemon.env(route=ROUTE_WITH_DNS)
        check(look_up(env, 0, 2.5) == ["127.0.0.1"] * 2, "two lookups by AT#DNS 2.5 s apart")
        check(at_dns_count(modem) == 2, "AT#DNS was sent %d times for an answer that expired" % at_dns_count(modem))


def port_53_host():
    """A loopback address of its own whose port 53 this test may bind, as the modem's configured DNS servers must
    be. Exits 77 (skipped) where the test may not bind port 53."""
    host = "127.87.%d.%d" % (random.randrange(1, 255), random.randrange(1, 255))
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind((host, 53))
    except PermissionError:
        print("skipped: binding port 53 needs root or CAP_NET_BIND_SERVICE")
        sys.exit(77)
    finally:
        probe.close()
    return host


@contextlib.contextmanager
def dns_on_port_53(records, rcode=None):
    """dns_server() (with @rcode) on port 53 of port_53_host(); yields (its address, the names asked)."""
    host = port_53_host()
    with dns_server(records, host=host, port=53, rcode=rcode) as (_, asked):
        yield host, asked


@contextlib.contextmanager
def silent_resolver(host="127.0.0.1", port=0):
    """A resolver on host:port (any free port when 0) that never answers; yields (its port, the queries it got)."""
    queries = []
    with udp_server(lambda query, peer: queries.append(query), host, port) as bound:
        yield bound, queries


def configure_modem_dns_server(modem, *hosts):
    """Writes @hosts as the modem's DNS servers (the maker's AT#IPPARAMS fields after <nbsent>), through the port."""
    servers = ",".join('"%s"' % host for host in hosts)
    written = subprocess.run([Paths.st87ctl, "--port", modem.link, "at", "AT#IPPARAMS=1,0,65535,60,0," + servers],
                             capture_output=True, text=True, timeout=60)
    check(written.returncode == 0, "AT#IPPARAMS= with DNS servers: %r" % written.stderr)


def case_modem_dns_server_asked_instead_of_at_dns():
    # No ST87_DNS, but AT#IPPARAMS? names a DNS server: it is asked over a modem UDP socket, in a program and
    # through st87d (once for two clients); ST87_MODEM_DNS_SERVER=0 keeps AT#DNS.
    with dns_on_port_53({NAME: "127.0.0.1"}) as (host, asked), workdir() as tmp, \
            fake_modem(tmp, "--dns", "--dns-entry", NAME + "=127.0.0.1") as modem:
        configure_modem_dns_server(modem, host)
        check(look_up(modem.env(route=ROUTE_WITH_DNS, ST87_MODEM_DNS_SERVER=0), 0) == ["127.0.0.1"], "AT#DNS lookup")
        check(at_dns_count(modem) == 1 and not asked, "ST87_MODEM_DNS_SERVER=0 did not keep AT#DNS")
        check(look_up(modem.env(route=ROUTE_WITH_DNS), 0) == ["127.0.0.1"], "lookup in a program")
        check(asked == [NAME] and at_dns_count(modem) == 1, "the modem's DNS server was not asked: %r" % asked)
        check(",%s,53,2," % host in modem.trace(), "the query did not go over a modem UDP socket with rai 2")
        with st87d(tmp, modem) as daemon:
            for _ in range(2):
                check(look_up(daemon.env(route=ROUTE_WITH_DNS), 0) == ["127.0.0.1"], "lookup through st87d")
        check(asked == [NAME] * 2, "two clients of st87d asked the modem's DNS server %r" % asked)
        check(at_dns_count(modem) == 1, "AT#DNS was sent though the modem has a DNS server")


def case_lookup_by_the_modems_server_keeps_other_clients_going():
    # The modem's AT#DNS would answer after 20 s, holding every socket; its configured DNS server is asked
    # instead, by st87d, while another client's exchange every 2 s keeps its cadence.
    with dns_on_port_53({NAME: "127.0.0.1"}) as (host, asked), workdir() as tmp, \
            fake_modem(tmp, "--dns", "--dns-delay", "20000", "--dns-entry", NAME + "=127.0.0.1") as modem, \
            udp_echo_server() as echo_port:
        configure_modem_dns_server(modem, host)
        with st87d(tmp, modem) as daemon:
            env = daemon.env(route=ROUTE_WITH_DNS)
            cadence = subprocess.Popen([sys.executable, "-c", CADENCE, str(echo_port)], env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            check(cadence.stdout.readline().startswith("round trip"), "the exchange did not start")
            check(look_up(env, 0) == ["127.0.0.1"], "the lookup by the modem's DNS server")
            out, err = cadence.communicate(timeout=120)
        trips = [int(line.split()[2]) for line in out.splitlines() if line.startswith("round trip")]
        check(cadence.returncode == 0 and len(trips) == 7, "the exchange: %r %r" % (out, err))
        check(max(trips) < 10000, "a round trip took %d ms during the lookup" % max(trips))
        check(asked == [NAME] and at_dns_count(modem) == 0, "the lookup went to AT#DNS")
        print("round trips (ms): %s" % trips)


def logged_lookup(env, name=NAME):
    """LOOKUPS once through the shim, logging at info: (the answer's lines, the program's stderr)."""
    result = run([sys.executable, "-c", LOOKUPS, name, "0"], dict(env, ST87_LOG="info"), text=True)
    return result.stdout.splitlines(), result.stderr


def case_silent_modem_dns_server_fails_over_to_the_second():
    # The first DNS server the modem lists does not answer: the second does, in a program and through st87d, and
    # a line says which answered (AT#DNS, which would give another address, is not asked).
    silent = port_53_host()
    with silent_resolver(silent, 53) as (_, ignored), dns_on_port_53({NAME: "127.0.0.1"}) as (second, asked), \
            workdir() as tmp, fake_modem(tmp, "--dns", "--dns-entry", NAME + "=127.0.0.2") as modem:
        configure_modem_dns_server(modem, silent, second)
        failed_over = "lookup of %s: %s:53 answered, after %s:53 (no answer)" % (NAME, second, silent)
        answers, err = logged_lookup(modem.env(route=ROUTE_WITH_DNS))
        check(answers == ["127.0.0.1"], "the lookup in a program: %r %r" % (answers, err))
        check(failed_over in err, "the program's log does not say who answered: %r" % err)
        with st87d(tmp, modem) as daemon:
            check(look_up(daemon.env(route=ROUTE_WITH_DNS), 0) == ["127.0.0.1"], "the lookup through st87d")
            check(failed_over in daemon.log() and "by %s:53: 127.0.0.1" % second in daemon.log(),
                  "st87d's log does not say who answered: %r" % daemon.log()[-2000:])
        check(len(ignored) == 2 and asked == [NAME] * 2, "asked: %d queries to the first, %r of the second"
              % (len(ignored), asked))
        check(at_dns_count(modem) == 0, "AT#DNS was sent though the second server answered")


def text_of(path):
    """The file's text, "" while there is none."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def case_new_modem_dns_server_asked_after_a_restart():
    # st87d runs on while the modem's DNS server changes as the note has it done, through st87d: AT#IPPARAMS= with
    # the new one, then AT#RESET=1. The next lookup reads AT#IPPARAMS? again (once for two names) and asks the new
    # server, whose answer the program gets; the old one, still running, is asked nothing more.
    first, later, last = "before.st87.test", "after.st87.test", "again.st87.test"
    with dns_on_port_53(dict.fromkeys((first, later, last), "127.0.0.1")) as (old, asked_old), \
            dns_on_port_53(dict.fromkeys((first, later, last), "127.0.0.2")) as (new, asked_new), \
            workdir() as tmp, fake_modem(tmp) as modem:
        configure_modem_dns_server(modem, old)
        metrics = os.path.join(tmp, "st87d.prom")
        with st87d(tmp, modem, "--metrics-file", metrics, "--metrics-interval", "1") as daemon:
            env = daemon.env(route=ROUTE_WITH_DNS)
            check(look_up(env, 0, name=first) == ["127.0.0.1"], "the lookup by the first server")
            ctl_env = dict(os.environ, ST87_DAEMON=daemon.socket)
            ctl_env.pop("LD_PRELOAD", None)
            for command in ('AT#IPPARAMS=1,0,65535,60,0,"%s"' % new, "AT#RESET=1"):
                written = subprocess.run([Paths.st87ctl, "at", command], env=ctl_env, capture_output=True, text=True,
                                         timeout=60)
                check(written.returncode == 0, "st87ctl at %s through st87d: %r" % (command, written.stderr))
            # The engine has counted the restart once st87d's metrics say so.
            wait_for(lambda: "st87_modem_restarts_total 1\n" in text_of(metrics), 30, "st87d to count the restart")
            reads_before = modem.trace().count("> AT#IPPARAMS?")
            check(look_up(env, 0, name=later) == ["127.0.0.2"], "the lookup after the change: the old server answered")
            check(look_up(env, 0, name=last) == ["127.0.0.2"], "the second lookup after the change")
            reads_after = modem.trace().count("> AT#IPPARAMS?") - reads_before
        check(asked_old == [first] and asked_new == [later, last],
              "asked: %r of the old server, %r of the new" % (asked_old, asked_new))
        check(reads_after == 1, "AT#IPPARAMS? was read %d times for one change" % reads_after)


def case_refusing_and_failing_dns_servers_fall_back_to_at_dns():
    # The modem's first DNS server answers REFUSED, the second SERVFAIL: the modem's own AT#DNS answers, and a
    # line says so.
    with dns_on_port_53({NAME: "127.0.0.1"}, rcode=5) as (first, refused), \
            dns_on_port_53({NAME: "127.0.0.1"}, rcode=2) as (second, failed), workdir() as tmp, \
            fake_modem(tmp, "--dns", "--dns-entry", NAME + "=127.0.0.2") as modem:
        configure_modem_dns_server(modem, first, second)
        answers, err = logged_lookup(modem.env(route=ROUTE_WITH_DNS))
        check(answers == ["127.0.0.2"], "the lookup: %r %r" % (answers, err))
        check(refused == [NAME] and failed == [NAME] and at_dns_count(modem) == 1,
              "asked: %r, %r and AT#DNS %d times" % (refused, failed, at_dns_count(modem)))
        check("lookup of %s: AT#DNS answered, after %s:53 (refused), %s:53 (SERVFAIL)" % (NAME, first, second) in err,
              "the log does not say who answered: %r" % err)


# Holds two UDP sockets routed to the echo server on port sys.argv[1] (an exchange on each: both have their modem
# socket), then looks sys.argv[2] up (IPv4) and prints its address; one more exchange on each socket after.
HOLDS_BOTH_UDP_SOCKETS_THEN_LOOKS_UP = r"""
import socket, sys
held = []
for _ in range(2):
    held.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    held[-1].settimeout(30)
    held[-1].connect(("127.0.0.1", int(sys.argv[1])))
    held[-1].send(b"hold")
    assert held[-1].recv(16) == b"hold"
print(socket.getaddrinfo(sys.argv[2], 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0], flush=True)
for each in held:
    each.send(b"still")
    assert each.recv(16) == b"still"
"""


def case_no_free_udp_socket_falls_back_to_at_dns():
    # A program holds both of the modem's UDP sockets, then looks a name up: the modem's DNS server cannot be
    # asked (no socket for the query), so AT#DNS, which needs none, answers, and a line says why; the held
    # sockets still work. With ST87_DNS, the lookup fails with a line naming the cause.
    with dns_on_port_53({NAME: "127.0.0.1"}) as (host, asked), workdir() as tmp, udp_echo_server() as echo_port, \
            fake_modem(tmp, "--dns", "--dns-entry", NAME + "=127.0.0.2") as modem:
        configure_modem_dns_server(modem, host)
        result = run([sys.executable, "-c", HOLDS_BOTH_UDP_SOCKETS_THEN_LOOKS_UP, str(echo_port), NAME],
                     modem.env(route=ROUTE_WITH_DNS, ST87_LOG="info"), text=True)
        check(result.returncode == 0 and result.stdout.splitlines() == ["127.0.0.2"],
              "the lookup: %r %r" % (result.stdout, result.stderr[-2000:]))
        check("lookup of %s: AT#DNS answered, after %s:53 (no free modem UDP socket)" % (NAME, host) in result.stderr,
              "no line says why AT#DNS answered: %r" % result.stderr[-2000:])
        check(not asked and at_dns_count(modem) == 1,
              "asked: the modem's server %r, AT#DNS %d times" % (asked, at_dns_count(modem)))
        # ST87_DNS names the resolver: nothing answers in its place, and the failure says why.
        result = run([sys.executable, "-c", HOLDS_BOTH_UDP_SOCKETS_THEN_LOOKS_UP, str(echo_port), NAME],
                     modem.env(route=ROUTE_WITH_DNS, ST87_DNS=host + ":53"), text=True)
        check(result.returncode != 0 and not result.stdout, "a lookup by ST87_DNS answered: %r" % result.stdout)
        check("no free modem UDP socket for the query: the modem has 2, and other sockets hold them"
              in result.stderr, "the failure does not say why: %r" % result.stderr[-2000:])
        check(not asked and at_dns_count(modem) == 1, "another resolver answered in ST87_DNS's place")


def case_named_resolver_has_no_fallback():
    # ST87_DNS names a resolver that does not answer: the lookup fails, though the modem has a DNS server that
    # answers and AT#DNS: no other resolver answers in place of the one the user named.
    with silent_resolver() as (port, ignored), dns_on_port_53({NAME: "127.0.0.1"}) as (host, asked), \
            workdir() as tmp, fake_modem(tmp, "--dns", "--dns-entry", NAME + "=127.0.0.2") as modem:
        configure_modem_dns_server(modem, host)
        env = modem.env(route=ROUTE_WITH_DNS, ST87_DNS="127.0.0.1:%d" % port)
        result = run([sys.executable, "-c", LOOKUPS, NAME, "0"], env, text=True)
        check(result.returncode != 0 and not result.stdout, "a lookup by a silent ST87_DNS answered: %r" % result.stdout)
        check(len(ignored) == 2 and not asked and at_dns_count(modem) == 0,
              "asked: ST87_DNS %d times, the modem's server %r, AT#DNS %d times"
              % (len(ignored), asked, at_dns_count(modem)))


@contextlib.contextmanager
def daemon_of_wire_version_2(path):
    """A stand-in st87d at @path that answers each request as wire version 2 did (a 656-byte reply, no version)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(4)
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            with connection:
                connection.recv(4096)
                # magic, kind (ANSWER), error, datagram limit; ipv4, ipv6, text
                connection.send(struct.pack("=IIiI", 0x53543837, 4, 0, 0) + b"\0" * 128 + b"127.0.0.1".ljust(512, b"\0"))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        listener.close()


def case_program_names_a_daemon_of_another_release():
    # An st87d of the previous release still running after an upgrade: the program's lookup, and st87ctl, fail
    # with a line that says so, not with a bare protocol error.
    with workdir() as tmp:
        path = os.path.join(tmp, "st87d.sock")
        with daemon_of_wire_version_2(path):
            env = shim_environment(ST87_DAEMON=path, ST87_ROUTE="*", ST87_PORT="/dev/null/no-port")
            result = run([sys.executable, "-c", LOOKUPS, NAME, "0"], env, text=True)
            ctl_env = dict(os.environ, ST87_DAEMON=path)
            ctl_env.pop("LD_PRELOAD", None)
            status = subprocess.run([Paths.st87ctl, "status"], env=ctl_env, capture_output=True, text=True, timeout=60)
        check(result.returncode != 0, "a lookup through another release's st87d succeeded: %r" % result.stdout)
        lines = [line for line in result.stderr.splitlines() if "different versions of st87d's protocol" in line]
        check(len(lines) == 1 and NAME in lines[0], "no one line says why: %r" % result.stderr)
        print("the line: " + lines[0])
        check(status.returncode != 0 and "different versions of st87d's protocol" in status.stderr,
              "st87ctl status does not say why: %r" % status.stderr)


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_daemon_names.py")
