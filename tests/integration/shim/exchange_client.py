#!/usr/bin/env python3
"""Short exchanges with TCP echo servers, one thread per server named, all at once.

Usage: exchange_client.py ROUNDS PORT...

Each thread makes ROUNDS exchanges with the echo server on 127.0.0.1:PORT, one connection each: connect
(blocking for even threads, with Python's timeout, which connects non-blocking, for odd ones), send 1000
random bytes, read them back, close. It prints one line per thread, "INDEX PORT ok" or what went
wrong, and exits 0 when every exchange came back byte for byte.
"""
import os
import socket
import sys
import threading

PAYLOAD = 1000  # the same in every exchange: a benchmark compares runs of different shapes


def exchange(index, port, number):
    payload = os.urandom(PAYLOAD)
    if index % 2:
        connection = socket.create_connection(("127.0.0.1", port), timeout=120)
    else:
        connection = socket.socket()
        connection.connect(("127.0.0.1", port))
    with connection:
        connection.sendall(payload)
        got = b""
        while len(got) < len(payload):
            block = connection.recv(65536)
            if not block:
                break
            got += block
    if got != payload:
        raise ValueError("thread %d, exchange %d: %d of %d bytes came back"
                         % (index, number, len(got), len(payload)))


def main():
    rounds, ports = int(sys.argv[1]), [int(port) for port in sys.argv[2:]]
    results = ["not run"] * len(ports)

    def work(index, port):
        try:
            for number in range(rounds):
                exchange(index, port, number)
            results[index] = "ok"
        except (OSError, ValueError) as error:
            results[index] = "failed: %r" % error

    threads = [threading.Thread(target=work, args=(i, port)) for i, port in enumerate(ports)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, port in enumerate(ports):
        print(index, port, results[index])
    sys.exit(0 if all(result == "ok" for result in results) else 1)


if __name__ == "__main__":
    main()
