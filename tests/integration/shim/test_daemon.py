#!/usr/bin/env python3
"""st87d: one modem shared by every program, through the shim and the fake modem.

Usage: test_daemon.py CASE   (meson runs each case as its own test)
"""
import os
import hashlib
import json
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from dns_server import dns_server
from fakemodem_fixture import CID, PROFILE, check, stop_process, udp_echo_server, wait_for, workdir
from harness import Paths, fake_modem, run, run_case, shim_environment, st87d, tcp_echo, tcp_server

NAME = "sensor-hub.test"

# A long-lived, MQTT-like client: subscribes, then takes what the server publishes over several seconds.
LONG_LIVED_CLIENT = r"""
import hashlib, socket, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
connection.sendall(b"SUBSCRIBE\n")
print("subscribed", flush=True)
data = connection.makefile("rb").read()  # all of it, up to the server's end
print("published", len(data), hashlib.sha256(data).hexdigest(), flush=True)
"""

# UDP request/response by name: the name is looked up through the daemon (AT#DNS), then 10 exchanges
# with sendto/recvfrom on an unconnected socket and 10 on a connected one.
UDP_CLIENT = r"""
import os, socket, sys
address = socket.getaddrinfo(sys.argv[1], int(sys.argv[2]), socket.AF_INET, socket.SOCK_DGRAM)[0][4]
unconnected = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
connected = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
connected.connect(address)
for client in (unconnected, connected):
    client.settimeout(10)
    for i in range(10):
        request = os.urandom(64 + 44 * i)
        if client is unconnected:
            client.sendto(request, address)
            answer, peer = client.recvfrom(2048)
            if peer != address:
                sys.exit("answer from %r" % (peer,))
        else:
            client.send(request)
            answer = client.recv(2048)
        if answer != request:
            sys.exit("echo %d differs" % i)
print("udp ok", address[0])
"""

# Connects, prints "connected", then reads until EOF or an error, which it names.
READER = r"""
import errno, socket, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
connection.sendall(b"hello\n")
print("connected", flush=True)
try:
    connection.makefile("rb").read()
    print("eof")
except OSError as error:
    print("error", errno.errorcode.get(error.errno, error.errno))
"""


# A blocking connect; prints "connected", or "error" and the errno's name.
BLOCKING_CONNECT = r"""
import errno, socket, sys
connection = socket.socket()
try:
    connection.connect(("127.0.0.1", int(sys.argv[1])))
    print("connected")
except OSError as error:
    print("error", errno.errorcode.get(error.errno, error.errno))
"""

# Connects, prints "connected", then waits (20 s at most) for the server's one line and prints it.
NEWS_READER = r"""
import socket, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
connection.sendall(b"hello\n")
print("connected", flush=True)
try:
    print("got", connection.recv(64).decode().strip(), flush=True)
except socket.timeout:
    print("no news", flush=True)
"""


def publisher(messages, release):
    """Once subscribed to, publishes @messages with pauses between them; the last one once @release is set."""
    def serve(connection):
        connection.recv(64)
        for message in messages[:-1]:
            time.sleep(0.4)
            connection.sendall(message)
        release.wait(120)
        connection.sendall(messages[-1])
    return serve


def news_server(release):
    """Once greeted, sends one line when @release is set, and keeps the connection open until the client goes."""
    def serve(connection):
        connection.recv(64)
        release.wait(60)
        connection.sendall(b"news\n")
        while connection.recv(64):
            pass
    return serve


def holder_server(connection):
    """Answers one line and keeps the connection open until the client goes."""
    connection.recv(64)
    connection.sendall(b"welcome\n")
    while connection.recv(64):
        pass


def st87ctl_environment(daemon):
    """st87ctl's environment: it asks @daemon, without the shim."""
    env = dict(os.environ, ST87_DAEMON=daemon.socket)
    env.pop("LD_PRELOAD", None)
    return env


def st87ctl(daemon, *arguments):
    return subprocess.run([Paths.st87ctl, *arguments], env=st87ctl_environment(daemon), capture_output=True,
                          text=True, timeout=60)


def modem_switches():
    return ("--baud", "921600", "--dns", "--dns-entry", NAME + "=127.0.0.1")


def start(command, env):
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def case_three_programs_at_once():
    messages = [os.urandom(3000 + 7000 * i) for i in range(6)]
    expected = b"".join(messages)
    release = threading.Event()
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(publisher(messages, release)) as broker, udp_echo_server() as udp_port:
        env = daemon.env(route="127.0.0.1/32,*:53")
        subscriber = start([sys.executable, "-c", LONG_LIVED_CLIENT, str(broker.server_address[1])], env)
        check(subscriber.stdout.readline().strip() == "subscribed", "the subscriber did not connect")
        udp = start([sys.executable, "-c", UDP_CLIENT, NAME, str(udp_port)], env)
        status = st87ctl(daemon, "status")
        check(status.returncode == 0, "st87ctl status through st87d failed: " + status.stderr)
        check("of pid %d (python3)" % subscriber.pid in status.stdout,
              "status does not name the subscriber's pid and program:\n" + status.stdout)
        doctor = st87ctl(daemon, "doctor")
        check(doctor.returncode == 0 and doctor.stdout.startswith("ok    st87d") and "(python3)" in doctor.stdout,
              "st87ctl doctor through st87d: %r %r" % (doctor.stdout, doctor.stderr))
        # An AT command while st87d holds the port goes through it.
        at = st87ctl(daemon, "at", "AT#IPCFG?")
        check(at.returncode == 0 and "#IPCFG:" in at.stdout and at.stdout.endswith("OK\n"),
              "st87ctl at through st87d: %r %r" % (at.stdout, at.stderr))
        # A second TCP connection from another program waits in line (st87ctl status shows it) until its
        # ST87_CONNECT_TIMEOUT, then fails with a line naming who holds the socket.
        second = start(["curl", "-sS", "-o", "/dev/null", "http://127.0.0.1:%d/" % broker.server_address[1]],
                       dict(env, ST87_CONNECT_TIMEOUT="8000"))
        waiting = "waiting for the TCP socket, place 1 in line: TCP 127.0.0.1:%d of pid %d (curl)" % (
            broker.server_address[1], second.pid)
        wait_for(lambda: waiting in st87ctl(daemon, "status").stdout, 10, "st87ctl status showing curl in line")
        second_out, second_err = second.communicate(timeout=60)
        check(second.returncode != 0, "a second TCP connection got the modem's only TCP socket")
        line = "pid %d (python3) holds it" % subscriber.pid
        check(line in second_err, "curl's error does not name the holder: %r" % second_err)
        release.set()
        udp_out, udp_err = udp.communicate(timeout=60)
        check(udp.returncode == 0 and "udp ok 127.0.0.1" in udp_out, "UDP by name failed: %s%s" % (udp_out, udp_err))
        sub_out, sub_err = subscriber.communicate(timeout=60)
        check("published %d %s" % (len(expected), hashlib.sha256(expected).hexdigest()) in sub_out,
              "the subscriber's messages differ: %s%s" % (sub_out, sub_err))
        check("lookup %s by AT#DNS: 127.0.0.1" % NAME in daemon.log(), "the name was not looked up by st87d:\n" + daemon.log())
        wait_for(lambda: "no sockets open" in st87ctl(daemon, "status").stdout, 10, "every modem socket closed")


def case_killed_client_frees_its_socket():
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(holder_server) as server:
        reader = start([sys.executable, "-c", READER, str(server.server_address[1])], daemon.env())
        check(reader.stdout.readline().strip() == "connected", "the client did not connect")
        check("(python3)" in st87ctl(daemon, "status").stdout, "status does not list the client's socket")
        reader.kill()
        reader.wait()
        killed = time.monotonic()
        wait_for(lambda: "no sockets open" in st87ctl(daemon, "status").stdout, 10, "the socket freed")
        print("modem socket freed %.2f s after SIGKILL" % (time.monotonic() - killed))
        # And the next program gets the TCP socket.
        again = start([sys.executable, "-c", READER, str(server.server_address[1])], daemon.env())
        check(again.stdout.readline().strip() == "connected", "the next client did not get the TCP socket")
        again.kill()
        again.wait()


def case_close_all_through_the_daemon():
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(holder_server) as server:
        reader = start([sys.executable, "-c", READER, str(server.server_address[1])], daemon.env())
        check(reader.stdout.readline().strip() == "connected", "the client did not connect")
        closed = st87ctl(daemon, "close-all")
        check(closed.returncode == 0 and "closed modem socket 0: TCP" in closed.stdout
              and "(python3)" in closed.stdout, "close-all through st87d: %r %r" % (closed.stdout, closed.stderr))
        out, err = reader.communicate(timeout=30)
        check("error ECONNABORTED" in out, "the client's socket was not aborted: %r %r" % (out, err))
        check("no sockets open" in st87ctl(daemon, "status").stdout, "a socket is left after close-all")
        again = st87ctl(daemon, "close-all")
        check(again.stdout.strip() == "no modem socket is open", "close-all with nothing open: %r" % again.stdout)


def case_killed_daemon_resets_clients_and_restarts():
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, tcp_server(holder_server) as server:
        with st87d(tmp, modem) as daemon:
            reader = start([sys.executable, "-c", READER, str(server.server_address[1])], daemon.env())
            check(reader.stdout.readline().strip() == "connected", "the client did not connect")
            daemon.stop(signal.SIGKILL)
            out, err = reader.communicate(timeout=30)
            check("error ECONNRESET" in out, "the client was not reset when st87d died: %r %r" % (out, err))
            check("st87d went away" in err, "no line says why: %r" % err)
        with st87d(tmp, modem) as daemon:
            # The new daemon closes the socket the dead one left on the modem, then serves again.
            check("AT#SOCKETCLOSE" in modem.trace(), "the restarted st87d left the old modem socket open")
            with tcp_server(tcp_echo) as echo:
                payload = os.urandom(40000)
                client = run([sys.executable, "-c", ECHO_CLIENT, str(echo.server_address[1]), str(len(payload))],
                             daemon.env(), input=payload)
                check(client.returncode == 0 and client.stdout == payload,
                      "echo through the restarted st87d differs: %r" % client.stderr)


# Sends stdin to an echo server and writes back what returns.
ECHO_CLIENT = r"""
import socket, sys
data = sys.stdin.buffer.read()
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
connection.sendall(data)
got = b""
while len(got) < int(sys.argv[2]):
    block = connection.recv(65536)
    if not block:
        break
    got += block
sys.stdout.buffer.write(got)
"""

# The parent routes a connection, hands the fd to an exec'd child and exits; the child carries on.
FORK_EXEC_PARENT = r"""
import os, socket, subprocess, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
child = subprocess.Popen([sys.executable, "-c", sys.argv[2], str(connection.fileno()), sys.argv[3]],
                         pass_fds=[connection.fileno()])
connection.close()
print(child.pid, flush=True)
"""

FORK_EXEC_CHILD = r"""
import hashlib, os, socket, sys
connection = socket.socket(fileno=int(sys.argv[1]))
connection.settimeout(30)  # the parent's timeout left the shared file non-blocking
size = int(sys.argv[2])
payload = os.urandom(size)
connection.sendall(payload)
got = b""
while len(got) < size:
    block = connection.recv(65536)
    if not block:
        break
    got += block
with open(os.environ["RESULT"], "w") as out:
    out.write("same" if got == payload else "differs %d" % len(got))
"""


def case_exec_child_keeps_routed_fd():
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(tcp_echo) as echo:
        result = os.path.join(tmp, "result")
        parent = run([sys.executable, "-c", FORK_EXEC_PARENT, str(echo.server_address[1]), FORK_EXEC_CHILD,
                      "60000"], daemon.env(RESULT=result), text=True)
        check(parent.returncode == 0, "the parent failed: " + parent.stderr)
        wait_for(lambda: os.path.exists(result) and os.path.getsize(result) > 0, 60, "the child's result")
        with open(result) as f:
            outcome = f.read()
        check(outcome == "same", "the exec'd child's exchange over the inherited fd: " + outcome)


def case_refused_credentials():
    if os.geteuid() != 0:
        print("skipped: needs root to run a client as another user")
        sys.exit(77)
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, \
            st87d(tmp, modem, "--mode", "0666", "--group", "root") as daemon, tcp_server(holder_server) as server:
        os.chmod(tmp, 0o755)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        # The system's python: another user may not reach a python under root's home.
        refused = run(as_nobody + ["/usr/bin/python3", "-c", READER, str(server.server_address[1])], daemon.env())
        check(refused.returncode != 0, "a client of another user, not in the group, was served")
        err = refused.stderr.decode()
        check("Permission denied" in err or "EACCES" in err, "the refusal's errno is not EACCES: %r" % err)
        check("refuses uid 65534" in err, "no line says why the client was refused: %r" % err)
        check("refuses uid 65534" in daemon.log(), "st87d did not log the refused credentials")


def case_names_through_the_daemon():
    # ST87_DNS set: the query goes there over a modem UDP socket through the daemon, under both profiles.
    name = "only-the-modem-knows.test"
    with workdir() as tmp, fake_modem(tmp, "--dns-entry", name + "=127.0.0.1") as modem, \
            st87d(tmp, modem) as daemon, tcp_server(tcp_echo) as echo, dns_server({name: "127.0.0.1"}) as (dns_port, asked):
        payload = os.urandom(20000)
        env = daemon.env(ST87_DNS="127.0.0.1:%d" % dns_port)
        script = ECHO_CLIENT.replace('("127.0.0.1", int(sys.argv[1]))', '(sys.argv[3], int(sys.argv[1]))')
        client = run([sys.executable, "-c", script, str(echo.server_address[1]), str(len(payload)), name], env,
                     input=payload)
        check(client.returncode == 0 and client.stdout == payload, "echo by name differs: %r" % client.stderr)
        check(name in asked, "the resolver behind ST87_DNS was not asked")
        check("AT#DNS=" not in modem.trace(), "ST87_DNS is set, yet the modem was asked with AT#DNS")
        check(",127.0.0.1,%d,2," % dns_port in modem.trace(), "the query did not leave over the modem with rai 2")
        unknown = run([sys.executable, "-c", "import socket; socket.getaddrinfo('no-such.test', 80)"], env)
        check(b"Name or service not known" in unknown.stderr, "an unknown name: %r" % unknown.stderr)


# A UDP exchange every 2 s, eight times: prints each round trip in ms.
CADENCE = r"""
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(60)
for i in range(8):
    started = time.monotonic()
    s.send(os.urandom(32))
    s.recv(2048)
    print("round trip %d" % int((time.monotonic() - started) * 1000), flush=True)
    time.sleep(2)
"""


def case_lookup_keeps_other_sockets_going():
    # The modem's AT#DNS answers after 20 s; ST87_DNS is set, so the lookup is a datagram and another
    # program's exchange every 2 s keeps its cadence meanwhile.
    name = "slow-by-modem.test"
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-delay", "20000", "--dns-entry", name + "=127.0.0.1") \
            as modem, st87d(tmp, modem) as daemon, udp_echo_server() as echo_port, \
            dns_server({name: "127.0.0.1"}) as (dns_port, asked):
        env = daemon.env(route="127.0.0.1/32", ST87_DNS="127.0.0.1:%d" % dns_port)
        cadence = start([sys.executable, "-c", CADENCE, str(echo_port)], env)
        check(cadence.stdout.readline().startswith("round trip"), "the exchange did not start")
        started = time.monotonic()
        lookup = run([sys.executable, "-c", "import socket; print(socket.getaddrinfo(%r, 80)[0][4][0])" % name],
                     env, text=True)
        took = time.monotonic() - started
        check(lookup.stdout.strip() == "127.0.0.1", "the lookup: %r %r" % (lookup.stdout, lookup.stderr))
        out, err = cadence.communicate(timeout=120)
        trips = [int(line.split()[2]) for line in out.splitlines() if line.startswith("round trip")]
        check(cadence.returncode == 0 and len(trips) == 7, "the exchange: %r %r" % (out, err))
        check(max(trips) < 10000, "a round trip took %d ms during the lookup (%.1f s)" % (max(trips), took))
        check("AT#DNS=" not in modem.trace(), "the lookup went to AT#DNS")
        print("lookup took %.1f s; round trips (ms): %s" % (took, trips))


def systemd_socket(path):
    """The listening socket st87d.socket makes, at @path."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(16)
    return listener


def start_activated(listener, port, log_path):
    """st87d as systemd starts it: @listener as fd 3 (LISTEN_FDS, LISTEN_PID), the modem on @port."""
    env = dict(os.environ, ST87_PORT=port, ST87_LOG="info")
    env.pop("LD_PRELOAD", None)
    launcher = 'exec 3<&%d; LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -f' % listener.fileno()
    with open(log_path, "wb") as log:
        return subprocess.Popen(["sh", "-c", launcher, Paths.st87d], env=env, stdout=log, stderr=log,
                                pass_fds=[listener.fileno()])


def case_socket_activation():
    # As systemd's st87d.socket does: the listening socket is made first and handed over as fd 3
    # (LISTEN_FDS, LISTEN_PID); st87d serves on it and leaves it in place when it stops.
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, tcp_server(tcp_echo) as echo:
        path = os.path.join(tmp, "activated.sock")
        listener = systemd_socket(path)
        log_path = os.path.join(tmp, "st87d.log")
        daemon = start_activated(listener, modem.link, log_path)
        listener.close()
        try:
            wait_for(lambda: "st87d: serving" in open(log_path).read() or daemon.poll() is not None, 30, "st87d")
            check("systemd's socket" in open(log_path).read(), "st87d did not take the socket it was given")
            payload = os.urandom(30000)
            client = run([sys.executable, "-c", ECHO_CLIENT, str(echo.server_address[1]), str(len(payload))],
                         shim_environment(ST87_DAEMON=path, ST87_ROUTE="127.0.0.1/32", ST87_PORT="/dev/null/x"),
                         input=payload)
            check(client.returncode == 0 and client.stdout == payload, "echo through the activated st87d differs")
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
        check(os.path.exists(path), "st87d removed the socket systemd owns")


def case_socket_activation_without_a_modem():
    # systemd queues a program on its socket while it starts st87d. An st87d that cannot open the modem
    # must answer it with the reason before exiting, not leave it to its own connect timeout (30 s here).
    with workdir() as tmp, tcp_server(holder_server) as server:
        path = os.path.join(tmp, "activated.sock")
        listener = systemd_socket(path)  # held open throughout, as systemd holds it
        env = shim_environment(ST87_DAEMON=path, ST87_ROUTE="127.0.0.1/32", ST87_PORT="/dev/null/no-port",
                               ST87_CONNECT_TIMEOUT=30000)
        client = start([sys.executable, "-c", BLOCKING_CONNECT, str(server.server_address[1])], env)
        daemon = None
        try:
            queued, _, _ = select.select([listener], [], [], 30)
            check(queued, "the program never connected to the socket")
            started = time.monotonic()
            daemon = start_activated(listener, os.path.join(tmp, "no-such-port"), os.path.join(tmp, "st87d.log"))
            out, err = client.communicate(timeout=60)
            waited = time.monotonic() - started
            check(out.startswith("error ENETDOWN"), "the connect: %r %r" % (out, err))
            check(waited < 5, "the connect failed only after %.1f s: %r" % (waited, out))
            check(any("no-such-port: No such file or directory" in line for line in err.splitlines()),
                  "no line gives the reason: %r" % err)
            check(daemon.wait(timeout=30) == 1, "st87d without a modem did not exit with status 1")
        finally:
            stop_process(client, signal.SIGKILL)
            if daemon:
                stop_process(daemon)
            listener.close()


def case_release_assistance_through_the_daemon():
    # ST87_UDP_RAI of the program (not the daemon's) and ST87_SO_RAI set on a routed socket reach the modem.
    from test_rai import EXCHANGES, SOCKET_OPTION, SOL_ST87, ST87_SO_RAI
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, st87d(tmp, modem) as daemon, \
            udp_echo_server() as port:
        by_variable = run([sys.executable, "-c", EXCHANGES, str(port), "3"], daemon.env(ST87_UDP_RAI=1), text=True)
        check(by_variable.stdout.count("echo: n") == 3, "exchanges with ST87_UDP_RAI=1: %r" % by_variable.stderr)
        by_option = run([sys.executable, "-c", SOCKET_OPTION, str(port), str(SOL_ST87), str(ST87_SO_RAI)],
                        daemon.env(), text=True)
        check("read back: 2" in by_option.stdout and "echo: ping" in by_option.stdout,
              "ST87_SO_RAI through st87d: %r %r" % (by_option.stdout, by_option.stderr))
        daemon.stop()
        modem.stop()
        stats = modem.stats()
        check(stats["udp_rai_1"] >= 3, "the program's ST87_UDP_RAI=1 did not reach the modem: %r" % stats)
        check(stats["udp_rai_2"] >= 1, "the socket's ST87_SO_RAI 2 did not reach the modem: %r" % stats)


# The line st87d's (or a program's) exit says when it leaves a lookup to the modem.
LEFT_TO_THE_MODEM = "exit: not waiting for the modem's answer to a lookup"


def case_stops_during_a_long_request():
    # A lookup the modem answers only after two minutes, an idle connection open: SIGTERM stops st87d long before
    # that, with the default ST87_EXIT_FLUSH_TIMEOUT. The lookup carries no data, so the exit does not wait for
    # its answer (it used to wait the stall bound and its grace: 80 s); the modem socket is left to the next
    # start-up (case_next_start_closes_what_a_stop_during_a_lookup_left).
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-delay", "120000") as modem, \
            st87d(tmp, modem) as daemon, tcp_server(tcp_echo) as echo:
        holder = start([sys.executable, "-c", READER, str(echo.server_address[1])], daemon.env())
        check(holder.stdout.readline().strip() == "connected", "the idle connection did not connect")
        lookup = start([sys.executable, "-c", "import socket; socket.getaddrinfo('slow.test', 80)"],
                       daemon.env(route="*"))
        wait_for(lambda: "AT#DNS" in modem.trace(), 10, "the lookup at the modem")
        daemon.process.terminate()
        try:
            daemon.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError("st87d did not stop while a lookup ran:\n" + daemon.log())
        check(LEFT_TO_THE_MODEM in daemon.log() and "1 modem socket left open" in daemon.log(),
              "st87d's log does not say it left the lookup and one socket: %r" % daemon.log()[-2000:])
        out, err = lookup.communicate(timeout=30)
        check(lookup.returncode != 0, "the lookup succeeded though st87d stopped")
        holder.communicate(timeout=30)


def case_next_start_closes_what_a_stop_during_a_lookup_left():
    # st87d stops while the modem looks a name up, a TCP connection open: the modem keeps that socket. Once the
    # modem has answered, the next opener's start-up closes it, and its own TCP connect works (the modem has one
    # TCP socket under the maker's profile: a kept one would take it).
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-delay", "8000",
                                      "--dns-entry", "slow.test=127.0.0.1") as modem, \
            tcp_server(tcp_echo) as echo:
        port = echo.server_address[1]
        with st87d(tmp, modem) as daemon:
            holder = start([sys.executable, "-c", READER, str(port)], daemon.env())
            check(holder.stdout.readline().strip() == "connected", "the idle connection did not connect")
            lookup = start([sys.executable, "-c", "import socket; socket.getaddrinfo('slow.test', 80)"],
                           daemon.env(route="*"))
            wait_for(lambda: "AT#DNS" in modem.trace(), 10, "the lookup at the modem")
            daemon.stop()
            lookup.communicate(timeout=30)
            holder.communicate(timeout=30)
        wait_for(lambda: "#DNS: 127.0.0.1" in modem.trace(), 30, "the modem's late answer")
        check("1 modem socket left open" in daemon.log(), "st87d did not leave the lookup: %r" % daemon.log()[-2000:])
        payload = os.urandom(3000)
        echoed = run([sys.executable, "-c", ECHO_CLIENT, str(port), str(len(payload))], modem.env(ST87_LOG="info"),
                     input=payload)
        check(echoed.returncode == 0 and hashlib.sha256(echoed.stdout).digest() == hashlib.sha256(payload).digest(),
              "the next opener's TCP exchange: %r" % echoed.stderr)
        check(b"which the modem kept and nothing here holds" in echoed.stderr,
              "the next start-up did not close the socket st87d left: %r" % echoed.stderr)


def case_data_during_an_at_command_reaches_the_program():
    # The #IPRECV comes among the reply lines of an `st87ctl at` command (a lookup the modem answers
    # after 3 s, URCs at line boundaries): it is printed, and st87d still reads the data for the program.
    release = threading.Event()
    with workdir() as tmp, fake_modem(tmp, *modem_switches(), "--urc-interleave", "--dns-delay", "3000") as modem, \
            st87d(tmp, modem) as daemon, tcp_server(news_server(release)) as server:
        reader = start([sys.executable, "-c", NEWS_READER, str(server.server_address[1])], daemon.env())
        check(reader.stdout.readline().strip() == "connected", "the client did not connect")
        at = start([Paths.st87ctl, "at", 'AT#DNS=%d,0,"%s"' % (CID, NAME)], st87ctl_environment(daemon))
        wait_for(lambda: "AT#DNS" in modem.trace(), 10, "the lookup at the modem")
        release.set()
        at_out, at_err = at.communicate(timeout=30)
        check(at.returncode == 0 and "#IPRECV: %d,0" % CID in at_out and at_out.endswith("OK\n"),
              "st87ctl at does not show the #IPRECV that came during it: %r %r" % (at_out, at_err))
        out, err = reader.communicate(timeout=30)
        check("got news" in out, "the data announced during st87ctl at never reached the program: %r %r\n%s"
              % (out, err, daemon.log()))


# One datagram within the limit, one above it (the daemon learns the limit: the modem refuses it), then a
# new socket, whose CONNECTED report carries the limit: a datagram above it is EMSGSIZE at the call.
OVERSIZED_DATAGRAMS = r"""
import errno, socket, sys
def exchange(s, size):
    try:
        s.send(b"d" * size)
        return "echoed" if len(s.recv(2000)) == size else "differs"
    except socket.timeout:
        return "lost"
    except OSError as error:
        return errno.errorcode.get(error.errno, error.errno)
def connected():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    return s
first = connected()
print(exchange(first, 100), exchange(first, 300))
second = connected()
print(exchange(second, 300), exchange(second, 200), exchange(first, 300))
"""


def case_oversized_datagram_gets_emsgsize():
    with workdir() as tmp, fake_modem(tmp, "--max-send", "256") as modem, st87d(tmp, modem) as daemon, \
            udp_echo_server() as port:
        result = run([sys.executable, "-c", OVERSIZED_DATAGRAMS, str(port)], daemon.env(), text=True, timeout=60)
        lines = result.stdout.splitlines()
        check(len(lines) == 2 and lines[0].split()[0] == "echoed",
              "the first datagrams: %r %r" % (result.stdout, result.stderr))
        check(lines[1] == "EMSGSIZE echoed EMSGSIZE",
              "a datagram above the limit st87d knows: %r %r" % (lines[1], result.stderr))


def case_daemon_required_but_absent():
    with workdir() as tmp, tcp_server(holder_server) as server:
        env = shim_environment(ST87_DAEMON=os.path.join(tmp, "none.sock"), ST87_ROUTE="127.0.0.1/32",
                               ST87_PORT="/dev/null/no-port")
        started = time.monotonic()
        failed = run([sys.executable, "-c", READER, str(server.server_address[1])], env)
        err = failed.stderr.decode()
        check(failed.returncode != 0, "the connect succeeded without the daemon it requires")
        check("is st87d running?" in err, "no line says the daemon is missing: %r" % err)
        print("failed in %.2f s" % (time.monotonic() - started))


# Names itself (PR_SET_NAME, as any program may) with argv[2]'s bytes, then READER.
RENAMED_READER = r"""
import ctypes, sys
ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(bytes.fromhex(sys.argv[2])), 0, 0, 0)
""" + READER

# A terminal's clear-screen, a quote, a backslash, DEL, a byte that is no UTF-8, a newline.
HOSTILE_NAME = b'\x1b[2J"\\\x7f\xff\nevil'
HOSTILE_NAME_SHOWN = '\\x1b[2J"\\x5c\\x7f\\xff\\x0aevil'


def printable_lines(data):
    """@data is lines of printable ASCII."""
    return all(0x20 <= byte <= 0x7e or byte == 0x0a for byte in data)


def case_hostile_process_name_is_escaped():
    """A client's name reaches root's terminal (st87ctl status) and st87d's log escaped, and status --json stays
    valid JSON."""
    with workdir() as tmp, fake_modem(tmp, *modem_switches()) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(holder_server) as server:
        reader = start([sys.executable, "-c", RENAMED_READER, str(server.server_address[1]), HOSTILE_NAME.hex()],
                       daemon.env())
        try:
            check(reader.stdout.readline().strip() == "connected", "the renamed client did not connect")
            status = subprocess.run([Paths.st87ctl, "status"], env=st87ctl_environment(daemon), capture_output=True,
                                    timeout=60)
            check(status.returncode == 0 and printable_lines(status.stdout),
                  "st87ctl status shows unprintable bytes: %r" % status.stdout)
            check(("of pid %d (%s)" % (reader.pid, HOSTILE_NAME_SHOWN)).encode() in status.stdout,
                  "status does not show the name escaped: %r" % status.stdout)
            as_json = subprocess.run([Paths.st87ctl, "--json", "status"], env=st87ctl_environment(daemon),
                                     capture_output=True, timeout=60)
            check(printable_lines(as_json.stdout), "status --json holds unprintable bytes: %r" % as_json.stdout)
            lines = json.loads(as_json.stdout.decode("ascii"))["lines"]
            check(any(("(%s)" % HOSTILE_NAME_SHOWN) in line for line in lines),
                  "status --json does not show the name escaped: %r" % lines)
        finally:
            reader.kill()
            reader.wait()
        with open(daemon.log_path, "rb") as f:
            log = f.read()
        check(printable_lines(log), "st87d's log holds unprintable bytes: %r" % log)
        check(("(%s)" % HOSTILE_NAME_SHOWN).encode() in log, "st87d's log does not name the client: %r" % log)


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_daemon.py")
