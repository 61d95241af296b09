#!/usr/bin/env python3
"""The modem's one TCP socket taken in turn: connects that find it held wait in line (issue 26).

Programs that open several connections at once (threads, git's parallel requests, two programs through
st87d) all get their turn, one at a time and in the order they asked; a connection closed by its program
is finished on the modem before the next connect is served, so no create is refused (2150). The servers
listen on loopback, which the tests route by naming it (ST87_ROUTE="127.0.0.1/32").

Usage: test_tcp_queue.py CASE   (meson runs each case as its own test)
"""
import contextlib
import errno
import hashlib
import http.server
import os
import re
import shutil
import subprocess
import sys
import time

from fakemodem_fixture import assert_no_modem_socket_left, check, tcp_echo, tcp_echo_server, tcp_server, workdir
from harness import fake_modem, full_scale, run, run_case, serving, st87d
from test_iot import mosquitto_broker

# One thread per port, each making short exchanges with its echo server (exchange_client.py).
EXCHANGE_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange_client.py")


def exchange_lines(ports):
    return ["%d %d ok" % (index, port) for index, port in enumerate(ports)]


def ports_in_log(stderr, what):
    """The ports of the shim's INFO lines "TCP 127.0.0.1:PORT: WHAT", in order."""
    return [int(port) for port in re.findall(r"TCP 127\.0\.0\.1:(\d+)(?: of pid \d+ \([^)]*\))?: " + what, stderr)]


def check_one_at_a_time(modem):
    """In the modem's trace no TCP socket is created while another is open, and none is refused (2150).

    The cases open no UDP socket (no names are looked up), so every close is a TCP socket's."""
    commands = modem.host_commands()
    open_tcp = 0
    for command in commands:
        if command.startswith("AT#SOCKETCREATE=") and ",TCP," in command:
            open_tcp += 1
            check(open_tcp == 1, "a second TCP socket was asked for while one was open: %r" % commands)
        elif command.startswith("AT#SOCKETCLOSE="):
            open_tcp = max(0, open_tcp - 1)
    check("2150" not in modem.trace(), "the modem refused a socket (2150): a create went before a close")


def echo_servers(count):
    stack = contextlib.ExitStack()
    return stack, [stack.enter_context(tcp_echo_server()) for _ in range(count)]


def case_five_connections_at_once():
    # Five threads connect at once to five servers: every exchange succeeds, byte for byte, each in its turn.
    with workdir() as tmp, fake_modem(tmp) as modem:
        stack, servers = echo_servers(5)
        with stack:
            ports = [server.server_address[1] for server in servers]
            result = run([sys.executable, EXCHANGE_CLIENT, "1", *map(str, ports)],
                         modem.env(ST87_LOG="info"), text=True, timeout=150)
        check(result.returncode == 0 and result.stdout.splitlines() == exchange_lines(ports),
              "exchanges: %r %r" % (result.stdout, result.stderr))
        connected = ports_in_log(result.stderr, "connected over modem socket")
        waited = ports_in_log(result.stderr, "waits for the modem's TCP socket")
        check(sorted(connected) == sorted(ports), "connected: %r of %r" % (connected, ports))
        check(len(waited) >= 1, "no connect waited: the case did not test the line: %r" % result.stderr)
        check([port for port in connected if port in waited] == waited,
              "not served in the order they asked: waited %r, connected %r" % (waited, connected))
        check("ETIMEDOUT" not in result.stderr and "EMFILE" not in result.stderr, "a connect failed: %r" % result.stderr)
        check_one_at_a_time(modem)
        assert_no_modem_socket_left(modem)


def case_two_programs_share_the_socket_through_st87d():
    # Two programs, each wanting the TCP socket for short exchanges, through one st87d: both finish.
    rounds = 10
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, tcp_echo_server() as server:
        port = server.server_address[1]
        env = daemon.env()
        programs = [subprocess.Popen([sys.executable, EXCHANGE_CLIENT, str(rounds), str(port)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for program in programs:
            out, err = program.communicate(timeout=150)
            check(program.returncode == 0 and out.splitlines() == exchange_lines([port]),
                  "a program: %r %r" % (out, err))
        daemon.stop()
        check("for the modem's only TCP socket" not in daemon.log(), "a connect timed out:\n" + daemon.log())
        check_one_at_a_time(modem)
        assert_no_modem_socket_left(modem)


@contextlib.contextmanager
def cpu_burners(count):
    """@count processes that spin until the block ends: the race this guards showed only on a loaded machine."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def case_close_then_connect_at_once():
    # A program that closes a connection and connects again at once, many times: the old socket is closed on
    # the modem before the new one is made, so none is refused (the hand-over race of issue 26). The slow
    # suite makes it 500 rounds with both cores kept busy, as the race was first seen.
    rounds = int(os.environ.get("ST87_TEST_ROUNDS", "500" if full_scale() else "100"))
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_echo_server() as server, \
            cpu_burners(2 if full_scale() else 0):
        port = server.server_address[1]
        result = run([sys.executable, EXCHANGE_CLIENT, str(rounds), str(port)], modem.env(), text=True,
                     timeout=170)
        check(result.returncode == 0 and result.stdout.splitlines() == exchange_lines([port]),
              "the loop: %r %r" % (result.stdout, result.stderr))
        check_one_at_a_time(modem)
        assert_no_modem_socket_left(modem)


def bare_repository(tmp):
    """A bare repository of loose objects (dumb HTTP fetches each), ready to serve: (its path, its files)."""
    source, bare = os.path.join(tmp, "source"), os.path.join(tmp, "served", "repo.git")
    files = {"file%02d.bin" % number: os.urandom(1000 + 97 * number) for number in range(40)}
    files["dir/nested.txt"] = b"nested\n" * 50
    os.makedirs(os.path.join(source, "dir"))
    for name, content in files.items():
        with open(os.path.join(source, name), "wb") as f:
            f.write(content)
    git_env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@t")
    git = shutil.which("git")
    check(git is not None, "git is not installed (scripts/setup.sh installs it)")
    for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "one"]):
        subprocess.run([git, "-C", source, *command], env=git_env, check=True, capture_output=True)
    # A local clone copies the objects as they are: loose, each its own request.
    subprocess.run([git, "clone", "-q", "--bare", source, bare], env=git_env, check=True, capture_output=True)
    subprocess.run([git, "-C", bare, "update-server-info"], check=True, capture_output=True)
    return os.path.dirname(bare), files


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def case_git_clone_over_dumb_http():
    # git's dumb HTTP fetch runs up to five requests at once (http.maxRequests): each waits its turn.
    with workdir() as tmp, fake_modem(tmp) as modem:
        served, files = bare_repository(tmp)
        handler = lambda *a, **k: QuietHandler(*a, directory=served, **k)  # noqa: E731
        with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
            clone = os.path.join(tmp, "clone")
            result = run(["git", "clone", "-q", "http://127.0.0.1:%d/repo.git" % server.server_port, clone],
                         modem.env(ST87_LOG="info", GIT_TERMINAL_PROMPT="0"), timeout=170)
        check(result.returncode == 0, "git clone failed: %r" % result.stderr)
        for name, content in files.items():
            with open(os.path.join(clone, name), "rb") as f:
                check(hashlib.sha256(f.read()).digest() == hashlib.sha256(content).digest(), name + " differs")
        check(b"waits for the modem's TCP socket" in result.stderr,
              "no request waited: git did not ask in parallel, so the case tested nothing")
        check_one_at_a_time(modem)
        assert_no_modem_socket_left(modem)


# One paho-mqtt client subscribes to a topic and publishes to it; paho's loop makes a loopback TCP
# connection of its own as a wake-up channel. Prints the digest of each message received back.
PAHO_CLIENT = r"""
import hashlib, os, sys, threading
import paho.mqtt.client as mqtt
port, count = int(sys.argv[1]), int(sys.argv[2])
sent, received, done, subscribed = [], [], threading.Event(), threading.Event()
client = mqtt.Client(client_id="st87-paho")
client.on_subscribe = lambda *args: subscribed.set()
def on_message(client, userdata, message):
    received.append(hashlib.sha256(message.payload).hexdigest())
    if len(received) == count:
        done.set()
client.on_message = on_message
client.connect("127.0.0.1", port, keepalive=60)
client.loop_start()
client.subscribe("st87/paho", qos=1)
if not subscribed.wait(60):
    sys.exit("not subscribed")
for number in range(count):
    payload = os.urandom(500 + 700 * number)
    sent.append(hashlib.sha256(payload).hexdigest())
    client.publish("st87/paho", payload, qos=1)
ok = done.wait(60)
client.disconnect()
client.loop_stop()
print("sent", " ".join(sent))
print("received", " ".join(received))
sys.exit(0 if ok else "only %d of %d messages came back" % (len(received), count))
"""


def python_with_paho():
    """An interpreter that imports paho.mqtt: this one, or Debian's (python3-paho-mqtt, scripts/setup.sh)."""
    for python in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run([python, "-c", "import paho.mqtt.client"], capture_output=True)
        if probe.returncode == 0:
            return python
    raise AssertionError("paho-mqtt is not installed (scripts/setup.sh installs python3-paho-mqtt)")


def case_paho_mqtt_with_route_star():
    # ST87_ROUTE='*' leaves paho's loopback wake-up connection to the kernel; the broker (on loopback for the
    # test, so named by its own rule) is reached over the modem.
    with workdir() as tmp, mosquitto_broker(tmp) as (port, broker_log), fake_modem(tmp) as modem:
        result = run([python_with_paho(), "-c", PAHO_CLIENT, str(port), "4"],
                     modem.env(route="*,127.0.0.1:%d" % port), text=True, timeout=150)
        lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
        check(result.returncode == 0 and lines.get("sent") == lines.get("received"),
              "paho publish/subscribe: %r %r" % (result.stdout, result.stderr))
        connects = [command for command in modem.host_commands() if command.startswith("AT#TCPCONNECT=")]
        check(len(connects) == 1 and connects[0].endswith(",%d" % port),
              "the modem was asked for other connections than the broker's: %r" % connects)
        assert_no_modem_socket_left(modem)


# A holder that goes quiet, and a second connect of the same program that waits for the socket meanwhile:
# "half-close" shuts its writing side and reads to EOF (its server reads and never answers), "idle" made an
# exchange and then does nothing; either way the waiter's connect, to an echo server, must go through.
HOLDER_AND_WAITER = r"""
import socket, sys, threading
mode, holder_port, waiter_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
holder = socket.create_connection(("127.0.0.1", holder_port))
holder.sendall(b"hello\n")
if mode == "half-close":
    holder.shutdown(socket.SHUT_WR)
else:
    holder.recv(100)
waited = []
def wait_in_line():
    try:
        waiter = socket.create_connection(("127.0.0.1", waiter_port))
        waiter.sendall(b"ping")
        waited.append("ok" if waiter.recv(100) == b"ping" else "wrong echo")
        waiter.close()
    except OSError as error:
        waited.append("errno %s" % error.errno)
    print("waiter:", waited[0], flush=True)
thread = threading.Thread(target=wait_in_line)
thread.start()
thread.join()
if waited != ["ok"]:
    print("holder: left open", flush=True)
    sys.exit(0)
holder.settimeout(20)
try:
    while holder.recv(100):
        pass
    print("holder: eof", flush=True)
except OSError as error:
    print("holder: errno", error.errno, flush=True)
holder.close()
"""


def read_then_stay_silent(connection):
    connection.recv(100)
    time.sleep(60)


def quiet_checks(modem):
    """The idle link checks in the trace: an AT#TCPCONNECT? with the read an idle check makes right after it
    (the check after an empty read, part of an exchange, has none)."""
    commands = modem.host_commands()
    return sum(1 for command, after in zip(commands, commands[1:])
               if command == "AT#TCPCONNECT?" and after.startswith("AT#IPREAD="))


def holder_and_waiter(mode, holder_behaviour, **variables):
    """HOLDER_AND_WAITER in @mode: the program's output and the number of quiet checks the trace shows."""
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(holder_behaviour) as holder, \
            tcp_echo_server() as waiter:
        result = run([sys.executable, "-c", HOLDER_AND_WAITER, mode, str(holder.server_address[1]),
                      str(waiter.server_address[1])],
                     modem.env(**{"ST87_CONNECT_TIMEOUT": "15000", "ST87_LOG": "info", **variables}), text=True,
                     timeout=150)
        check(result.returncode == 0, "the program failed: %r %r" % (result.stdout, result.stderr))
        assert_no_modem_socket_left(modem)
        return sorted(result.stdout.splitlines()), quiet_checks(modem), result.stderr


def case_half_closed_holder_gets_its_eof_while_a_connect_waits():
    # The holder shut its writing side and waits for EOF: after ST87_HALF_CLOSE_IDLE (5 s) of quiet it gets it,
    # though a connect waiting meanwhile has the holder asked about, and the waiter then connects. Asking the
    # modem is not traffic: once it reset the quiet, so the holder never got its EOF before the waiter's
    # deadline (ETIMEDOUT). Asked once in that quiet spell, not every 2 s.
    lines, checks, stderr = holder_and_waiter("half-close", read_then_stay_silent)
    check(lines == ["holder: eof", "waiter: ok"], "outcome: %r %r" % (lines, stderr))
    check("quiet for 5000 ms since the program's shutdown" in stderr, "not closed by the half-close: %r" % stderr)
    # Once at 2 s of quiet; none when a late-running engine found the quiet already over (a loaded machine).
    check(checks <= 1, "the quiet holder was asked about %d times in one quiet spell" % checks)


def case_idle_holder_evicted_after_evict_idle_while_a_connect_waits():
    # ST87_TCP_EVICT_IDLE=3000: the program's idle connection gives the socket up to its waiting connect after
    # 3 s of quiet, though the holder was asked about at 2 s (which once reset the quiet: ETIMEDOUT).
    lines, checks, stderr = holder_and_waiter("idle", tcp_echo, ST87_TCP_EVICT_IDLE="3000")
    check(lines == ["holder: eof", "waiter: ok"], "outcome: %r %r" % (lines, stderr))
    check("takes the modem's TCP socket from the idle connection" in stderr, "no eviction: %r" % stderr)
    check(checks <= 1, "the quiet holder was asked about %d times in one quiet spell" % checks)


def case_quiet_holder_asked_about_once_while_a_connect_waits():
    # Another connect waits 7 s for an idle holder that is never evicted (ST87_TCP_EVICT_IDLE=0) and times out:
    # the holder was asked about once, at 2 s of quiet, not every 2 s until the deadline (which kept the modem
    # awake); the waiter's ETIMEDOUT is the outcome expected here.
    lines, checks, stderr = holder_and_waiter("idle", tcp_echo, ST87_TCP_EVICT_IDLE="0", ST87_CONNECT_TIMEOUT="7000")
    check(lines == ["holder: left open", "waiter: errno %d" % errno.ETIMEDOUT], "outcome: %r %r" % (lines, stderr))
    check(checks == 1, "the quiet holder was asked about %d times in one 7 s quiet spell, not once" % checks)


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_tcp_queue.py")
