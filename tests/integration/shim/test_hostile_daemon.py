#!/usr/bin/env python3
"""st87d and its clients when one of them is hostile: forged pair ends, floods of silent
connections, a socket path another user could take, a daemon run by another user.

Usage: test_hostile_daemon.py CASE   (meson runs each case as its own test)
"""
import errno
import os
import socket
import stat
import struct
import subprocess
import sys
import time

from fakemodem_fixture import check, stop_process, udp_echo_server, wait_for, workdir
from harness import Paths, fake_modem, run, run_case, shim_environment, st87d, tcp_server
from test_daemon import BLOCKING_CONNECT, holder_server, st87ctl
from test_hardening import EMPTY_DATAGRAM, open_socket_request

NOBODY = 65534
AS_NOBODY = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
# The system's python: another user may not reach a python under root's home.
SYSTEM_PYTHON = "/usr/bin/python3"

# st87d's reply (src/wire/wire.h): magic, kind, error, version, datagram_limit, ipv4[64], ipv6[64], text[512].
REPLY_FAILED = 2
REPLY_TEXT_AT = 20 + 64 + 64


def needs_root():
    if os.geteuid() != 0:
        print("skipped: needs root to run a client as another user")
        sys.exit(77)


def reply_fields(reply):
    """(kind, error, text) of one st87d reply."""
    kind, error = struct.unpack("@IIi", reply[:12])[1:]
    return kind, error, reply[REPLY_TEXT_AT:].split(b"\0")[0].decode(errors="replace")


def forged_open(daemon, port, pair_end):
    """Asks @daemon for a TCP socket to @port with @pair_end as the engine's end; its first reply."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    client.connect(daemon.socket)
    client.sendmsg([open_socket_request(port, 0, socket.SOCK_STREAM)],
                   [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", pair_end.fileno()))])
    client.settimeout(20)
    try:
        return reply_fields(client.recv(1024))
    finally:
        client.close()


# Listens on a Unix stream socket at argv[1], says so, and holds what connects until stdin closes.
OTHER_PROCESS_LISTENER = r"""
import socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen(4)
print("listening", flush=True)
held = listener.accept()
sys.stdin.read()
"""


def case_pair_end_must_be_the_requesters_own_pair():
    # A listening socket once pinned st87d at 100 % CPU and kept the modem's TCP socket for ever; an end
    # with no peer, or whose peer is another process, is no pair of the program's either.
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, \
            tcp_server(holder_server) as server:
        port = server.server_address[1]
        listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listening.bind(os.path.join(tmp, "listening.sock"))
        listening.listen(4)
        unconnected = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other_path = os.path.join(tmp, "other.sock")
        other = subprocess.Popen([sys.executable, "-c", OTHER_PROCESS_LISTENER, other_path],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            check(other.stdout.readline().strip() == "listening", "the other process did not listen")
            to_other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            to_other.connect(other_path)
            for what, end in (("a listening socket", listening), ("a socket with no peer", unconnected),
                              ("a socket whose peer is another process", to_other)):
                kind, error, text = forged_open(daemon, port, end)
                check(kind == REPLY_FAILED and error == errno.EINVAL,
                      "%s was taken as a pair end: reply %d, error %d, %r" % (what, kind, error, text))
                print("%s: refused: %s" % (what, text))
            # What the listening socket did to st87d: a connection pending on it made its end readable.
            poker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            poker.connect(os.path.join(tmp, "listening.sock"))
            check("AT#SOCKETCREATE=" not in modem.trace(), "a forged pair end got a modem socket:\n" + modem.trace())
            check("no sockets open" in st87ctl(daemon, "status").stdout, "a forged pair end holds a socket")
            before = cpu_seconds(daemon.process.pid)
            time.sleep(2)
            busy = cpu_seconds(daemon.process.pid) - before
            check(busy < 1, "st87d used %.1f s of CPU in 2 s with nothing to do" % busy)
            check(daemon.log().count("pair end") >= 3, "st87d did not log why it refused:\n" + daemon.log())
            poker.close()
            to_other.close()
        finally:
            stop_process(other)
            listening.close()
            unconnected.close()
        # The program's own pair still goes through.
        with udp_echo_server() as echo_port:
            client = run([sys.executable, "-c", EMPTY_DATAGRAM, str(echo_port)], daemon.env(), timeout=60, text=True)
            check("echo: two" in client.stdout, "a program's own pair was refused: %r" % client.stderr)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Holds COUNT silent connections to st87d's socket for SECONDS: each one st87d closes or answers is
# dialled again; prints how many st87d refused and the first refusal's text.
FLOODER = r"""
import select, socket, sys, time
path, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def dial():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s
held = [dial() for _ in range(count)]
print("open", len(held), flush=True)
refusals = []
end = time.monotonic() + seconds
while time.monotonic() < end:
    ready, _, _ = select.select(held, [], [], 0.1)
    for s in ready:
        try:
            reply = s.recv(1024)
        except OSError:
            reply = b""
        if len(reply) > %d:
            refusals.append(reply[%d:].split(b"\0")[0].decode(errors="replace"))
        s.close()
        held.remove(s)
        held.append(dial())
print("refused", len(refusals), refusals[0] if refusals else "-", flush=True)
""" % (REPLY_TEXT_AT, REPLY_TEXT_AT)


def case_silent_connections_of_one_user_delay_no_other():
    # Once, each silent connection held st87d's one accepting thread for 2 s: 30 of them held a status 60 s.
    needs_root()
    with workdir() as tmp, fake_modem(tmp) as modem:
        os.chmod(tmp, 0o755)
        with st87d(tmp, modem, "--mode", "0666", "--group", "") as daemon, udp_echo_server() as echo_port:
            flood = subprocess.Popen(AS_NOBODY + [SYSTEM_PYTHON, "-c", FLOODER, daemon.socket, "30", "10"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                check(flood.stdout.readline().strip() == "open 30", "the flood did not connect")
                started = time.monotonic()
                status = st87ctl(daemon, "status")
                took = time.monotonic() - started
                check(status.returncode == 0, "status during the flood: %r" % status.stderr)
                check(took < 5, "status took %.1f s during a flood of another user's connections" % took)
                started = time.monotonic()
                client = run([sys.executable, "-c", EMPTY_DATAGRAM, str(echo_port)], daemon.env(), timeout=60,
                             text=True)
                took_udp = time.monotonic() - started
                check("echo: two" in client.stdout, "a program during the flood: %r" % client.stderr)
                check(took_udp < 10, "a program's exchange took %.1f s during the flood" % took_udp)
                print("during the flood: status in %.2f s, a UDP program in %.2f s" % (took, took_udp))
                out, err = flood.communicate(timeout=60)
            finally:
                stop_process(flood)
            refused = out.split("refused ", 1)[-1]
            check(int(refused.split()[0]) > 0 and "open requests" in refused,
                  "the flood's connections beyond the cap were not refused: %r %r" % (out, err))
            check("open requests" in daemon.log(), "st87d did not log the refusals")


def start_daemon_expecting_refusal(socket_path, modem):
    """st87d serving @socket_path in the foreground, which must refuse to start: its stderr."""
    env = dict(os.environ, ST87_PORT=modem.link)
    env.pop("LD_PRELOAD", None)
    daemon = subprocess.Popen([Paths.st87d, "-f", "--socket", socket_path], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        _, err = daemon.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        stop_process(daemon)
        raise AssertionError("st87d served %s: %s" % (socket_path, daemon.stderr.read()))
    check(daemon.returncode == 1, "st87d on %s exited with %d: %r" % (socket_path, daemon.returncode, err))
    check(len(err.strip().splitlines()) == 1, "not one line says why: %r" % err)
    return err


def case_socket_directory_others_can_write_is_refused():
    # Where another user can write, he can take the socket's name first and receive root's pair ends.
    needs_root()
    with workdir() as tmp, fake_modem(tmp) as modem:
        os.chmod(tmp, 0o755)
        for mode in (0o777, 0o1777, 0o770):
            directory = os.path.join(tmp, "shared-%o" % mode)
            os.mkdir(directory)
            os.chmod(directory, mode)
            err = start_daemon_expecting_refusal(os.path.join(directory, "st87d.sock"), modem)
            check("writable" in err and directory in err, "the refusal does not say why: %r" % err)
            check(not os.path.exists(os.path.join(directory, "st87d.sock")), "a socket was left in " + directory)
        others = os.path.join(tmp, "nobodys")
        os.mkdir(others, 0o755)
        os.chown(others, NOBODY, NOBODY)
        err = start_daemon_expecting_refusal(os.path.join(others, "st87d.sock"), modem)
        check("owned by uid %d" % NOBODY in err, "the refusal of another user's directory: %r" % err)
        # A file that is not a socket is no dead daemon's: it stays.
        precious = os.path.join(tmp, "precious")
        with open(precious, "w") as f:
            f.write("keep me")
        err = start_daemon_expecting_refusal(precious, modem)
        check("not a socket" in err, "the refusal of a file that is not a socket: %r" % err)
        with open(precious) as f:
            check(f.read() == "keep me", "st87d removed a file that is not a socket")
        # The mode is the socket's from its first moment (umask at bind, not chmod after).
        with st87d(tmp, modem, "--mode", "0600", "--group", "root") as daemon:
            made = os.lstat(daemon.socket)
            check(stat.S_ISSOCK(made.st_mode) and stat.S_IMODE(made.st_mode) == 0o600 and made.st_gid == 0,
                  "the socket file: mode %o gid %d" % (made.st_mode, made.st_gid))


# Another user's stand-in for st87d: listens at argv[1] and says what the first client handed it.
FAKE_DAEMON = r"""
import socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
listener.bind(sys.argv[1])
listener.listen(4)
print("listening", flush=True)
listener.settimeout(60)
connection, _ = listener.accept()
connection.settimeout(10)
try:
    message, fds, _, _ = socket.recv_fds(connection, 1024, 4)
    print("got %d bytes and %d fds" % (len(message), len(fds)), flush=True)
except OSError:
    print("got nothing", flush=True)
"""


def connect_through_fake_daemon(directory, tcp_port):
    """A program routes a connect through another user's fake daemon at @directory/st87d.sock: (its output,
    its stderr, what the fake daemon got)."""
    path = os.path.join(directory, "st87d.sock")
    fake = subprocess.Popen(AS_NOBODY + [SYSTEM_PYTHON, "-c", FAKE_DAEMON, path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        if fake.stdout.readline().strip() != "listening":
            raise AssertionError("the fake daemon did not listen: " + fake.communicate(timeout=30)[1])
        env = shim_environment(ST87_DAEMON=path, ST87_ROUTE="127.0.0.1/32", ST87_PORT="/dev/null/no-port",
                               ST87_CONNECT_TIMEOUT=5000)
        program = run([sys.executable, "-c", BLOCKING_CONNECT, str(tcp_port)], env, timeout=60, text=True)
        got, _ = fake.communicate(timeout=30)
    finally:
        stop_process(fake)
    return program.stdout, program.stderr, got.strip()


def case_program_refuses_a_daemon_of_another_user():
    # Another user took the socket's name in a directory anyone can write: the program hands him nothing.
    needs_root()
    with workdir() as tmp, tcp_server(holder_server) as server:
        os.chmod(tmp, 0o755)
        shared = os.path.join(tmp, "shared")
        os.mkdir(shared)
        os.chmod(shared, 0o1777)
        out, err, got = connect_through_fake_daemon(shared, server.server_address[1])
        check(got in ("got 0 bytes and 0 fds", "got nothing"), "the program handed another user's daemon: " + got)
        check(out.startswith("error EACCES"), "the connect: %r %r" % (out, err))
        lines = [line for line in err.splitlines() if "uid %d" % NOBODY in line]
        check(len(lines) == 1 and "st87d.sock" in lines[0], "no one line says why: %r" % err)
        print("refused: " + lines[0])
        # A daemon run by the user who owns the socket and its directory, which no one else may write.
        own = os.path.join(tmp, "nobodys")
        os.mkdir(own, 0o755)
        os.chown(own, NOBODY, NOBODY)
        out, err, got = connect_through_fake_daemon(own, server.server_address[1])
        check(got == "got %d bytes and 1 fds" % len(open_socket_request(0, 0)),
              "the daemon of the socket's owner was not asked: %r %r %r" % (got, out, err))


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_hostile_daemon.py")
