#!/usr/bin/env python3
"""st87d's SOCKS5 door (--socks-port, --socks): programs the shim cannot reach use the modem through it.
Each connection goes over the modem (the fake modem's TCP socket, its trace), byte-exact, names looked
up by st87d's own resolver path (socks5h); a client outside the access rules gets reply 0x02.

The servers listen on 127.0.0.1 only; st87d's door is on 127.0.0.1 and ::1.

Usage: test_socks.py CASE   (meson runs each case as its own test)
"""
import hashlib
import http.server
import os
import re
import socket
import struct
import sys

from fakemodem_fixture import assert_no_modem_socket_left, check, udp_echo_server, wait_for, workdir
from harness import build_go_program, client_wrapper, fake_modem, free_port, http_server, random_file, run, run_case, serving, sha256_file, st87d, \
    tcp_echo, tcp_server

NAME = "socks-door.test"


def plain_env(**extra):
    """A program's environment without the shim: the door is the only way it reaches the modem."""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("ST87_")}
    env.update(extra)
    return env


def door(tmp, modem, *switches):
    port = free_port()
    return port, st87d(tmp, modem, "--socks-port", str(port), *switches)


def check_carried_by_modem(modem, count=1):
    connects = [c for c in modem.host_commands() if c.startswith("AT#TCPCONNECT=")]
    check(len(connects) >= count, "the modem carried %d connections, not %d: %r" % (len(connects), count, connects))


def download_through_the_door(tmp, modem, client, program, unix_door=False):
    """@client(proxy, url, out) (a command and its environment) fetches a served file through the door at
    @proxy ("127.0.0.1:PORT", or "localhost/PATH", curl's way to name a Unix socket, with @unix_door) by
    NAME: byte-exact, carried by the modem, the name looked up by the modem (AT#DNS), and st87d's line names
    @program."""
    served = os.path.join(tmp, "served")
    os.mkdir(served)
    expected = random_file(os.path.join(served, "blob"), 100 * 1024)
    if unix_door:
        path = os.path.join(tmp, "socks.sock")
        proxy, daemon_context = "localhost" + path, st87d(tmp, modem, "--socks", path)
    else:
        port, daemon_context = door(tmp, modem)
        proxy = "127.0.0.1:%d" % port
    with daemon_context as daemon, http_server(served) as server:
        out = os.path.join(tmp, "got")
        command, env = client(proxy, "http://%s:%d/blob" % (NAME, server.server_port), out)
        result = run(command, env)
        check(result.returncode == 0, "%s through the door" % program, result)
        check(sha256_file(out) == expected, "the download through the door differs")
        # Under ST87_TEST_VALGRIND the client's process is valgrind's.
        named = "(%s)" % program if not client_wrapper() else ""
        check(" of pid " in daemon.log() and named in daemon.log(),
              "st87d's line does not name the client: " + daemon.log())
    check_carried_by_modem(modem)
    check(any(c.startswith("AT#DNS=") and NAME in c for c in modem.host_commands()),
          "the name was not looked up by the modem (socks5h): %r" % modem.host_commands())
    assert_no_modem_socket_left(modem)


def named_modem(tmp):
    """The fake modem, answering AT#DNS for NAME with 127.0.0.1."""
    return fake_modem(tmp, "--dns", "--dns-entry", NAME + "=127.0.0.1")


def case_curl_proxy_option():
    with workdir() as tmp, named_modem(tmp) as modem:
        download_through_the_door(tmp, modem, lambda proxy, url, out: (
            ["curl", "-sS", "--fail", "-o", out, "--proxy", "socks5h://" + proxy, url], plain_env()), "curl")


def case_curl_through_the_unix_door():
    with workdir() as tmp, named_modem(tmp) as modem:
        download_through_the_door(tmp, modem, lambda proxy, url, out: (
            ["curl", "-sS", "--fail", "-o", out, "--proxy", "socks5h://" + proxy, url], plain_env()), "curl",
            unix_door=True)


def case_curl_all_proxy():
    with workdir() as tmp, named_modem(tmp) as modem:
        download_through_the_door(tmp, modem, lambda proxy, url, out: (
            ["curl", "-sS", "--fail", "-o", out, url], plain_env(ALL_PROXY="socks5h://" + proxy)), "curl")


def case_go_program():
    # Go's net/http takes socks5:// from HTTP_PROXY (and HTTPS_PROXY for https URLs) and sends the name
    # unresolved. It never proxies "localhost" or a loopback address, so the URL names the server by a name
    # only st87d's resolver (the modem's AT#DNS here) knows.
    with workdir() as tmp, named_modem(tmp) as modem:
        http_get = build_go_program(tmp)
        download_through_the_door(tmp, modem, lambda proxy, url, out: (
            [http_get, url, out], plain_env(HTTP_PROXY="socks5://" + proxy)), "http_get")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def case_ipv6_door_and_destination():
    # The door on ::1 (its client found in /proc/net/tcp6) and an IPv6 CONNECT (curl's socks5:// with an
    # IPv6 literal sends ATYP 4): an IPv6 modem socket, byte-exact.
    with workdir() as tmp, fake_modem(tmp) as modem:
        served = os.path.join(tmp, "served")
        os.mkdir(served)
        expected = random_file(os.path.join(served, "six"), 64 * 1024)
        handler = lambda *a, **k: QuietHandler(*a, directory=served, **k)  # noqa: E731
        port, daemon_context = door(tmp, modem)
        with daemon_context as daemon, serving(V6Server(("::1", 0), handler)) as server:
            out = os.path.join(tmp, "got")
            result = run(["curl", "-sS", "--fail", "--globoff", "-o", out, "--proxy", "socks5://[::1]:%d" % port,
                          "http://[::1]:%d/six" % server.server_address[1]], plain_env())
            check(result.returncode == 0, "curl through the ::1 door", result)
            check(sha256_file(out) == expected, "the IPv6 download through the door differs")
            named = "(curl)" if not client_wrapper() else " of pid "
            check("TCP [::1]:%d" % server.server_address[1] in daemon.log() and named in daemon.log(),
                  "st87d's line does not name the IPv6 destination and the client: " + daemon.log())
        check(re.search(r"AT#SOCKETCREATE=\d+,1,TCP", modem.trace()) is not None, "no IPv6 modem socket")
        assert_no_modem_socket_left(modem)


def bare_repository(tmp):
    """A bare repository served over dumb HTTP with a few files; their contents by name."""
    work = os.path.join(tmp, "work")
    served = os.path.join(tmp, "served")
    os.makedirs(work)
    os.makedirs(served)
    files = {"a.bin": os.urandom(40000), "b.txt": b"hello through the door\n", "c.bin": os.urandom(9000)}
    for name, content in files.items():
        with open(os.path.join(work, name), "wb") as f:
            f.write(content)
    env = plain_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                    GIT_COMMITTER_EMAIL="t@t", HOME=tmp)
    for command in (["git", "init", "-q", work], ["git", "-C", work, "add", "."],
                    ["git", "-C", work, "commit", "-q", "-m", "files"],
                    ["git", "clone", "-q", "--bare", work, os.path.join(served, "repo.git")],
                    ["git", "-C", os.path.join(served, "repo.git"), "update-server-info"]):
        done = run(command, env)
        check(done.returncode == 0, " ".join(command), done)
    return served, files


def case_git_clone_over_dumb_http():
    # git's dumb HTTP fetch runs requests at once: through the door they wait in the engine's TCP line too.
    with workdir() as tmp, named_modem(tmp) as modem:
        served, files = bare_repository(tmp)
        handler = lambda *a, **k: QuietHandler(*a, directory=served, **k)  # noqa: E731
        port, daemon_context = door(tmp, modem)
        with daemon_context as daemon, \
                serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
            clone = os.path.join(tmp, "clone")
            result = run(["git", "clone", "-q", "http://%s:%d/repo.git" % (NAME, server.server_port), clone],
                         plain_env(ALL_PROXY="socks5h://127.0.0.1:%d" % port, GIT_TERMINAL_PROMPT="0", HOME=tmp),
                         timeout=170)
        check(result.returncode == 0, "git clone through the door", result)
        for name, content in files.items():
            with open(os.path.join(clone, name), "rb") as f:
                check(hashlib.sha256(f.read()).digest() == hashlib.sha256(content).digest(), name + " differs")
        check("waits for the modem's TCP socket" in daemon.log(),
              "no request waited: git did not ask in parallel, so the TCP line was not tried through the door")
        check_carried_by_modem(modem)
        assert_no_modem_socket_left(modem)


def socks_exchange(connect, request):
    """A SOCKS5 handshake on a fresh connection made by @connect: the socket and the reply (an IPv4 one)."""
    client = connect()
    client.settimeout(60)
    client.sendall(b"\x05\x01\x00")
    check(client.recv(2) == b"\x05\x00", "the door did not take 'no authentication'")
    client.sendall(request)
    reply = b""
    while len(reply) < 10:
        block = client.recv(10 - len(reply))
        check(block != b"", "the door hung up before its reply")
        reply += block
    return client, reply


def connect_request(port, host=b"\x7f\x00\x00\x01", command=1):
    return bytes([5, command, 0, 1]) + host + struct.pack("!H", port)


def unix_connector(path):
    def connect():
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(path)
        return client
    return connect


def case_unix_socket_door_echoes():
    # The Unix socket door: python's socket as the client, IPv4 CONNECT, an echo byte-exact; BIND is refused.
    with workdir() as tmp, fake_modem(tmp) as modem:
        path = os.path.join(tmp, "socks.sock")
        with st87d(tmp, modem, "--socks", path) as daemon, tcp_server(tcp_echo) as echo:
            client, reply = socks_exchange(unix_connector(path), connect_request(echo.server_address[1]))
            check(reply[1] == 0, "CONNECT through the Unix door got reply %d" % reply[1])
            payload = os.urandom(50000)
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            echoed = b""
            while True:
                block = client.recv(65536)
                if not block:
                    break
                echoed += block
            client.close()
            check(hashlib.sha256(echoed).digest() == hashlib.sha256(payload).digest(),
                  "the echo through the Unix door differs (%d bytes of %d)" % (len(echoed), len(payload)))
            check("pid %d" % os.getpid() in daemon.log(), "st87d's line does not name the client's pid")
            bind, reply = socks_exchange(unix_connector(path), connect_request(echo.server_address[1], command=2))
            bind.close()
            check(reply[1] == 7, "BIND got reply %d, not 7 (command not supported)" % reply[1])
            check("refused (reply 0x07)" in daemon.log(), "no line says why BIND was refused")
        check_carried_by_modem(modem)
        assert_no_modem_socket_left(modem)


def udp_through_the_door(client, relay, destination, payload):
    """@payload to @destination (a SOCKS5 address: ATYP, address, port) through @relay: the answer's header
    and data."""
    client.sendto(b"\x00\x00\x00" + destination + payload, relay)
    answer, _ = client.recvfrom(65536)
    header_len = 10 if answer[3] == 1 else 22
    return answer[:header_len], answer[header_len:]


def case_udp_associate():
    # RFC 1928 §7: the relay's address in the reply; datagrams with a header each way, to an address and to
    # a name (looked up by the modem), carried by the modem's UDP socket; another socket's datagram is dropped.
    with workdir() as tmp, named_modem(tmp) as modem, udp_echo_server() as echo_port:
        port, daemon_context = door(tmp, modem)
        with daemon_context as daemon:
            control, reply = socks_exchange(lambda: socket.create_connection(("127.0.0.1", port)),
                                           bytes([5, 3, 0, 1, 0, 0, 0, 0, 0, 0]))
            check(reply[1] == 0 and reply[3] == 1, "UDP ASSOCIATE got reply %r" % reply)
            control.settimeout(60)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.settimeout(60)
                client.bind(("127.0.0.1", 0))
                relay = (socket.inet_ntoa(reply[4:8]), struct.unpack("!H", reply[8:10])[0])
                by_address = b"\x01\x7f\x00\x00\x01" + struct.pack("!H", echo_port)
                for size in (1, 300, 512):  # 512: the most the note's firmware takes in one datagram
                    payload = os.urandom(size)
                    header, data = udp_through_the_door(client, relay, by_address, payload)
                    check(data == payload, "the echo of %d bytes through the relay differs" % size)
                    check(header == b"\x00\x00\x00" + by_address, "the answer's header %r" % header)
                by_name = bytes([3, len(NAME)]) + NAME.encode() + struct.pack("!H", echo_port)
                payload = os.urandom(300)
                header, data = udp_through_the_door(client, relay, by_name, payload)
                check(data == payload, "the echo by name through the relay differs")
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
                    stranger.sendto(b"\x00\x00\x00" + by_address + b"not the client's", relay)
                    wait_for(lambda: "not the client's" in daemon.log(), 30, "st87d's line on the stranger")
            control.close()
            wait_for(lambda: not [c for c in modem.host_commands() if c.startswith("AT#SOCKETCLOSE")] == [], 30,
                     "the modem's UDP socket closed with the association")
        sends = [c for c in modem.host_commands() if c.startswith("AT#IPSENDUDP")]
        check(len(sends) == 4, "the modem sent %d datagrams, not 4: %r" % (len(sends), sends))
        check(any(c.startswith("AT#DNS=") and NAME in c for c in modem.host_commands()),
              "the datagram's name was not looked up by the modem")
        assert_no_modem_socket_left(modem)


def as_nobody():
    if os.geteuid() != 0:
        print("skipped: needs root to run a client as another user")
        sys.exit(77)
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def case_other_user_refused():
    # A uid outside the group gets reply 0x02 on both doors, and st87d says why; the modem hears no connect.
    nobody = as_nobody()
    with workdir() as tmp, fake_modem(tmp) as modem, tcp_server(tcp_echo) as echo:
        os.chmod(tmp, 0o755)
        path = os.path.join(tmp, "socks.sock")
        port = free_port()
        with st87d(tmp, modem, "--socks-port", str(port), "--socks", path, "--mode", "0666",
                   "--group", "root") as daemon:
            url = "http://127.0.0.1:%d/" % echo.server_address[1]
            refused = run(nobody + ["curl", "-sS", "--proxy", "socks5://127.0.0.1:%d" % port, url], plain_env())
            check(refused.returncode == 97, "curl of another user through the port: exit 97 (proxy refused)", refused)
            check(refused.stderr.rstrip().endswith(b"(2)"), "curl does not report reply 2", refused)
            script = ("import socket,struct,sys\n"
                      "c=socket.socket(socket.AF_UNIX);c.connect(sys.argv[1]);c.sendall(b'\\x05\\x01\\x00')\n"
                      "assert c.recv(2)==b'\\x05\\x00'\n"
                      "c.sendall(b'\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01'+struct.pack('!H',int(sys.argv[2])))\n"
                      "print(c.recv(10)[1])\n")
            by_unix = run(nobody + ["/usr/bin/python3", "-c", script, path, str(echo.server_address[1])],
                          plain_env())
            check(by_unix.stdout.strip() == b"2", "the Unix door's reply to another user is not 0x02", by_unix)
            check(daemon.log().count("uid 65534") >= 2 and daemon.log().count("refused (reply 0x02)") >= 2,
                  "st87d did not log both refusals: " + daemon.log())
        check(not any(c.startswith("AT#TCPCONNECT=") for c in modem.host_commands()),
              "a refused client reached the modem")


# Another user's datagram to the relay, sent before the client's: the relay would otherwise take its sender
# for the client's and send the answers there.
STRANGER = r"""
import socket, struct, sys
relay = ("127.0.0.1", int(sys.argv[1]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\x00\x00\x00\x01\x7f\x00\x00\x01" + struct.pack("!H", int(sys.argv[2])) + b"stranger", relay)
"""


def case_udp_relay_takes_only_the_clients_datagrams():
    nobody = as_nobody()
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server() as echo_port:
        port, daemon_context = door(tmp, modem)
        with daemon_context as daemon:
            control, reply = socks_exchange(lambda: socket.create_connection(("127.0.0.1", port)),
                                            bytes([5, 3, 0, 1, 0, 0, 0, 0, 0, 0]))
            relay = (socket.inet_ntoa(reply[4:8]), struct.unpack("!H", reply[8:10])[0])
            stranger = run(nobody + ["/usr/bin/python3", "-c", STRANGER, str(relay[1]), str(echo_port)], plain_env())
            check(stranger.returncode == 0, "the stranger's datagram", stranger)
            wait_for(lambda: "not the client's" in daemon.log(), 30, "st87d's line on the stranger's datagram")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.settimeout(60)
                client.bind(("127.0.0.1", 0))
                destination = b"\x01\x7f\x00\x00\x01" + struct.pack("!H", echo_port)
                _, data = udp_through_the_door(client, relay, destination, b"the client's own")
                check(data == b"the client's own", "the client's echo after the stranger's: %r" % data)
            control.close()
        sends = [c for c in modem.host_commands() if c.startswith("AT#IPSENDUDP")]
        check(len(sends) == 1, "the modem sent %d datagrams, not the client's 1: %r" % (len(sends), sends))


def case_unknown_name_gets_host_unreachable():
    with workdir() as tmp, fake_modem(tmp, "--dns") as modem:
        port, daemon_context = door(tmp, modem)
        with daemon_context as daemon:
            def connect():
                return socket.create_connection(("127.0.0.1", port))
            name = b"no-such-name.test"
            client, reply = socks_exchange(connect, bytes([5, 1, 0, 3, len(name)]) + name + struct.pack("!H", 80))
            client.close()
            check(reply[1] == 4, "an unknown name got reply %d, not 4 (host unreachable)" % reply[1])
            check("refused (reply 0x04)" in daemon.log(), "no line says why: " + daemon.log())


run_case({name[len("case_"):]: case for name, case in globals().items() if name.startswith("case_")}, __file__)
