#!/usr/bin/env python3
"""shutdown(SHUT_WR) over a modem that has no half-close, with real nc.

The modem cannot send a FIN and keep receiving. After the program's
shutdown(SHUT_WR) the link stays up for the answer, and once the peer has
been quiet for ST87_HALF_CLOSE_IDLE the modem socket closes, so a server
that reads until EOF gets it.

Usage: test_half_close.py CASE   (meson runs each case as its own test)
"""
import hashlib
import os
import socket
import subprocess
import threading
import time

from fakemodem_fixture import check, workdir
from harness import fake_modem, free_port, run, run_case


def listen():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    return listener


def case_nc_upload_to_a_server_that_waits_for_eof():
    # `nc -l > file` writes the file once the client's data ends: the upload only completes with an EOF.
    payload = os.urandom(150 * 1024)
    with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem:
        listen_port = free_port()
        received = os.path.join(tmp, "received.bin")
        with open(received, "wb") as out:
            server = subprocess.Popen(["nc", "-l", "127.0.0.1", str(listen_port)], stdout=out)
        try:
            time.sleep(0.3)  # nc -l binds after it starts; the client would be refused before
            started = time.monotonic()
            client = run(["nc", "-N", "127.0.0.1", str(listen_port)], modem.env(ST87_HALF_CLOSE_IDLE=1000),
                         input=payload, timeout=60)
            check(client.returncode == 0, "nc -N failed: %r" % client.stderr)
            check(server.wait(timeout=30) == 0, "the EOF-waiting server did not finish")
            print("upload finished %.1f s after it started" % (time.monotonic() - started))
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        with open(received, "rb") as f:
            got = f.read()
        check(hashlib.sha256(got).digest() == hashlib.sha256(payload).digest(),
              "the server got %d bytes, not the %d sent" % (len(got), len(payload)))
        modem.stop()
        check(modem.stats()["open_sockets"] == 0, "a modem socket was left open")


def case_half_closing_client_gets_its_answer():
    # A request/response client that half-closes: the server answers after a pause, then closes.
    request = b"GET everything\n"
    answer = os.urandom(80 * 1024)
    listener = listen()

    def serve():
        connection, _ = listener.accept()
        with connection:
            data = b""
            while not data.endswith(b"\n"):
                block = connection.recv(1024)
                if not block:
                    return
                data += block
            time.sleep(0.8)
            connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with workdir() as tmp, fake_modem(tmp, "--baud", "921600") as modem:
            client = run(["nc", "-N", "127.0.0.1", str(listener.getsockname()[1])], modem.env(),
                         input=request, timeout=60)
            check(client.returncode == 0, "nc -N failed: %r" % client.stderr)
            check(client.stdout == answer, "the answer differs (%d of %d bytes)" % (len(client.stdout), len(answer)))
    finally:
        listener.close()
        thread.join(timeout=10)


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_half_close.py")
