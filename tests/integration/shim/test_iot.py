#!/usr/bin/env python3
"""The clients an IoT gateway runs (mosquitto_pub/mosquitto_sub, coap-client, socat) through the shim.

Each client program is its own process and opens the port itself, so each gets its own fake modem
(the port is exclusive to one process). The servers (a mosquitto broker, a libcoap coap-server)
listen on 127.0.0.1 only and are stopped when their case ends, whatever happens.

Usage: test_iot.py CASE   (meson runs each case as its own test)
"""
import contextlib
import os
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

from dns_server import dns_server
from fakemodem_fixture import CID, assert_no_modem_socket_left, check, udp_echo_server, wait_for, workdir
from harness import fake_modem, free_port, read_to_end, run, run_case, tcp_server
from test_shim import serve_bytes_then_close


def program(*names):
    """The path of the first of @names on PATH: scripts/setup.sh installs them, so a missing one fails the case."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("none of %s is installed (scripts/setup.sh installs it)" % ", ".join(names))


def accepts_tcp(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def read_exactly(stream, size, timeout=30.0):
    """@size bytes from a pipe, or fewer when it ends or nothing more comes within @timeout seconds."""
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < size:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        block = os.read(stream.fileno(), size - len(data))
        if not block:
            break
        data += block
    return data


@contextlib.contextmanager
def background(command, log_path):
    """A server process for the `with` block, its output in @log_path; killed at the end."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def read_log(path):
    return read_file(path).decode(errors="replace")


def udp_port_taken(port):
    """Whether something is bound to 127.0.0.1:@port over UDP (a server that has started)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@contextlib.contextmanager
def mosquitto_broker(tmp):
    """A mosquitto broker on 127.0.0.1 only; yields (port, path of its log)."""
    port = free_port()
    config, log = os.path.join(tmp, "mosquitto.conf"), os.path.join(tmp, "mosquitto.log")
    # Started as root, mosquitto would become user "mosquitto", who cannot write the log in our directory.
    user = pwd.getpwuid(os.geteuid()).pw_name
    with open(config, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nuser %s\n"
                "log_dest file %s\nlog_type all\nlog_timestamp false\n" % (port, user, log))
    with background([program("mosquitto"), "-c", config], os.path.join(tmp, "mosquitto.out")) as broker:
        wait_for(lambda: broker.poll() is not None or accepts_tcp(port), what="the mosquitto broker")
        check(broker.poll() is None, "mosquitto did not start: %s" % read_log(os.path.join(tmp, "mosquitto.out")))
        yield port, log


def mqtt_subscriber_gets_later_publish(*modem_switches):
    """A QoS 1 subscriber stays connected while two publishers, each its own process with its own
    modem (st87-fakemodem with @modem_switches), publish one after the other; each message must reach it
    unchanged."""
    messages = [os.urandom(3000), b"temperature=21.5;unit=C"]
    topic = "st87/plant/%d" % os.getpid()
    with workdir() as tmp, mosquitto_broker(tmp) as (port, broker_log):
        sub_dir, pub_dir = os.path.join(tmp, "sub"), os.path.join(tmp, "pub")
        os.mkdir(sub_dir)
        os.mkdir(pub_dir)
        with fake_modem(sub_dir, *modem_switches) as sub_modem, fake_modem(pub_dir, *modem_switches) as pub_modem:
            subscriber = subprocess.Popen(
                [program("mosquitto_sub"), "-h", "127.0.0.1", "-p", str(port), "-i", "st87-sub", "-t", topic,
                 "-q", "1", "-N", "-C", str(len(messages))],
                env=sub_modem.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                wait_for(lambda: subscriber.poll() is not None or "st87-sub 1 " + topic in read_log(broker_log),
                         timeout=30, what="the subscription to reach the broker")
                if subscriber.poll() is not None:
                    raise AssertionError("mosquitto_sub ended: %r" % subscriber.stderr.read())
                for number, message in enumerate(messages):
                    path = os.path.join(tmp, "message-%d.bin" % number)
                    with open(path, "wb") as f:
                        f.write(message)
                    result = run([program("mosquitto_pub"), "-h", "127.0.0.1", "-p", str(port),
                                  "-i", "st87-pub-%d" % number, "-t", topic, "-q", "1", "-f", path],
                                 pub_modem.env(), timeout=60)
                    check(result.returncode == 0, "mosquitto_pub %d failed: %r" % (number, result.stderr))
                    got = read_exactly(subscriber.stdout, len(message))
                    check(got == message, "message %d arrived as %d bytes that differ" % (number, len(got)))
                check(subscriber.wait(timeout=30) == 0, "mosquitto_sub: %r" % subscriber.stderr.read())
            finally:
                subscriber.kill()
                subscriber.wait()
            log = read_log(broker_log)
            for client in ["st87-sub", "st87-pub-0", "st87-pub-1"]:
                check("as %s " % client in log, "the broker never saw %s connect:\n%s" % (client, log))
            for modem in (sub_modem, pub_modem):
                check(re.search(r"> AT#TCPCONNECT=%d,\d+,127\.0\.0\.1,%d\n" % (CID, port), modem.trace()),
                      "a client did not reach the broker through its modem:\n" + modem.trace()[:2000])
            assert_no_modem_socket_left(sub_modem)
            assert_no_modem_socket_left(pub_modem)


def case_mqtt_subscriber_gets_later_publish():
    mqtt_subscriber_gets_later_publish()


def case_coap_get_by_name():
    # A block-wise CoAP GET by name: the name goes to the modem (ST87_DNS over a modem
    # UDP socket), each block over a modem UDP socket.
    name = "sensor.st87.test"
    reading = os.urandom(2000)
    with workdir() as tmp:
        port = free_port()
        with background([program("coap-server", "coap-server-notls"), "-A", "127.0.0.1", "-p", str(port),
                         "-d", "4"], os.path.join(tmp, "coap-server.log")) as server:
            client = program("coap-client", "coap-client-notls")
            source = os.path.join(tmp, "reading.bin")
            with open(source, "wb") as f:
                f.write(reading)
            resource = "coap://127.0.0.1:%d/st87/reading" % port
            wait_for(lambda: server.poll() is not None or udp_port_taken(port), what="coap-server")
            check(server.poll() is None, "coap-server ended: %s" % read_log(os.path.join(tmp, "coap-server.log")))
            # The server only knows the resource once it is put there; this PUT and GET do not use the shim.
            # coap-client exits 0 even when the server refuses, so the reading is read back to be sure.
            put = run([client, "-m", "put", "-B", "10", "-f", source, resource], dict(os.environ))
            check(put.returncode == 0, "coap-client PUT failed: %r" % put.stderr)
            direct = os.path.join(tmp, "direct.bin")
            run([client, "-m", "get", "-B", "10", "-o", direct, resource], dict(os.environ))
            check(os.path.exists(direct) and read_file(direct) == reading, "coap-server did not keep the reading")
            with fake_modem(tmp, "--dns-entry", name + "=127.0.0.1") as modem, \
                    dns_server({name: "127.0.0.1"}) as (dns_port, asked):
                out = os.path.join(tmp, "got.bin")
                result = run([client, "-m", "get", "-b", "256", "-B", "30", "-o", out,
                              "coap://%s:%d/st87/reading" % (name, port)],
                             modem.env(ST87_DNS="127.0.0.1:%d" % dns_port), timeout=60)
                check(result.returncode == 0, "coap-client failed: %r" % result.stderr)
                check(os.path.exists(out), "coap-client got no reading: %r" % result.stderr)
                got = read_file(out)
                check(got == reading, "the reading arrived as %d bytes that differ" % len(got))
                trace = modem.trace()
                check(name in asked, "the DNS server behind the modem was not asked the name")
                blocks = trace.count(",127.0.0.1,%d," % port)
                check(blocks >= len(reading) // 256, "%d CoAP requests went through the modem" % blocks)
                assert_no_modem_socket_left(modem)


def collect_until_close(received):
    def behaviour(connection):
        received.append(read_to_end(connection))
        connection.close()
    return behaviour


def case_socat_tcp():
    payload = os.urandom(150 * 1024)
    socat = program("socat")
    with workdir() as tmp, fake_modem(tmp) as modem:
        with tcp_server(serve_bytes_then_close(payload)) as server:
            result = run([socat, "-u", "TCP:127.0.0.1:%d" % server.server_address[1], "STDOUT"], modem.env(),
                         timeout=60)
            check(result.returncode == 0, "socat download failed: %r" % result.stderr)
            check(result.stdout == payload, "socat download differs (%d of %d bytes)"
                  % (len(result.stdout), len(payload)))
        received = []
        with tcp_server(collect_until_close(received)) as server:
            result = run([socat, "-u", "STDIN", "TCP:127.0.0.1:%d" % server.server_address[1]], modem.env(),
                         input=payload, timeout=60)
            check(result.returncode == 0, "socat upload failed: %r" % result.stderr)
            wait_for(lambda: received, what="the server to see socat close")
            check(received[0] == payload, "socat upload differs (%d of %d bytes)" % (len(received[0]), len(payload)))
        check("AT#IPSENDTCP" in modem.trace() and "AT#IPREAD" in modem.trace(),
              "socat's data did not go through the modem")
        assert_no_modem_socket_left(modem)


def case_socat_udp():
    datagrams = [os.urandom(size) for size in (1, 200, 480)]
    with workdir() as tmp, fake_modem(tmp) as modem, udp_echo_server() as port:
        process = subprocess.Popen([program("socat"), "-", "UDP:127.0.0.1:%d" % port], env=modem.env(),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for datagram in datagrams:
                process.stdin.write(datagram)
                process.stdin.flush()
                echo = read_exactly(process.stdout, len(datagram))
                check(echo == datagram, "a %d-byte datagram came back as %r" % (len(datagram), echo[:32]))
        finally:
            process.kill()
            process.wait()
        sends = modem.trace().count("AT#IPSENDUDP=")
        check(sends == len(datagrams), "%d datagrams through the modem, want %d" % (sends, len(datagrams)))


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    # meson's timeout sends SIGTERM: exit through the `with` blocks so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run_case(CASES, "test_iot.py")
