#!/usr/bin/env python3
"""The shim when its own memory runs out: a clear errno and a line, nothing half-done.

Usage: test_hardening.py CASE   (meson runs each case as its own test)
"""
import contextlib
import errno
import os
import re
import resource
import socket
import signal
import struct
import subprocess
import sys

from fakemodem_fixture import check, udp_echo_server, wait_for, workdir
from harness import Paths, fake_modem, preload_value, run, run_case, st87d, tcp_echo, tcp_server, test_deadline_percent

# A routed connection; then, with the shim's calloc failing, a dup() of it and a new routed socket;
# then, memory back, the connection still carries bytes both ways.
CLIENT = r"""
import errno, os, socket, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
os.environ["ST87_TEST_FAIL_SHIM_CALLOC"] = "1"
try:
    copy = os.dup(connection.fileno())
    print("dup: succeeded")
except OSError as error:
    print("dup:", errno.errorcode.get(error.errno, error.errno))
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", int(sys.argv[1])))
    print("udp: sent")
except OSError as error:
    print("udp:", errno.errorcode.get(error.errno, error.errno))
del os.environ["ST87_TEST_FAIL_SHIM_CALLOC"]
connection.sendall(b"still here\n")
print("echo:", connection.recv(100).decode().strip())
"""


def case_out_of_memory_gives_enomem():
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(tcp_echo) as server:
        env = modem.env()
        env["LD_PRELOAD"] = preload_value(os.environ["ST87_TEST_FAIL_CALLOC"], Paths.shim)
        result = run([sys.executable, "-c", CLIENT, str(server.server_address[1])], env, timeout=60, text=True)
        out = result.stdout
        check("dup: ENOMEM" in out, "a dup() the shim could not record did not fail with ENOMEM: %r %r"
              % (out, result.stderr))
        check("duplicating routed fd" in result.stderr and "out of memory" in result.stderr,
              "no line says why the dup() failed: %r" % result.stderr)
        check("udp: ENOMEM" in out, "a socket the shim could not route did not fail with ENOMEM: %r" % out)
        check("echo: still here" in out, "the routed connection did not survive: %r %r" % (out, result.stderr))


# Many routed sockets through st87d (one connected, the rest refused: the modem has one TCP socket), each with
# its connection to the daemon; then closefrom() over all of them, as a daemonising program does; then a new one.
CLOSEFROM_CLIENT = r"""
import os, socket, sys, time
port = int(sys.argv[1])
held = socket.create_connection(("127.0.0.1", port), timeout=20).detach()
refused = []
for _ in range(40):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    refused.append(s.detach())
time.sleep(1)
os.closerange(3, 4096)
again = socket.create_connection(("127.0.0.1", port), timeout=20)
again.sendall(b"after closefrom\n")
print("echo:", again.recv(100).decode().strip())
"""


def case_closefrom_with_sockets_through_st87d():
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(tcp_echo) as server:
        result = run([sys.executable, "-c", CLOSEFROM_CLIENT, str(server.server_address[1])], daemon.env(),
                     timeout=120, text=True)
        check("echo: after closefrom" in result.stdout, "after closefrom(): %r %r" % (result.stdout, result.stderr))
        wait_for(lambda: "no sockets open" in run_st87ctl_status(daemon), 10, "st87d's sockets closed")


def run_st87ctl_status(daemon):
    env = dict(os.environ, ST87_DAEMON=daemon.socket)
    env.pop("LD_PRELOAD", None)
    return run([Paths.st87ctl, "status"], env, text=True).stdout


# A zero-length datagram is a datagram (a keep-alive), not the end of the socket.
EMPTY_DATAGRAM = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(b"one")
print("echo:", s.recv(100).decode())
s.send(b"")
s.send(b"two")
print("echo:", s.recv(100).decode())
"""


def case_empty_datagram_keeps_the_socket():
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server() as port:
        result = run([sys.executable, "-c", EMPTY_DATAGRAM, str(port)], modem.env(), timeout=60, text=True)
        check("echo: one" in result.stdout and "echo: two" in result.stdout,
              "a zero-length datagram ended the socket: %r %r" % (result.stdout, result.stderr))


# Holds many connections whose servers closed them (each gave the modem's TCP socket back), then makes one more.
MANY_CLOSED = r"""
import socket, sys
closing, echo, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held = []
for _ in range(count):
    c = socket.create_connection(("127.0.0.1", closing), timeout=20)
    c.recv(10)  # the server's close: EOF
    held.append(c)
last = socket.create_connection(("127.0.0.1", echo), timeout=20)
last.sendall(b"ping\n")
print("echo:", last.recv(100).decode().strip(), "with", len(held), "closed connections held")
"""


def close_at_once(connection):
    connection.close()


def many_closed_connections(env_of):
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(close_at_once) as closing, \
            tcp_server(tcp_echo) as echo:
        env = env_of(tmp, modem)
        result = run([sys.executable, "-c", MANY_CLOSED, str(closing.server_address[1]), str(echo.server_address[1]),
                      "70"], env, timeout=150, text=True)
        check("echo: ping with 70" in result.stdout,
              "after 70 closed connections held: %r %r" % (result.stdout, result.stderr[-2000:]))


def case_many_closed_connections_held():
    many_closed_connections(lambda tmp, modem: modem.env())


def case_many_closed_connections_held_through_st87d():
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(close_at_once) as closing, tcp_server(tcp_echo) as echo:
        result = run([sys.executable, "-c", MANY_CLOSED, str(closing.server_address[1]), str(echo.server_address[1]),
                      "70"], daemon.env(), timeout=150, text=True)
        check("echo: ping with 70" in result.stdout,
              "after 70 closed connections held: %r %r" % (result.stdout, result.stderr[-2000:]))


# More of the shim's own fds than the 128 close_range() once kept: 130 connections whose servers closed them, each
# with the shim's fd behind it (the engine's end of its pair, or its connection to st87d), and one live connection.
# Started with 1024 fds allowed, the shim puts 64 of its fds at the top of that and the rest among the program's;
# the program then allows itself more, moves its sockets above all of them, and closes everything below, as a
# daemonising program does. Every fd of the shim's must still be open, and the same file.
CLOSE_RANGE_CLIENT = r"""
import ctypes, os, resource, socket, sys
closing, echo, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held = []
for _ in range(count):
    held.append(socket.create_connection(("127.0.0.1", closing), timeout=20))
    held[-1].recv(10)  # the server's close: EOF, and the modem's TCP socket free again
live = socket.create_connection(("127.0.0.1", echo), timeout=20)
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
mine = []
for i, s in enumerate(held + [live]):
    mine.append(os.dup2(s.fileno(), 2000 + i))
    s.close()
def open_fds():
    found = {}
    for fd in (int(name) for name in os.listdir("/proc/self/fd")):
        try:
            found[fd] = os.readlink("/proc/self/fd/%d" % fd)
        except FileNotFoundError:  # listdir's own
            pass
    return {fd: name for fd, name in found.items() if 3 <= fd < 2000}
shims = open_fds()
if ctypes.CDLL(None, use_errno=True).close_range(3, 1999, 0) != 0:
    print("close_range:", os.strerror(ctypes.get_errno()))
after = open_fds()
print("shim fds: %d, lost: %d" % (len(shims), sum(1 for fd, name in shims.items() if after.get(fd) != name)))
live = socket.socket(fileno=mine.pop())
live.settimeout(20)
live.sendall(b"ping\n")
print("echo:", live.recv(100).decode().strip())
"""


def allow_1024_fds():
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def close_range_over_many_shim_fds(env_of):
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(close_at_once) as closing, \
            tcp_server(tcp_echo) as echo:
        with env_of(tmp, modem) as env:
            result = run([sys.executable, "-c", CLOSE_RANGE_CLIENT, str(closing.server_address[1]),
                          str(echo.server_address[1]), "130"], env, timeout=150, text=True,
                         preexec_fn=allow_1024_fds)
        shim_fds = re.search(r"shim fds: (\d+), lost: (\d+)", result.stdout)
        check(shim_fds and int(shim_fds.group(1)) > 128, "fewer of the shim's fds than meant: %r %r"
              % (result.stdout, result.stderr[-2000:]))
        check(shim_fds.group(2) == "0", "close_range() closed the shim's own fds: %r" % result.stdout)
        check("echo: ping" in result.stdout, "the live connection did not survive close_range(): %r %r"
              % (result.stdout, result.stderr[-2000:]))


@contextlib.contextmanager
def in_process(tmp, modem, **settings):
    yield modem.env(**settings)


@contextlib.contextmanager
def through_st87d(tmp, modem, **settings):
    with st87d(tmp, modem, **settings) as daemon:
        yield daemon.env()


def case_close_range_over_more_than_128_shim_fds():
    close_range_over_many_shim_fds(in_process)


def case_close_range_over_more_than_128_shim_fds_through_st87d():
    close_range_over_many_shim_fds(through_st87d)


# An unconnected UDP socket: each datagram goes where sendto() says, answers name their sender, send()
# without a destination fails as on a kernel socket (the shim once sent it where the engine last sent), a
# write() (which the shim does not see) is dropped with a line, not sent to an address made of its bytes, and
# connect() names where send() goes until connect(AF_UNSPEC), as on a kernel socket.
UNCONNECTED_UDP = r"""
import ctypes, errno, os, socket, sys
first, second = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
for port, text in ((first, b"to first"), (second, b"to second")):
    s.sendto(text, ("127.0.0.1", port))
    data, source = s.recvfrom(100)
    print("answer:", data.decode(), "from", source[1] == port)
try:
    s.send(b"nowhere")
    print("send: sent")
except OSError as error:
    print("send:", errno.errorcode.get(error.errno, error.errno))
os.write(s.fileno(), b"written, not sent" * 12)  # libc's write(): no destination either
s.sendto(b"again", ("127.0.0.1", first))
data, source = s.recvfrom(100)
print("answer:", data.decode(), "from", source[1] == first)
s.connect(("127.0.0.1", second))  # as on a kernel socket: where send() goes from now on
s.send(b"connected")
data, source = s.recvfrom(100)
print("answer:", data.decode(), "from", source[1] == second, "peer", s.getpeername()[1] == second)
unspecified = ctypes.create_string_buffer(16)  # AF_UNSPEC: forget the destination
print("disconnect:", ctypes.CDLL(None).connect(s.fileno(), unspecified, 16))
try:
    s.send(b"nowhere again")
    print("send after disconnect: sent")
except OSError as error:
    print("send after disconnect:", errno.errorcode.get(error.errno, error.errno))
"""


def case_unconnected_udp_send_needs_a_destination():
    first_received, second_received = [], []
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server(received=first_received) as first, \
            udp_echo_server(received=second_received) as second:
        result = run([sys.executable, "-c", UNCONNECTED_UDP, str(first), str(second)], modem.env(), timeout=60,
                     text=True)
        out = result.stdout
        check("answer: to first from True" in out and "answer: to second from True" in out,
              "answers missing or from the wrong sender: %r %r" % (out, result.stderr))
        check("send: EDESTADDRREQ" in out, "send() without a destination did not fail: %r" % out)
        check("needs a destination" in result.stderr, "no line says why send() failed: %r" % result.stderr)
        check("without a destination" in result.stderr, "no line says a write() was dropped: %r" % result.stderr)
        check("answer: again from True" in out, "the socket did not survive the write(): %r %r" % (out, result.stderr))
        check("answer: connected from True peer True" in out, "connect() did not set the destination: %r %r"
              % (out, result.stderr))
        check("disconnect: 0" in out and "send after disconnect: EDESTADDRREQ" in out,
              "connect(AF_UNSPEC) did not forget it: %r" % out)
        check(first_received == [b"to first", b"again"] and second_received == [b"to second", b"connected"],
              "datagrams went astray: %r %r" % (first_received, second_received))


# Datagrams to an echo server until the modem's reboot fails the socket; then what the program gets from it.
FAILED_UDP = r"""
import errno, socket, sys
port, connected = int(sys.argv[1]), sys.argv[2] == "connected"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(20)
if connected:
    s.connect(("127.0.0.1", port))
send = (lambda data: s.send(data)) if connected else (lambda data: s.sendto(data, ("127.0.0.1", port)))

def outcome(call):
    try:
        return repr(call())
    except OSError as error:
        return errno.errorcode.get(error.errno, "timeout")

# Bursts: datagrams wait unread in the shim's socketpair when the modem goes (its reset is no answer either).
for i in range(200):
    failure = outcome(lambda: ([send(b"round %d.%d" % (i, j)) for j in range(8)], s.recv(100)))
    if not failure.startswith("("):
        print("failed:", failure)
        break
# Echoes that came before the failure are still there to read; then the failure, and only it.
for _ in range(100):
    first = outcome(lambda: s.recv(100))
    if not first.startswith("b"):
        break
print("then:", first, outcome(lambda: s.recv(100)), outcome(lambda: send(b"x")), outcome(lambda: s.recv(100)))
"""


def failed_udp_socket_keeps_saying_why(env_of):
    """A UDP socket the modem's restart failed: every later recv and send gives its error (ENETDOWN), never a
    zero-length datagram a receive loop would spin on, nor the socketpair's EPIPE or ECONNRESET; connected and
    unconnected."""
    for mode in ("connected", "unconnected"):
        with workdir() as tmp, fake_modem(tmp, "--reboot-after", "30") as modem, udp_echo_server() as port:
            with env_of(tmp, modem) as env:
                result = run([sys.executable, "-c", FAILED_UDP, str(port), mode], env, timeout=120, text=True)
            check("failed: ENETDOWN" in result.stdout, "%s: the reboot did not fail the socket with ENETDOWN: %r %r"
                  % (mode, result.stdout, result.stderr))
            check("then: ENETDOWN ENETDOWN ENETDOWN ENETDOWN" in result.stdout,
                  "%s: the failed socket then gave %r" % (mode, result.stdout))
            check("the modem restarted" in result.stderr, "%s: no line says why: %r" % (mode, result.stderr))


# A datagram socket whose echo is queued for the program (peeked, not read) when the modem stops answering,
# with the program's next datagrams unread by the engine (it waits for the modem): the engine's end is
# closed with them unread, a reset on the program's end.
QUEUED_THEN_FAILED_UDP = r"""
import errno, select, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(60)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(b"before the failure")
s.recv(100, socket.MSG_PEEK)
print("queued", flush=True)
sys.stdin.readline()
s.send(b"during")
s.send(b"unread")
# Only the failure wakes this (the echo waiting is no hang-up): the recvs below come after it.
hang_up = select.poll()
hang_up.register(s, select.POLLRDHUP)
hang_up.poll(60000)
def outcome():
    try:
        return repr(s.recv(100))
    except OSError as error:
        return errno.errorcode.get(error.errno, "timeout")
print("then:", outcome(), outcome(), outcome())
"""


def failed_udp_socket_gives_earlier_data_first(env_of):
    """The data that came before a failure first, then the error for ever: one order, always."""
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server() as port:
        with env_of(tmp, modem, ST87_DEADLINE_PERCENT=test_deadline_percent()) as env:
            program = subprocess.Popen([sys.executable, "-c", QUEUED_THEN_FAILED_UDP, str(port)], env=env,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
            try:
                check(program.stdout.readline().strip() == "queued", "the echo never came")
                os.kill(modem.process.pid, signal.SIGSTOP)  # the modem stops answering
                program.stdin.write("go\n")
                program.stdin.flush()
                out, err = program.communicate(timeout=120)
            finally:
                os.kill(modem.process.pid, signal.SIGCONT)
                if program.poll() is None:
                    program.kill()
        outcomes = out.strip()
        check(re.fullmatch(r"then: b'before the failure' (E[A-Z]+) \1", outcomes) is not None,
              "not the data first and then the failure: %r %r" % (outcomes, err))


def case_failed_udp_socket_gives_earlier_data_first():
    failed_udp_socket_gives_earlier_data_first(in_process)


def case_failed_udp_socket_gives_earlier_data_first_through_st87d():
    failed_udp_socket_gives_earlier_data_first(through_st87d)


def case_failed_udp_socket_keeps_saying_why():
    failed_udp_socket_keeps_saying_why(in_process)


def case_failed_udp_socket_keeps_saying_why_through_st87d():
    failed_udp_socket_keeps_saying_why(through_st87d)


# Connects once a second: the first only connects and closes (nine AT commands from the modem's start, under
# either firmware profile, so that faults can be placed after them), the others send a line and read its echo.
RECONNECTS = r"""
import errno, socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
for attempt in range(count):
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        if attempt:
            connection.sendall(b"attempt %d\n" % attempt)
            print(attempt, "echo:", connection.recv(100).decode().strip(), flush=True)
        else:
            print(attempt, "connected", flush=True)
        connection.close()
    except OSError as error:
        print(attempt, "failed:", errno.errorcode.get(error.errno, "timeout"), flush=True)
    time.sleep(1)
"""


def reconnects(env, port, count):
    result = run([sys.executable, "-c", RECONNECTS, str(port), str(count)], env, timeout=150, text=True)
    return result, [line.split(" ", 1)[1] for line in result.stdout.splitlines()]


def case_modem_restarting_in_its_start_up_is_started_again():
    """The modem restarts while it is being started (at ATE0, AT+CMEE=1, AT#SLEEPMODE? or AT#IPCFG?): the start-up
    begins again, and the first connect works; nothing waits for an answer the restart took."""
    for command in (1, 2, 3, 4):
        with workdir() as tmp, fake_modem(tmp, "--reboot-after", str(command)) as modem, \
                tcp_server(tcp_echo) as server:
            result, outcomes = reconnects(modem.env(), server.server_address[1], 2)
            check(outcomes == ["connected", "echo: attempt 1"],
                  "restart at command %d: %r %r" % (command + 1, result.stdout, result.stderr))


def modem_silent_in_a_restart_is_opened_again(env_of):
    """The modem restarts (at the second connection's first command), then answers the start-up's probe and
    nothing more for 3 s, as after a hang: the connects meanwhile fail with a reason, and once it answers
    again a connect opens it afresh and works (it was given up for good). The deadlines are a tenth of the
    usual (ATE0's 1.5 s), so 3 s of silence is a modem that stopped answering, not a slow answer."""
    with workdir() as tmp, tcp_server(tcp_echo) as server, \
            fake_modem(tmp, "--reboot-after", "9", "--stall-after", "10", "--stall-for", "3000") as modem:
        with env_of(tmp, modem, ST87_DEADLINE_PERCENT=10) as env:
            result, outcomes = reconnects(env, server.server_address[1], 9)
        check(outcomes[0] == "connected", "the first connect: %r %r" % (result.stdout, result.stderr))
        failed = [outcome for outcome in outcomes if outcome.startswith("failed")]
        check(failed and all(outcome in ("failed: ENETDOWN", "failed: ECONNRESET") for outcome in failed),
              "the connects while the modem was silent: %r" % outcomes)
        check(outcomes[-3:] == ["echo: attempt %d" % attempt for attempt in (6, 7, 8)],
              "the connects after the modem answered again: %r %r" % (outcomes, result.stderr))
        # In-process or from st87d, the program's stderr says why each connect failed.
        check("the modem restarted" in result.stderr and "ATE0: no answer" in result.stderr,
              "no line said why: %r" % result.stderr)


def case_modem_silent_in_a_restart_is_opened_again():
    modem_silent_in_a_restart_is_opened_again(in_process)


def case_modem_silent_in_a_restart_is_opened_again_through_st87d():
    modem_silent_in_a_restart_is_opened_again(through_st87d)


# st87d's protocol (src/wire/wire.h: ST87D_MAGIC, ST87D_VERSION), as tests/fuzz/make-corpus.py writes it.
WIRE_MAGIC, WIRE_VERSION = 0x53543837, 2


def open_socket_request(port, filler, kind=socket.SOCK_DGRAM):
    """st87d's OPEN_SOCKET for a UDP (or @kind) socket to 127.0.0.1:port (src/wire/wire.h), as a client could forge it."""
    address = struct.pack("@H", socket.AF_INET) + struct.pack("!H4s", port, socket.inet_aton("127.0.0.1"))
    # magic, version, kind, domain, type, flags, local_port, filler, rai; remote, remote_len; ip_version,
    # timeout_ms, name: the C struct's layout on this machine (440 bytes, remote 8-aligned).
    return struct.pack("@IIIiiiiIi4x128sIii256s4x", WIRE_MAGIC, WIRE_VERSION, 1, socket.AF_INET, kind, 0, 0,
                       filler, 0, address.ljust(128, b"\0"), 16, 0, 0, b"")


def case_daemon_refuses_a_client_that_lies():
    # A client announcing filler it never wrote must not hold st87d's engine: it is refused, others go on.
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, udp_echo_server() as port:
        liar = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        liar.connect(daemon.socket)
        program_end, engine_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        liar.sendmsg([open_socket_request(port, 4096)],
                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", engine_end.fileno()))])
        liar.settimeout(10)
        reply = liar.recv(1024)
        kind, error = struct.unpack("@IIi", reply[:12])[1:]
        check(kind == 2 and error == errno.EINVAL, "the lie was not refused: kind %d error %d" % (kind, error))
        client = run([sys.executable, "-c", EMPTY_DATAGRAM, str(port)], daemon.env(), timeout=60, text=True)
        check("echo: two" in client.stdout, "st87d stopped serving after a lying client: %r" % client.stderr)
        for s in (liar, program_end, engine_end):
            s.close()


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_hardening.py")
