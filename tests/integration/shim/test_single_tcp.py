#!/usr/bin/env python3
"""The modem's one TCP socket: an idle keep-alive connection gives it up to a new connect.

curl -L across hosts, a Python keep-alive session, and a busy connection that keeps the socket.
Servers listen on 127.0.0.1 and 127.0.0.2 (loopback) and speak HTTP/1.1, so clients keep their
connections open.

Usage: test_single_tcp.py CASE   (meson runs each case as its own test)
"""
import hashlib
import http.server
import os
import socket
import sys
import threading

from fakemodem_fixture import assert_no_modem_socket_left, check, workdir
from harness import fake_modem, run, run_case, serving

ROUTE = "127.0.0.0/8"


class KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    """Answers from the server's table: path -> (status, extra headers, body). HTTP/1.1 keeps connections."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        status, headers, body = self.server.pages.get(self.path, (404, {}, b"not here\n"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def keepalive_server(address="127.0.0.1"):
    server = http.server.ThreadingHTTPServer((address, 0), KeepAliveHandler)
    server.pages = {}
    return serving(server)


def url(server, path):
    host, port = server.server_address[:2]
    return "http://%s:%d%s" % (host, port, path)


def case_curl_follows_redirects_across_hosts():
    # A redirects to another port, which redirects to another address: three connections, one socket.
    body = os.urandom(150 * 1024)
    with workdir() as tmp, fake_modem(tmp) as modem, keepalive_server() as first, \
            keepalive_server() as second, keepalive_server("127.0.0.2") as third:
        third.pages["/file"] = (200, {}, body)
        second.pages["/hop"] = (302, {"Location": url(third, "/file")}, b"")
        first.pages["/start"] = (302, {"Location": url(second, "/hop")}, b"")
        out = os.path.join(tmp, "got.bin")
        result = run(["curl", "--silent", "--show-error", "--fail", "-L", "--max-time", "60", "-o", out,
                      url(first, "/start")], modem.env(route=ROUTE, ST87_LOG="info"))
        check(result.returncode == 0, "curl -L failed: %s" % result.stderr)
        with open(out, "rb") as f:
            check(hashlib.sha256(f.read()).digest() == hashlib.sha256(body).digest(), "curl -L: the file differs")
        taken = result.stderr.count(b"takes the modem's TCP socket from the idle connection")
        check(taken == 2, "expected two hand-overs, saw %d: %r" % (taken, result.stderr))
        assert_no_modem_socket_left(modem)


KEEPALIVE_CLIENT = r"""
import hashlib, http.client, sys
first_port, second_port = int(sys.argv[1]), int(sys.argv[2])
def get(connection):
    connection.request("GET", "/file")
    return hashlib.sha256(connection.getresponse().read()).hexdigest()
first = http.client.HTTPConnection("127.0.0.1", first_port, timeout=20)
second = http.client.HTTPConnection("127.0.0.1", second_port, timeout=20)
print("first:", get(first))
print("second:", get(second))
try:
    print("first again:", get(first))
except (http.client.RemoteDisconnected, ConnectionError):
    print("first again: closed by the peer")
    first.close()
    print("first reopened:", get(first))
"""


def case_python_keepalive_then_other_server():
    body_one, body_two = os.urandom(20000), os.urandom(30000)
    with workdir() as tmp, fake_modem(tmp) as modem, keepalive_server() as one, keepalive_server() as two:
        one.pages["/file"] = (200, {}, body_one)
        two.pages["/file"] = (200, {}, body_two)
        result = run([sys.executable, "-c", KEEPALIVE_CLIENT, str(one.server_port), str(two.server_port)],
                     modem.env(route=ROUTE), text=True, timeout=90)
        digest_one, digest_two = hashlib.sha256(body_one).hexdigest(), hashlib.sha256(body_two).hexdigest()
        lines = result.stdout.splitlines()
        check(result.returncode == 0, "client failed: %r %r" % (result.stdout, result.stderr))
        check(lines[0] == "first: " + digest_one and lines[1] == "second: " + digest_two,
              "keep-alive session then another server: %r" % lines)
        check(lines[2:] == ["first again: closed by the peer", "first reopened: " + digest_one],
              "the idle connection did not see a clean close, or could not reconnect: %r" % lines)
        assert_no_modem_socket_left(modem)


BUSY_CLIENT = r"""
import errno, hashlib, socket, sys
busy_port, other_port, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
busy = socket.create_connection(("127.0.0.1", busy_port), timeout=20)
busy.sendall(b"send")
data = busy.recv(1000)
try:
    socket.socket().connect(("127.0.0.1", other_port))  # blocking: up to ST87_CONNECT_TIMEOUT
    print("second: connected")
except OSError as error:
    print("second:", errno.errorcode.get(error.errno, error.errno))
while len(data) < size:
    block = busy.recv(65536)
    if not block:
        break
    data += block
print("busy:", len(data), hashlib.sha256(data).hexdigest())
"""


def case_busy_connection_keeps_the_socket():
    # Bytes the program has not read yet: the connection is not idle, the new connect waits for it in line
    # (blocking) and fails at its deadline.
    payload = os.urandom(100 * 1024)

    def serve(listener):
        connection, _ = listener.accept()
        with connection:
            connection.recv(16)
            connection.sendall(payload)
            connection.recv(16)  # stays open until the client goes

    with workdir() as tmp, fake_modem(tmp) as modem, socket.socket() as listener, socket.socket() as other:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        server = threading.Thread(target=serve, args=(listener,), daemon=True)
        server.start()
        result = run([sys.executable, "-c", BUSY_CLIENT, str(listener.getsockname()[1]),
                      str(other.getsockname()[1]), str(len(payload))],
                     modem.env(route=ROUTE, ST87_CONNECT_TIMEOUT=2000), text=True, timeout=90)
        server.join(timeout=10)
        lines = result.stdout.splitlines()
        check(lines[:1] == ["second: ETIMEDOUT"], "a busy connection lost the socket: %r %r" % (lines, result.stderr))
        holder = "TCP 127.0.0.1:%d holds it" % listener.getsockname()[1]
        check(holder in result.stderr, "the line does not name the holder: %r" % result.stderr)
        check(lines[1:] == ["busy: %d %s" % (len(payload), hashlib.sha256(payload).hexdigest())],
              "the busy connection lost bytes: %r" % lines)
        assert_no_modem_socket_left(modem)


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_single_tcp.py")
