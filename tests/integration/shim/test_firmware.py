#!/usr/bin/env python3
"""What real firmware does differently (docs/PROTOCOL.md), with real programs through the shim.

Each case runs under both fake-modem profiles (ST87_FAKEMODEM_PROFILE note and maker) and adds
the fault or variant switches it is about.

Usage: test_firmware.py CASE   (meson runs each case as its own test)
"""
import collections
import contextlib
import errno
import json
import os
import random
import re
import socket
import subprocess
import sys
import time

from fakemodem_fixture import CID, PROFILE, assert_no_modem_socket_left, check, udp_echo_server, workdir
from harness import EVERYTHING_AND_LOOPBACK, Paths, fake_modem, free_port, http_server, random_file, run, sha256_file, run_case, st87d, \
    tcp_echo, tcp_server

# A client that fetches /big.bin twice in one process: the link is lost during the first fetch and
# must be back for the second, without restarting the program.
FETCH_TWICE = r"""
import errno, hashlib, socket, sys
port = int(sys.argv[1])
def fetch():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
    data = s.makefile("rb").read()
    s.close()
    return data.split(b"\r\n\r\n", 1)[1]
try:
    fetch()
    print("first: complete")
except OSError as e:
    print("first: errno %s" % e.errno)  # None: a timeout
print("second: " + hashlib.sha256(fetch()).hexdigest())
"""

# A UDP exchange, a TCP connection whose send the modem fails, then the UDP socket again.
UDP_SURVIVES_TCP_ERROR = r"""
import socket, sys
udp_port, tcp_port = int(sys.argv[1]), int(sys.argv[2])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(10)
u.connect(("127.0.0.1", udp_port))
u.send(b"before")
print("udp1: " + u.recv(100).decode())
t = socket.create_connection(("127.0.0.1", tcp_port), timeout=10)
try:
    t.sendall(b"x" * 2000)
    data = t.recv(100)
    print("tcp: no error, got %r" % data)
except OSError as e:
    print("tcp: errno %d" % e.errno)
t.close()
u.send(b"after")
print("udp2: " + u.recv(100).decode())
"""

# A UDP socket bound to a port before its first datagram: the peer sees that port.
BOUND_UDP = r"""
import socket, sys
server_port, local_port = int(sys.argv[1]), int(sys.argv[2])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", local_port))
u.settimeout(10)
u.sendto(b"from a bound port", ("127.0.0.1", server_port))
print(u.recv(100).decode())
"""


# A download whose server closes, then a second connection left idle for 3 s.
CLOSE_THEN_IDLE = r"""
import socket, sys, time
closing_port, idle_port = int(sys.argv[1]), int(sys.argv[2])
first = socket.create_connection(("127.0.0.1", closing_port), timeout=20)
data = first.makefile("rb").read()
first.close()
print("first:", len(data))
time.sleep(0.5)
second = socket.create_connection(("127.0.0.1", idle_port), timeout=20)
second.sendall(b"ping")
print("second:", second.recv(100).decode())
time.sleep(3)
second.close()
"""


def python_through_shim(modem, script, *args, **env):
    return run(["python3", "-c", script, *map(str, args)], modem.env(**env), timeout=90)


def upload(modem, server, size, tmp, **env):
    body = os.path.join(tmp, "body.bin")
    digest = random_file(body, size)
    result = run(["curl", "--silent", "--show-error", "--fail", "--max-time", "60", "--data-binary", "@" + body,
                  "-H", "Content-Type: application/octet-stream",
                  "http://127.0.0.1:%d/upload" % server.server_port], modem.env(**env))
    check(result.returncode == 0, "curl POST failed: %s" % result.stderr)
    check(server.posted[-1] == (size, digest), "the server got %r" % server.posted[-1:])
    return result


def get_file(modem, server, tmp, size):
    """curl GET of a fresh random file of @size bytes; checks it came byte-exact."""
    digest = random_file(os.path.join(tmp, "f.bin"), size)
    out = os.path.join(tmp, "got.bin")
    result = run(["curl", "--silent", "--show-error", "--fail", "-o", out,
                  "http://127.0.0.1:%d/f.bin" % server.server_port], modem.env())
    check(result.returncode == 0, "curl GET failed: %s" % result.stderr)
    check(sha256_file(out) == digest, "GET differs")


def send_sizes(trace):
    """The <len> of every binary AT#IPSENDTCP in a fake-modem trace."""
    return [int(m.group(1)) for m in re.finditer(r"> AT#IPSENDTCP=\d+,\d+,1,(\d+)", trace)]


def case_send_handshake_learned():
    # Whatever the firmware, the upload is byte-exact and the handshake is found on the first send.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        upload(modem, server, 200 * 1024, tmp)
        sizes = send_sizes(modem.trace())
        modem.stop()
        queries = modem.host_commands().count("AT+CMEE?")
        if PROFILE == "maker":
            check(max(sizes) == 1024, "the maker's firmware takes 1024-byte sends: %r" % sorted(set(sizes)))
            check(modem.stats()["send_handshake"] == "two", "stats: %r" % modem.stats())
            # None when the line's OK came within the detection's wait; one when a loaded machine made it late.
            check(queries <= 1, "two-step firmware, yet AT+CMEE? was asked %d times" % queries)
        else:
            check(max(sizes) == 512, "the note's firmware gets 512-byte sends: %r" % sorted(set(sizes)))
            # One-step was found by silence; one query rules out a slow two-step modem's second answer.
            check(queries == 1, "AT+CMEE? after the first one-step send: %d times, not once" % queries)
        check(modem.stats()["open_sockets"] == 0, "modem sockets left open")


def case_send_handshake_configured():
    # ST87_SEND_HANDSHAKE names the firmware's handshake: nothing is learned (no wait after the first line, no
    # AT+CMEE?, no line saying what was found), the upload is byte-exact, and st87d's status says how sends go
    # before any was made.
    handshake, limit = ("two-step", 1024) if PROFILE == "maker" else ("one-step", 512)
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        result = upload(modem, server, 64 * 1024, tmp, ST87_SEND_HANDSHAKE=handshake, ST87_LOG="info")
        check(b"takes binary sends" not in result.stderr, "the handshake was learned: %r" % result.stderr)
        check("AT+CMEE?" not in modem.host_commands(), "a configured handshake was confirmed by a query")
        check(max(send_sizes(modem.trace())) == limit, "sends of %r" % sorted(set(send_sizes(modem.trace()))))
        with st87d(tmp, modem, ST87_SEND_HANDSHAKE=handshake) as daemon:
            env = dict(os.environ, ST87_DAEMON=daemon.socket)
            env.pop("LD_PRELOAD", None)
            status = run([Paths.st87ctl, "status"], env, text=True).stdout
            expected = "binary sends %s, up to %d bytes" % (handshake, limit)
            check(expected in status, "st87ctl status does not say %r: %r" % (expected, status))


def case_send_size_shrinks():
    # A modem that takes only 300 bytes: each refused size (2146) is tried once, 256 is remembered.
    # Learning from a refusal is safe only where the data waits for the line's answer (two-step);
    # one-step firmware is trusted to take the note's 512.
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--max-send", "300", "--send-handshake", "two") as modem:
        upload(modem, server, 64 * 1024, tmp)
        sizes = send_sizes(modem.trace())
        check(sizes.count(512) <= 1 and sizes.count(1024) <= 1, "a refused size was tried again: %r" % sizes)
        last_refused = max(i for i, size in enumerate(sizes) if size > 300)
        check(max(sizes[last_refused + 1:]) == 256, "not shrunk to 256: %r" % sizes[:8])
        assert_no_modem_socket_left(modem)


def case_hex_counted_as_characters():
    # Hex sends (ST87_HEX=1) carry no length field. Firmware that counts hex characters against its
    # limit refuses 512 bytes (1024 characters) on the note's 512, and the shim goes down to 256.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--hex-counts-chars") as modem:
        upload(modem, server, 32 * 1024, tmp, ST87_HEX="1")
        trace = modem.trace()
        hex_sends = re.findall(r"> AT#IPSENDTCP=\d+,\d+,2,([0-9A-F]+)\n", trace)
        check(hex_sends, "no hex sends")
        if PROFILE == "note":
            check("2146" in trace, "the modem never refused a hex line")
            check(max(len(data) for data in hex_sends[1:]) <= 512, "hex lines above the limit went on")
        assert_no_modem_socket_left(modem)


def case_read_frames_up_to_1600():
    # Real firmware hands out one IP frame per AT#IPREAD, up to 1600 bytes.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--read-chunk", "1600") as modem:
        get_file(modem, server, tmp, 300 * 1024)
        check(re.search(r"< #IPREAD: \d+,\d+,1600\n", modem.trace()), "no 1600-byte read")
        assert_no_modem_socket_left(modem)


def case_connect_retried():
    # A radio still waking refuses twice; the third try connects.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--refuse-connects", "2") as modem:
        get_file(modem, server, tmp, 40 * 1024)
        check(modem.trace().count("> AT#TCPCONNECT=") == 3, "not three tries")
        # A port nothing listens on: still refused, after the retries, with the reason.
        started = time.monotonic()
        result = run(["curl", "--silent", "--show-error", "http://127.0.0.1:%d/" % free_port()], modem.env())
        elapsed = time.monotonic() - started
        check(result.returncode == 7, "refused: curl exit %d" % result.returncode)
        check(b"refused or unreachable" in result.stderr and b"3 tries" in result.stderr,
              "no reason given: %r" % result.stderr)
        print("refused connection reported after %.2f s" % elapsed)
        assert_no_modem_socket_left(modem)


def case_socket_error_stays_on_its_socket():
    # The modem fails the TCP socket's first send (2156): that socket fails, the UDP socket goes on.
    with workdir() as tmp, fake_modem(tmp, "--fail-send-after", "2", "--fail-send-code", "2156") as modem:
        with udp_echo_server() as udp_port, tcp_port(discard_until_closed) as tcp_port_number:
            result = python_through_shim(modem, UDP_SURVIVES_TCP_ERROR, udp_port, tcp_port_number)
        out = result.stdout.decode()
        check(result.returncode == 0, "client failed: %s %s" % (out, result.stderr))
        check("udp1: before" in out and "udp2: after" in out, "the UDP socket did not survive: %s" % out)
        check("tcp: errno %d" % errno.ECONNRESET in out, "the TCP socket did not fail: %s" % out)
        check(b"modem lost" not in result.stderr, "one socket's error took the modem: %r" % result.stderr)
        check(b"2156" in result.stderr, "the failure was not reported: %r" % result.stderr)
        check(modem.trace().count("> AT#SOCKETCREATE=%d,0,UDP" % CID) == 1, "the UDP socket was reopened")
        assert_no_modem_socket_left(modem)


def case_busy_modem_tried_again():
    # The modem refuses sends as busy (159 uplink busy, 536 UART buffer full, 537 back-off timer, 1120 its
    # application processor still starting): each refused send is tried again after a pause, and the upload
    # arrives byte-exact, with no socket failed.
    for code in ("159", "536", "537", "1120"):
        with workdir() as tmp, http_server(tmp) as server, \
                fake_modem(tmp, "--fail-send-after", "3", "--fail-send-code", code) as modem:
            body = os.path.join(tmp, "body.bin")
            digest = random_file(body, 64 * 1024)
            result = run(["curl", "-sS", "--data-binary", "@" + body, "http://127.0.0.1:%d/" % server.server_port],
                         modem.env(ST87_LOG="info"))
            check(result.returncode == 0, "%s: curl failed: %r" % (code, result.stderr))
            check(server.posted == [(64 * 1024, digest)], "%s: the server got %r" % (code, server.posted))
            check(("+CME ERROR: %s" % code).encode() in result.stderr and b"trying again" in result.stderr,
                  "%s: no line said the busy modem was tried again: %r" % (code, result.stderr))
            modem.stop()
            check(modem.trace().count("+CME ERROR: %s" % code) == 1, "%s: the refusal never came" % code)


def link_loss(urc, link_return):
    switches = ["--link-loss-after", "14", "--link-loss-urc", urc]
    if link_return:
        switches += ["--link-return", "300"]
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, *switches) as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), 512 * 1024)
        result = python_through_shim(modem, FETCH_TWICE, server.server_port)
        out = result.stdout.decode()
        check(result.returncode == 0, "%s: client failed: %s %s" % (urc, out, result.stderr))
        check("first: errno %d" % errno.ECONNRESET in out, "%s: the first fetch did not fail: %s" % (urc, out))
        check("second: " + digest in out, "%s: the second fetch is not byte-exact: %s" % (urc, out))
        check(b"lost its IP link" in result.stderr, "%s: the shim did not say why: %r" % (urc, result.stderr))
        modem.stop()
        stats = modem.stats()
        check(stats["link_losses"] == 1 and stats["open_sockets"] == 0, "%s: %r" % (urc, stats))


def case_link_loss_and_return():
    # Each way the network says the link is gone; it comes back by itself, or the shim brings it back.
    link_loss("nw-deact", link_return=True)
    link_loss("nw-detach", link_return=False)
    link_loss("ipcfg0", link_return=True)
    link_loss("cereg", link_return=False)


# Reads what the server sends first, then waits for more on the same connection.
READ_THEN_WAIT = r"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
print("first: %r" % s.recv(100))
try:
    print("then: %r" % s.recv(100))
except OSError as e:
    print("then: errno %s" % e.errno)
"""


def hello_then_silence(connection):
    connection.sendall(b"hello")
    with contextlib.suppress(OSError):
        while connection.recv(65536):
            pass


def case_link_loss_read_with_an_answer_resets_the_waiting_program():
    # The loss's line comes right behind the answer of the last command before the engine goes idle
    # (command 11: the link check after the empty read that followed "hello"), so it is read with that
    # answer and nothing wakes the engine for it: the program waiting for more must still get a reset,
    # not its own timeout (before: 20 s of waiting, then a timeout, for a loss or a +CEREG: 2 alike).
    # The loss is placed by command count; on a loaded machine the engine may run other commands first (the
    # count then lands in the connect, which fails with ECONNRESET): such a try never reached the wait this case
    # is about, and the case is tried again, up to five times.
    for urc in ("nw-detach", "cereg"):
        for attempt in range(5):
            with workdir() as tmp, tcp_server(hello_then_silence) as server, \
                    fake_modem(tmp, "--link-loss-after", "11", "--link-loss-urc", urc) as modem:
                result = python_through_shim(modem, READ_THEN_WAIT, server.server_address[1])
                out = result.stdout.decode()
                modem.stop()
                trace = modem.trace()
            before_loss = trace.split("[link lost]", 1)[0].splitlines()
            commands = [line for line in before_loss if line.startswith("> ")]
            lost_after_the_check = len(before_loss) < len(trace.splitlines()) and commands[-1] == "> AT#TCPCONNECT?"
            if "first:" not in out and attempt < 4:
                check(b"Connection reset" in result.stderr, "%s: a connect hit by the loss: %r" % (urc, result.stderr))
                continue
            check("first: b'hello'" in out and "then: errno %d" % errno.ECONNRESET in out,
                  "%s: the waiting program was not reset: %s %r" % (urc, out, result.stderr))
            check(lost_after_the_check,
                  "%s: the link was not lost right after the link check: %r" % (urc, commands[-3:]))
            break


def st87ctl_on_the_port(modem, *args):
    """st87ctl on the fake modem's port itself (no st87d), not through the shim."""
    env = dict(os.environ, ST87_DAEMON="off")
    env.pop("LD_PRELOAD", None)
    return subprocess.run([Paths.st87ctl, "--port", modem.link, *args], env=env, capture_output=True,
                          text=True, timeout=60)


def case_cfun_1_never_sent_while_the_radio_is_on():
    # AT+CFUN=1 while the radio is on drops the maker's IP stack (98): the driver never sends it, in
    # the start-up, in bringing back a link the network dropped (nothing brings it back by itself), or
    # in st87ctl doctor. Sent by hand, the switch bites: 98 with its text, and the link is gone.
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--cfun-1-drops-stack", "--link-loss-after", "14", "--link-loss-urc",
                       "nw-detach") as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), 512 * 1024)
        result = python_through_shim(modem, FETCH_TWICE, server.server_port)
        out = result.stdout.decode()
        check(result.returncode == 0 and "second: " + digest in out,
              "through the link loss: %s %r" % (out, result.stderr))
        doctor = st87ctl_on_the_port(modem, "doctor")
        check("ip link" in doctor.stdout, "doctor ran no checks: %r %r" % (doctor.stdout, doctor.stderr))
        check("AT+CFUN" not in modem.trace(), "the driver sent AT+CFUN")

        by_hand = st87ctl_on_the_port(modem, "at", "AT+CFUN=1")
        said = by_hand.stdout + by_hand.stderr
        check("+CME ERROR: 98" in said and "radio already on" in said, "AT+CFUN=1 by hand: %r" % said)
        link = st87ctl_on_the_port(modem, "at", "AT#IPCFG?")
        check("#IPCFG: %d,0" % CID in link.stdout, "the link after AT+CFUN=1: %r" % link.stdout)


def case_sockets_the_modem_kept_are_reclaimed():
    # The modem keeps its sockets through a link loss (a brief one, the PDN up): they are closed when
    # the link returns, so the second connection gets the one TCP socket instead of 2150.
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--link-loss-after", "14", "--link-return", "300",
                       "--keep-sockets-on-link-loss") as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), 512 * 1024)
        result = python_through_shim(modem, FETCH_TWICE, server.server_port, ST87_LOG="info")
        out = result.stdout.decode()
        check(result.returncode == 0 and "second: " + digest in out,
              "the second fetch failed: %s %s" % (out, result.stderr))
        check(b"which the modem kept and nothing here holds" in result.stderr,
              "the kept socket was not said to be closed: %r" % result.stderr)
        modem.stop()
        trace = modem.trace()
        check("+CME ERROR: 2150" not in trace, "a connect was refused 2150")
        check(trace.index("> AT#SOCKETCLOSE") > trace.index("link lost"), "no AT#SOCKETCLOSE after the loss")


def case_unexpected_2150_reclaims_what_no_one_holds():
    # A TCP socket no routed connection holds (made with st87ctl at through st87d, as one the modem kept
    # that nothing here knows): the next connect gets 2150, closes it, and connects.
    with workdir() as tmp, fake_modem(tmp) as modem, st87d(tmp, modem) as daemon, tcp_port(tcp_echo) as port:
        env = dict(os.environ, ST87_DAEMON=daemon.socket)
        env.pop("LD_PRELOAD", None)
        made = subprocess.run([Paths.st87ctl, "at", "AT#SOCKETCREATE=%d,0,TCP,,10,10,1" % CID], env=env,
                              capture_output=True, text=True, timeout=60)
        check(made.returncode == 0, "st87ctl at: %r %r" % (made.stdout, made.stderr))
        result = run([sys.executable, "-c", CONNECT_ONCE, str(port)], daemon.env())
        check(b"connect: ok" in result.stdout, "the connect after 2150: %r %r\n%s"
              % (result.stdout, result.stderr, daemon.log()))
        trace = modem.trace()
        check("+CME ERROR: 2150" in trace and "> AT#SOCKETCLOSE" in trace[trace.index("+CME ERROR: 2150"):],
              "the unknown socket was not closed after 2150")


def news_that_is_no_loss(switch, not_logged, logged):
    """Two fetches while the fake modem sends, after command line 14, a line that looks like a loss but is
    not (@switch): both complete byte-exact, the shim does not log @not_logged and does log @logged.
    Returns the fake modem's trace."""
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, switch, "14") as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), 512 * 1024)
        result = python_through_shim(modem, FETCH_TWICE, server.server_port, ST87_LOG="info")
        out = result.stdout.decode()
        check(result.returncode == 0 and "first: complete" in out and "second: " + digest in out,
              "%s: a fetch failed: %s %s" % (switch, out, result.stderr))
        check(not_logged not in result.stderr, "%s: taken as a loss: %r" % (switch, result.stderr))
        check(logged in result.stderr, "%s: not said: %r" % (switch, result.stderr))
        modem.stop()
        return modem.trace()


def case_searching_for_a_cell_while_the_link_is_up_is_no_loss():
    # +CEREG: 2 while AT#IPCFG? still shows the link up (the PDN and the sockets kept): nothing is reset.
    trace = news_that_is_no_loss("--cereg-2-while-up", b"lost its IP link", b"shows the link up: not a loss")
    check("> AT#IPCFG?" in trace[trace.index("< +CEREG: 2"):], "AT#IPCFG? was not asked after +CEREG: 2")


def case_simst_alone_is_no_restart():
    # #SIMST: 1 alone (a SIM refresh; Zephyr's driver only logs it): nothing is reset.
    trace = news_that_is_no_loss("--simst-without-reboot", b"restarted", b"without a restart")
    check("> AT+CMEE?" in trace[trace.index("< #SIMST: 1"):], "AT+CMEE? was not asked after #SIMST")


# A fetch the modem restarts during, then a name looked up through the modem and a second fetch by it.
FETCH_THEN_BY_NAME = r"""
import hashlib, socket, sys, time
port, NAME = int(sys.argv[1]), sys.argv[2]
def fetch(host):
    s = socket.create_connection((host, port), timeout=12)
    s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
    data = s.makefile("rb").read()
    s.close()
    return data.split(b"\r\n\r\n", 1)[1]
started = time.monotonic()
try:
    fetch("127.0.0.1")
    print("first: complete")
except OSError as e:
    print("first: %s after %.1f s" % (type(e).__name__, time.monotonic() - started))
print("name: " + socket.getaddrinfo(NAME, port, socket.AF_INET)[0][4][0])
print("second: " + hashlib.sha256(fetch(NAME)).hexdigest())
"""


def case_restart_announced_by_reboot_reset():
    # The maker's boot line #REBOOT_RESET (no #SIMST): the fetch in flight fails at once, echo off and
    # error codes on come first after it, and AT#DNS still resolves the name for the second fetch.
    with workdir() as tmp, http_server(tmp) as server, \
            fake_modem(tmp, "--reboot-after", "20", "--reboot-line", "#REBOOT_RESET", "--dns",
                       "--dns-entry", MODEM_NAME + "=127.0.0.1") as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), 512 * 1024)
        result = python_through_shim(modem, FETCH_THEN_BY_NAME, server.server_port, MODEM_NAME,
                                     route=EVERYTHING_AND_LOOPBACK, ST87_LOG="info")
        out = result.stdout.decode()
        check(result.returncode == 0, "client failed: %s %s" % (out, result.stderr))
        # A restart found only at the read's deadline would end in the program's own timeout (12 s) instead.
        first = re.search(r"first: (\w+) after", out)
        check(first and first.group(1) == "ConnectionResetError", "the first fetch did not fail with a reset: %s" % out)
        check("name: 127.0.0.1" in out and "second: " + digest in out, "after the restart: %s" % out)
        modem.stop()
        check(modem.stats()["reboots"] == 1, "the fake modem did not restart")
        after_boot = [line for line in modem.trace().split("< #REBOOT_RESET", 1)[1].splitlines()
                      if line.startswith("> ") and line != "> AT"]
        check(after_boot[:2] == ["> ATE0", "> AT+CMEE=1"],
              "after the restart, first: %r" % after_boot[:4])


def case_cme_error_without_a_code():
    # iLabs' firmware: "+CME ERROR" with no code. A refused connection fails at once (an error, not a
    # line to wait past until the deadline).
    with workdir() as tmp, fake_modem(tmp, "--cme-without-code") as modem:
        port = free_port()
        started = time.monotonic()
        result = python_through_shim(modem, CONNECT_ONCE, port, ST87_LOG="info")
        took = time.monotonic() - started
        out = result.stdout.decode()
        check("connect: errno" in out and took < 15, "after %.1f s: %s %s" % (took, out, result.stderr))
        check(b"an error without its code" in result.stderr, "not said: %r" % result.stderr)


CONNECT_ONCE = r"""
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60).close()
    print("connect: ok")
except OSError as e:
    print("connect: errno %s" % e.errno)
"""

# A name only the fake modem's AT#DNS knows.
MODEM_NAME = "modem-only.st87.test"

LOOK_UP_TWICE = r"""
import socket, sys
for _ in range(2):
    try:
        print("name: " + socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET)[0][4][0])
    except socket.gaierror as e:
        print("name: failed %s" % e)
"""


def case_dns_answers_as_the_maker_firmware_gives_them():
    # A TTL after the address (Mbed's "#DNS: <ip>,<ttl>"): kept to it, so TTL 0 is asked again.
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-ttl", "0", "--dns-entry", MODEM_NAME + "=127.0.0.1") as modem:
        result = python_through_shim(modem, LOOK_UP_TWICE, MODEM_NAME, route="*", ST87_LOG="info")
        check(result.stdout.decode().count("name: 127.0.0.1") == 2, "lookups: %r %r" % (result.stdout, result.stderr))
        modem.stop()
        check(modem.trace().count("> AT#DNS=") == 2, "a TTL of 0 was cached")
    # An error line after a valid answer (Mbed's firmware): the answer stands.
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-error-after-answer", "--dns-entry", MODEM_NAME + "=127.0.0.1") as modem:
        result = python_through_shim(modem, LOOK_UP_TWICE, MODEM_NAME, route="*", ST87_LOG="info")
        check(result.stdout.decode().count("name: 127.0.0.1") == 2, "lookups: %r %r" % (result.stdout, result.stderr))
    # No DNS server (2112, the factory state): the line says so and how to set one.
    with workdir() as tmp, fake_modem(tmp, "--dns", "--dns-no-server", "--dns-entry", MODEM_NAME + "=127.0.0.1") as modem:
        result = python_through_shim(modem, LOOK_UP_TWICE, MODEM_NAME, route="*", ST87_LOG="info")
        check("name: failed" in result.stdout.decode(), "lookups: %r" % result.stdout)
        check(b"no DNS server" in result.stderr and b"AT#IPPARAMS" in result.stderr,
              "not said: %r" % result.stderr)


def idle_link_checks(modem_switches):
    """AT#TCPCONNECT? sent while a connection idles 3 s with ST87_LINK_CHECK=1, after a first one's peer close."""
    with workdir() as tmp, fake_modem(tmp, *modem_switches) as modem:
        with tcp_port(send_then_close_later(b"x" * 5000)) as closing_port, tcp_port(tcp_echo) as idle_port:
            result = python_through_shim(modem, CLOSE_THEN_IDLE, closing_port, idle_port, ST87_LINK_CHECK="1",
                                         ST87_LOG="info")
        out = result.stdout.decode()
        check(result.returncode == 0 and "first: 5000" in out and "second: ping" in out,
              "client failed: %s %r" % (out, result.stderr))
        trace = modem.trace()
        # After the echo's read, one status check belongs to reading (an #IPRECV, then an empty read);
        # what follows it is polling of the idle connection.
        echoed = trace.index("#IPREAD: %d,0,4" % CID)
        idle_part = trace[trace.index("> AT#TCPCONNECT?", echoed) + 1:]
        assert_no_modem_socket_left(modem)
        return idle_part.count("> AT#TCPCONNECT?"), result.stderr


def case_idle_connection_not_polled_once_closes_are_announced():
    # The modem announced the first peer's close (#IPRECV with nothing to read, or #SOCKETCLOSED):
    # the second connection idles without a single AT command.
    checks, stderr = idle_link_checks([])
    check(checks == 0, "%d link checks on an idle connection after an announced close" % checks)
    check(b"the modem announces a peer's close" in stderr, "not logged: %r" % stderr)
    checks, _ = idle_link_checks(["--no-close-urc", "--socketclosed-urc"])
    check(checks == 0, "%d link checks after #SOCKETCLOSED" % checks)
    # A modem that said nothing: the idle connection is polled (every second here).
    checks, _ = idle_link_checks(["--no-close-urc"])
    check(checks >= 2, "a silent modem's idle connection was polled %d times in 3 s" % checks)


# An echo, a quiet spell, an echo: both byte-exact.
ECHO_AFTER_QUIET = r"""
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
for _ in range(2):
    data = os.urandom(1500)
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        got += s.recv(4096)
    print("same" if got == data else "differs", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def case_sleep_hold_asked():
    # The modem sleeps 3 s after a command and says nothing (no #SLEEP): the shim learns that hold from
    # AT#SLEEPMODE? (ST87_SLEEP_HOLD unset) and wakes it before the send after 4.5 s of quiet. With the
    # 10 s it assumed before, that send's line was lost and its data read as AT text.
    with workdir() as tmp, tcp_port(tcp_echo) as port, fake_modem(tmp, "--sleep-after", "3000") as modem:
        result = python_through_shim(modem, ECHO_AFTER_QUIET, port, 4.5)
        check(result.stdout == b"same\nsame\n", "the echo after the quiet spell: %r %r"
              % (result.stdout, result.stderr))
        trace = modem.trace()
        check("> AT#SLEEPMODE?" in trace, "the modem was not asked how long it stays awake")
        assert_no_modem_socket_left(modem)
        check(modem.stats()["wakeups"] >= 1, "the modem never slept in the quiet spell: %r" % modem.stats())


def case_socket_ids_as_given():
    # Socket ids 5, 6, 7 (the note says 0..2): nothing assumes small ids, nothing leaks.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--sid-base", "5") as modem:
        get_file(modem, server, tmp, 100 * 1024)
        check("> AT#IPREAD=%d,5" % CID in modem.trace(), "socket 5 was not read")
        with udp_echo_server() as udp_port:
            result = python_through_shim(modem, BOUND_UDP, udp_port, 0)
        check(result.stdout == b"from a bound port\n", "UDP on socket id 5: %r %r" % (result.stdout, result.stderr))
        assert_no_modem_socket_left(modem)


def case_udp_bind_port():
    # bind() before the first sendto(): the modem socket is created with that <udp_port>.
    with workdir() as tmp, fake_modem(tmp) as modem:
        local_port, peers = free_udp_port(HIGHEST_NAMED_UDP_PORT), []
        with udp_echo_server(peers) as udp_port:
            result = python_through_shim(modem, BOUND_UDP, udp_port, local_port)
            check(result.stdout == b"from a bound port\n", "bound UDP: %r %r" % (result.stdout, result.stderr))
            check(peers == [("127.0.0.1", local_port)], "the datagram came from %r, not port %d" % (peers, local_port))
        check(",UDP,%d," % local_port in modem.trace(), "AT#SOCKETCREATE did not get the port")
        assert_no_modem_socket_left(modem)


# A TCP exchange, a datagram from an unbound UDP socket, then one from a socket bound to a high port.
PORT_FIELDS = r"""
import socket, sys
tcp_port, udp_port, high_port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t = socket.create_connection(("127.0.0.1", tcp_port), timeout=10)
t.sendall(b"tcp")
print(t.recv(100).decode())
t.close()
for bound in (None, high_port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if bound:
        u.bind(("0.0.0.0", bound))
    u.settimeout(10)
    u.sendto(b"udp", ("127.0.0.1", udp_port))
    print(u.recv(100).decode())
    u.close()
"""

# The highest local port libst87 names in AT#SOCKETCREATE (sockets.c); above it the modem chooses.
HIGHEST_NAMED_UDP_PORT = 49407


def socket_create_ports(trace):
    """The <udp_port> field of each AT#SOCKETCREATE= line, with its socket type."""
    return re.findall(r"> AT#SOCKETCREATE=\d+,\d+,(TCP|UDP),([^,]*),", trace)


def case_udp_port_field():
    # <udp_port> empty for TCP and an unbound UDP socket (the maker's drivers; --refuse-port-zero
    # refuses 0 on TCP), 0 for a port above 49407, which the modem then chooses (Mbed).
    with workdir() as tmp, fake_modem(tmp, "--refuse-port-zero") as modem, \
            tcp_port(tcp_echo) as echo_port, udp_echo_server() as udp_port:
        high_port = free_udp_port(65535, lowest=HIGHEST_NAMED_UDP_PORT + 1)
        result = python_through_shim(modem, PORT_FIELDS, echo_port, udp_port, high_port)
        check(result.stdout == b"tcp\nudp\nudp\n", "exchanges: %r %r" % (result.stdout, result.stderr))
        fields = socket_create_ports(modem.trace())
        check(fields == [("TCP", ""), ("UDP", ""), ("UDP", "0")], "the <udp_port> fields: %r" % fields)
        assert_no_modem_socket_left(modem)


# TCP then UDP, one payload of each size in turn, made of AT command lines a modem must never run.
AT_TEXT_PAYLOADS = r"""
import errno, json, socket, sys
tcp_port, udp_port, cid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sizes = [int(size) for size in sys.argv[4].split(",")]
lines = "\r\nAT#SOCKETCLOSE=%d,0\r\nAT+CFUN=0\r\nAT#SOCKETCLOSE=%d,1\r\nAT#IPDEL=%d\r" % (cid, cid, cid)
def payload(size):
    text = lines.encode() * (size // len(lines) + 1)
    return text[:size]
result = {"tcp_differs": [], "udp": {}}
t = socket.create_connection(("127.0.0.1", tcp_port), timeout=20)
for size in sizes:
    data = payload(size)
    t.sendall(data)
    got = b""
    while len(got) < size:
        block = t.recv(size - len(got))
        if not block:
            break
        got += block
    if got != data:
        result["tcp_differs"].append(size)
t.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
u.connect(("127.0.0.1", udp_port))
for size in sizes:
    data = payload(size)
    try:
        u.send(data)
    except OSError as e:
        result["udp"][size] = errno.errorcode[e.errno]
        continue
    try:
        result["udp"][size] = "echoed" if u.recv(65536) == data else "differs"
    except socket.timeout:
        result["udp"][size] = "lost"
u.close()
print(json.dumps(result))
"""


def engine_commands(trace_path):
    """The command lines the engine wrote, from its ST87_TRACE ("<time> [pid] > line")."""
    with open(trace_path, encoding="utf-8", errors="replace") as f:
        found = (re.match(r"\S+ \S+ \[\d+\] > (.*)$", line) for line in f)
        return [m.group(1) for m in found if m and not m.group(1).startswith("[")]


def case_payload_never_read_as_commands():
    # Payloads of AT command lines at sizes 1 to 1600 (a stride, and every limit's edges), under modems
    # taking at most 128, 256 and 512 bytes a send: every line the modem read came from the engine
    # (one-step firmware that refuses a length reads the bytes after the line as commands), TCP arrives
    # byte-exact, and a datagram above the limit gets EMSGSIZE (one may be lost while the limit is learned).
    for limit in (128, 256, 512):
        edges = {limit - 1, limit, limit + 1, 511, 512, 513, 1023, 1024, 1025, 1600}
        sizes = sorted(set(range(1, 1601, 53)) | edges)
        with workdir() as tmp, fake_modem(tmp, "--max-send", str(limit)) as modem, \
                tcp_port(tcp_echo) as echo_port, udp_echo_server() as udp_port:
            engine_trace = os.path.join(tmp, "engine-trace.txt")
            result = python_through_shim(modem, AT_TEXT_PAYLOADS, echo_port, udp_port, CID,
                                         ",".join(map(str, sizes)), ST87_TRACE=engine_trace)
            modem.stop()
            received = collections.Counter(line for line in modem.host_commands() if not line.startswith("["))
            unsent = received - collections.Counter(engine_commands(engine_trace))
            check(not unsent, "--max-send %d: the modem read lines the engine never sent: %r"
                  % (limit, sorted(unsent.items())[:8]))
            check(result.returncode == 0, "--max-send %d: the client failed: %s" % (limit, result.stderr[-2000:]))
            outcome = {int(size): what for size, what in json.loads(result.stdout)["udp"].items()}
            check(not json.loads(result.stdout)["tcp_differs"],
                  "--max-send %d: TCP echo differs at %r" % (limit, json.loads(result.stdout)["tcp_differs"]))
            wrong = {size: what for size, what in outcome.items() if (what != "echoed") == (size <= limit)
                     and not (size > limit and what in ("EMSGSIZE", "lost"))}
            check(not wrong, "--max-send %d: datagrams: %r" % (limit, wrong))
            lost = [size for size, what in outcome.items() if what == "lost"]
            check(len(lost) <= 1, "--max-send %d: datagrams above the limit lost, not EMSGSIZE: %r" % (limit, lost))


# Each payload (hex in argv[3]) over TCP, then as a datagram, through echo servers: which came back different.
ECHO_PAYLOADS = r"""
import json, socket, sys
tcp_port, udp_port = int(sys.argv[1]), int(sys.argv[2])
payloads = [bytes.fromhex(p) for p in sys.argv[3].split(",")]
result = {"tcp_differs": [], "udp_differs": []}
t = socket.create_connection(("127.0.0.1", tcp_port), timeout=20)
for i, data in enumerate(payloads):
    t.sendall(data)
    got = b""
    while len(got) < len(data):
        block = t.recv(len(data) - len(got))
        if not block:
            break
        got += block
    if got != data:
        result["tcp_differs"].append([i, got.hex()])
t.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.connect(("127.0.0.1", udp_port))
for i, data in enumerate(payloads):
    u.send(data)
    try:
        got = u.recv(65536)
    except socket.timeout:
        got = b"(lost)"
    if got != data:
        result["udp_differs"].append([i, got.hex()])
print(json.dumps(result))
"""


def echo_payloads_byte_exact(modem, payloads):
    """@payloads through TCP and UDP echo servers and back: each byte-exact, none read as a command."""
    with tcp_port(tcp_echo) as echo_port, udp_echo_server() as udp_port:
        result = python_through_shim(modem, ECHO_PAYLOADS, echo_port, udp_port, ",".join(p.hex() for p in payloads))
    check(result.returncode == 0, "the client failed: %s %s" % (result.stdout, result.stderr[-2000:]))
    differs = json.loads(result.stdout)
    check(not differs["tcp_differs"] and not differs["udp_differs"], "payloads came back different: %r" % differs)
    assert_no_modem_socket_left(modem)


# Payloads a line parser would cut wrongly: line ends first, last and alone, and whole final results; none
# longer than the note's 512, so each also goes as one datagram.
LINE_END_PAYLOADS = [b"\n", b"\r", b"\r\n", b"\n\r", b"\nAT\r", b"\r\nOK\r\n", b"\n" + bytes(range(256)) + bytes(range(255)),
                     b"\r" + b"x" * 500 + b"\r\n", b"\n" * 512, b"OK\r\nAT+CFUN=0\r"]


def case_send_line_ends_in_cr_alone():
    # The firmware takes the byte after a send line's CR as data (--cr-only, as the tests' fake modem always
    # runs): payloads starting with LF or CR go out and come back byte-exact, and no line ends in CR LF.
    with workdir() as tmp, fake_modem(tmp, "--cr-only") as modem:
        echo_payloads_byte_exact(modem, LINE_END_PAYLOADS)


def case_long_lines_lose_nothing():
    # A line of 2100 bytes (the maker's drivers' buffer) before every final result is read whole; one of 6000,
    # longer than the engine takes, is dropped alone: the download is byte-exact and no URC is lost.
    for length in (2100, 6000):
        with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--long-line", str(length)) as modem:
            result = run(["python3", "-c", "pass"], modem.env())
            check(result.returncode == 0, "python through the shim: %r" % result.stderr)
            get_file(modem, server, tmp, 64 * 1024)
            echo_payloads_byte_exact(modem, LINE_END_PAYLOADS[:4])


def case_block_starting_with_lf_from_a_modem_ending_lines_in_cr():
    # The modem frames its lines by CR alone (--answers-end-in-cr): a received block that starts with LF keeps it.
    with workdir() as tmp, fake_modem(tmp, "--answers-end-in-cr") as modem:
        echo_payloads_byte_exact(modem, LINE_END_PAYLOADS)


def case_restart_inside_a_read_found_at_once():
    # The modem restarts half-way through a read's block and then says only its boot lines: the read fails
    # with the restart's error, found in the block (not at the read's 31 s deadline, after the program's own
    # 30 s timeout), and the next fetch works.
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp, "--reboot-in-read", "3") as modem:
        digest = random_file(os.path.join(tmp, "big.bin"), 64 * 1024)
        result = python_through_shim(modem, FETCH_TWICE, server.server_port, ST87_LOG="warn")
        out = result.stdout.decode()
        check(result.returncode == 0, "client failed: %s %s" % (out, result.stderr[-2000:]))
        check("first: errno %d" % errno.ECONNRESET in out, "the first fetch did not fail: %s" % out)
        check("second: " + digest in out, "the second fetch is not byte-exact: %s" % out)
        check(b"a restart inside a block" in result.stderr and b"no answer from the modem" not in result.stderr,
              "the restart was not found in the block: %r" % result.stderr[-2000:])
        modem.stop()
        check(modem.stats()["reboots"] == 1, "stats: %r" % modem.stats())


def case_echo_left_on_with_answers_in_payloads():
    # ATE0 answered OK but echo stays on (--echo --ignore-ate0), and the modem echoes data too (--echo-data):
    # payloads holding "OK", "ERROR" and command lines end no command early, both ways, byte-exact. Then the
    # same with only lines echoed.
    answers = [b"\r\nOK\r\n", b"OK", b"\r\nOK\r\n" * 85, b"\r\nERROR\r\n", b"\r\n+CME ERROR: 2154\r\n",
               b"AT#IPSENDTCP=1,0,1,4\r\nOK\r\n", b"x\r\nOK\r\nAT\r\n", b"\r\nOK\r\n" + bytes(range(256))]
    with workdir() as tmp, fake_modem(tmp, "--echo", "--ignore-ate0", "--echo-data") as modem:
        echo_payloads_byte_exact(modem, answers)
    # A modem echoing lines only: the first send's answer says the data is not echoed (until then, a payload that
    # is the whole of an answer would be taken for the echo; docs/DESIGN.md, the firmware variants).
    with workdir() as tmp, fake_modem(tmp, "--echo", "--ignore-ate0") as modem:
        echo_payloads_byte_exact(modem, [b"first"] + answers)


def case_character_echo_with_payloads_starting_with_lf():
    # A modem that echoes as a terminal does (--echo-cr-alone: the line's CR and no LF, the data right after):
    # a payload starting with LF is not taken for the echo's line end, so its echo is matched whole and the
    # OK or ERROR inside later payloads ends no command early. Byte-exact both ways.
    answers = [b"\nx\r\nOK\r\n", b"\n\r\nOK\r\n", b"\r\nERROR\r\n", b"\r\n+CME ERROR: 2154\r\n",
               b"\n\r\nERROR\r\n", b"x\r\nOK\r\nAT\r\n"]
    with workdir() as tmp, fake_modem(tmp, "--cr-only", "--echo", "--ignore-ate0", "--echo-data",
                                      "--echo-cr-alone") as modem:
        echo_payloads_byte_exact(modem, answers)


def discard_until_closed(connection):
    connection.settimeout(5)
    with contextlib.suppress(OSError):
        while connection.recv(65536):
            pass


def send_then_close_later(payload):
    """Sends @payload, then closes half a second later (the client has read it all by then)."""
    def behaviour(connection):
        connection.sendall(payload)
        time.sleep(0.5)
    return behaviour


@contextlib.contextmanager
def tcp_port(behaviour):
    """The port of a loopback TCP server running @behaviour per client (harness.tcp_server)."""
    with tcp_server(behaviour) as server:
        yield server.server_address[1]


def free_udp_port(highest, lowest=20000):
    """A UDP port from @lowest to @highest that nothing holds now."""
    for _ in range(100):
        port = random.randint(lowest, highest)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("0.0.0.0", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free UDP port from %d to %d" % (lowest, highest))


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_firmware.py")
