#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: tests/fuzz/corpus/<target>/.

    tests/fuzz/make-corpus.py [--fakemodem BUILD/tests/fakemodem/st87-fakemodem]

The seeds are exchanges from the vendor's application note (sections 4 to 6),
the byte streams of tests/unit/test_at.c, ST87_ROUTE / ST87_* values and DNS
replies. With --fakemodem it also records what the fake modem sends in a few
sessions (echo on, noise URCs, junk lines, a reboot) into corpus/at/fm-*;
without it those files are left as they are. The input format of each target
is described at the top of its fuzz_<target>.c.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time
import tty

# The fake modem is started by the suites' launcher (tests/integration/fakemodem_fixture.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import fakemodem_fixture  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus')
SEPARATOR = b'\x1d'


def write_seed(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), 'wb') as f:
        f.write(data)


# --- AT engine -------------------------------------------------------------

def lines(*texts):
    """Modem framing: <CR><LF>text<CR><LF> per line."""
    return b''.join(b'\r\n' + (t if isinstance(t, bytes) else t.encode()) + b'\r\n'
                    for t in texts)


def at_input(script, *segments):
    """SCRIPT '\\n' then the segments, 0x1d between them, 0x1d doubled inside."""
    body = SEPARATOR.join(s.replace(SEPARATOR, SEPARATOR * 2) for s in segments)
    return script.encode() + b'\n' + body


def at_seeds_from_note():
    boot = lines('#SIMST: 1', '+CEREG: 2', '+CEREG: 0', '+CEREG: 2', '+CGEV: ME PDN ACT 5',
                 '+CEREG: 1', '#IPCFG: 5,0,1')
    seeds = {
        # 4.2: boot URCs while idle, then a command.
        'note-boot-urcs': at_input('pA', boot, lines('OK')),
        'note-ipparams': at_input('M', b'', b'at#ipparams?\r' +
                                  lines('#IPPARAMS: 1,0,65535,60', 'OK')),
        # 4.3: the address, the IPv4 configuration and a ping of 8.8.8.8.
        'note-cgpaddr': at_input('G', b'', lines(
            '+CGPADDR: 5,"100.115.11.113","2A02:8440:5202:65D1::0029:28FD:B001"', 'OK')),
        'note-ipcfg-up': at_input('Fwp', b'', lines('OK'),
                                  lines('IP Network is Up for context 5')),
        'note-ipcfg-ipv6': at_input('I', b'', lines(
            '#IPCFG: 5,1,"100.115.11.113","2A02:8440:4312:60EF::0045:8437:0901"', 'OK')),
        'note-ipping': at_input('P', b'', lines(
            '1,0,10,3535', '2,0,10,203', '3,0,10,193', '4,0,10,185', '5,0,10,192',
            '#IPPING: 5,5,0,185,3535,861', 'OK')),
        # 5.2 to 5.4: a TCP socket, its connection, a send, the URC, the read.
        'note-tcp': at_input('CNSwpR', b'', lines('#SOCKETCREATE: 0', 'OK'), lines('OK'),
                             lines('OK'), lines('#IPRECV: 5,0'),
                             lines('#IPREAD: 5,0,20') + b'ST87M NBIOT TCP test' +
                             lines('OK')),
        # 6.2 to 6.4: the same over UDP.
        'note-udp': at_input('CUwpR', b'', lines('#SOCKETCREATE: 0', 'OK'), lines('OK'),
                             lines('#IPRECV: 5,0'),
                             lines('#IPREAD: 5,0,20') + b'ST87M NBIOT UDP test' +
                             lines('OK')),
        # Section 7 codes, with and without the space, and a bare ERROR.
        'note-errors': at_input('CCND', b'', lines('#SOCKETCREATE: 0', 'OK'),
                                lines('+CME ERROR: 2150'), lines('+CME ERROR:2152'),
                                lines('ERROR')),
    }
    for name, data in seeds.items():
        write_seed('at', name, data)


def at_seeds_from_unit_tests():
    payload = b'\r\nOK\r\n\x00\xff#\r'
    block = lines('#IPRECV: 5,1') + b'\r\n#IPREAD: 5,1,%d\r\n' % len(payload) + payload + \
        lines('OK')
    seeds = {
        'unit-echo-and-urcs': at_input('C', b'', b'AT#SOCKETCREATE=5,0,TCP,0,1,1,1\r\r\n' +
                                       lines('#IPRECV: 5,0', '#SOCKETCREATE: 1', '+CEREG: 1',
                                             'OK')),
        'unit-block-holding-line-ends': at_input('R', b'', block),
        'unit-block-one-byte-reads': at_input('1tR', b'', block),
        # The largest block allowed, then one byte more (a protocol error), read 512 bytes
        # at a time: over libFuzzer's default -max_len, so only a seed gets there.
        'block-largest': at_input('8RR', b'', lines('#IPREAD: 5,0,4096') +
                                  bytes(range(256)) * 16 + lines('OK'),
                                  lines('#IPREAD: 5,0,4097') + bytes(range(256)) * 16 +
                                  lines('OK')),
        'unit-block-too-large': at_input('RA', b'', b'\r\n#IPREAD: 5,0,999999\r\nabc' +
                                         lines('OK'), lines('OK')),
        'unit-block-short': at_input('R', b'', b'\r\n#IPREAD: 5,0,100\r\nonly a few bytes'),
        'unit-bad-block-header': at_input('R', b'', lines('#IPREAD: 5,0,12x', 'OK')),
        'unit-overlong-line': at_input('A', b'', b'x' * 2100 + lines('OK')),
        'unit-garbage-and-nul': at_input('A', b'', lines('~#?xq7', b'ab\x00cd', 'OK')),
        'unit-reboot-aborts-send': at_input('eS', b'', lines('#SIMST: 1', '+CEREG: 2')),
        'unit-ping-with-urc': at_input('P', b'', lines('1,0,10,3535', '+CEREG: 1',
                                                       '2,0,10,203',
                                                       '#IPPING: 2,2,0,203,3535,1869', 'OK')),
        'unit-tcpconnect-space': at_input('T', b'', lines('# TCPCONNECT: 5,0,5', 'OK')),
        'unit-poll-idle-lines': at_input('p', lines('#IPRECV: 5,2', 'OK',
                                                    '#SOCKETCLOSED: 5,0')),
        'unit-stale-lines': at_input('AC', b'', lines('OK', '#SOCKETCREATE: 2', 'OK')),
        # Not from the unit tests: a failing transport, the long send, a raw command.
        'transport-failures': at_input('fAWA3A', b'', lines('OK'), lines('OK'), lines('OK')),
        'large-send': at_input('L', b'', lines('OK')),
        'raw-command': at_input('X', b'', lines('ST87M01 1.2.3', '+CEREG: 1', 'OK')),
    }
    for name, data in seeds.items():
        write_seed('at', name, data)


def echo_once_then_close(connection):
    """A tcp_server behaviour: the first read sent back, then the peer closes (the modem's #IPRECV /
    #SOCKETCLOSED)."""
    data = connection.recv(4096)
    if data:
        connection.sendall(data)
    time.sleep(0.3)


class FakeModem:
    """st87-fakemodem (fakemodem_fixture.FakeModem, its files in @workdir) and the host's side of its pty."""

    def __init__(self, path, workdir, *switches):
        self.fake = fakemodem_fixture.FakeModem(workdir, '--seed', '7', *switches, program=path)
        self.fd = os.open(self.fake.pty, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)

    def read_quiet(self, quiet=0.3, until=None, limit=5.0):
        """Reads until @until appears (then @quiet more) or nothing came for @quiet s."""
        data = b''
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], quiet)
            if not ready:
                if until is None or any(u in data for u in until):
                    break
                continue
            data += os.read(self.fd, 4096)
        return data

    def command(self, text, payload=b''):
        os.write(self.fd, text.encode() + (b'\r\n' + payload if payload else b'\r'))
        return self.read_quiet(0.15, until=(b'OK\r\n', b'ERROR'))

    def close(self):
        os.close(self.fd)
        self.fake.stop()


def record_session(fakemodem, name, switches, steps):
    """steps: (script letters, command, payload, wait s). Each command's answer is a segment;
    what comes after it (URCs) is a segment released by 'w' and read by 'p'."""
    with fakemodem_fixture.workdir() as workdir:
        modem = FakeModem(fakemodem, workdir, *switches)
        script = ''
        segments = [modem.read_quiet(0.3)]
        try:
            for letters, text, payload, wait in steps:
                script += letters
                segments.append(modem.command(text, payload))
                time.sleep(wait)
                idle = modem.read_quiet(0.2)
                if idle:
                    script += 'wp'
                    segments.append(idle)
        finally:
            modem.close()
    write_seed('at', 'fm-' + name, at_input(script, *segments))


def at_seeds_from_fakemodem(fakemodem):
    with fakemodem_fixture.tcp_server(echo_once_then_close) as tcp, \
            fakemodem_fixture.udp_echo_server() as udp_port:
        record_fakemodem_sessions(fakemodem, tcp.server_address[1], udp_port)


def record_fakemodem_sessions(fakemodem, tcp_port, udp_port):
    every_byte = bytes(range(256))
    record_session(fakemodem, 'start-echo-noise', ['--echo', '--urc-noise', '--garbage'], [
        ('A', 'AT', b'', 0), ('E', 'ATE0', b'', 0), ('A', 'AT+CMEE=1', b'', 0),
        ('I', 'AT#IPCFG?', b'', 0), ('M', 'AT#IPPARAMS?', b'', 0),
        ('G', 'AT+CGPADDR=5', b'', 0), ('K', 'AT#SOCKETCREATE?', b'', 0)])
    record_session(fakemodem, 'tcp-every-byte', ['--urc-noise'], [
        ('C', 'AT#SOCKETCREATE=5,0,TCP,0,1,1,1', b'', 0),
        ('N', 'AT#TCPCONNECT=5,0,127.0.0.1,%d' % tcp_port, b'', 0),
        ('S', 'AT#IPSENDTCP=5,0,1,256', every_byte, 0.1),
        ('R', 'AT#IPREAD=5,0', b'', 0.5), ('R', 'AT#IPREAD=5,0', b'', 0),
        ('T', 'AT#TCPCONNECT?', b'', 0), ('D', 'AT#SOCKETCLOSE=5,0', b'', 0)])
    record_session(fakemodem, 'tcp-peer-close', ['--socketclosed-urc', '--urc-interleave'], [
        ('C', 'AT#SOCKETCREATE=5,0,TCP,0,1,1,1', b'', 0),
        ('N', 'AT#TCPCONNECT=5,0,127.0.0.1,%d' % tcp_port, b'', 0),
        ('S', 'AT#IPSENDTCP=5,0,1,5', b'hello', 0.6),
        ('R', 'AT#IPREAD=5,0', b'', 0), ('R', 'AT#IPREAD=5,0', b'', 0),
        ('T', 'AT#TCPCONNECT?', b'', 0)])
    record_session(fakemodem, 'udp-read-chunk', ['--read-chunk', '100'], [
        ('C', 'AT#SOCKETCREATE=5,0,UDP,0,1,1,1', b'', 0),
        ('U', 'AT#IPSENDUDP=5,0,127.0.0.1,%d,0,1,300' % udp_port, every_byte[:300 - 256] +
         every_byte, 0.2),
        ('R', 'AT#IPREAD=5,0', b'', 0), ('R', 'AT#IPREAD=5,0', b'', 0)])
    record_session(fakemodem, 'ping-and-errors', ['--garbage'], [
        ('A', 'AT+CMEE=1', b'', 0), ('P', 'AT#IPPING=5,127.0.0.1,5,32,3', b'', 0),
        ('C', 'AT#SOCKETCREATE=5,0,TCP,0,1,1,1', b'', 0),
        ('C', 'AT#SOCKETCREATE=5,0,TCP,0,1,1,1', b'', 0),
        ('N', 'AT#TCPCONNECT=5,0,127.0.0.1,1', b'', 0),
        ('R', 'AT#IPREAD=5,2', b'', 0), ('D', 'AT#SOCKETCLOSE=5,2', b'', 0)])
    record_session(fakemodem, 'reboot', ['--reboot-after', '2', '--echo'], [
        ('A', 'AT', b'', 0), ('C', 'AT#SOCKETCREATE=5,0,TCP,0,1,1,1', b'', 0),
        ('eI', 'AT#IPCFG?', b'', 1.0), ('I', 'AT#IPCFG?', b'', 0)])


# --- ST87_ROUTE -------------------------------------------------------------

AF_INET, AF_INET6 = socket.AF_INET, socket.AF_INET6


def sockaddr_in(address, port):
    return struct.pack('=H', AF_INET) + struct.pack('!H', port) + \
        socket.inet_pton(AF_INET, address) + bytes(8)


def sockaddr_in6(address, port, length=28):
    whole = struct.pack('=H', AF_INET6) + struct.pack('!HI', port, 0) + \
        socket.inet_pton(AF_INET6, address) + bytes(4)
    return whole[:length]


def route_seeds():
    seeds = {
        'one-host': (b'10.0.0.1', sockaddr_in('10.0.0.1', 80)),
        'network-port': (b'10.0.0.0/8:443', sockaddr_in('10.1.2.3', 443)),
        'ipv6-host-port': (b'[::1]:53', sockaddr_in6('::1', 53)),
        'ipv6-network': (b'[2001:db8::]/32:443', sockaddr_in6('2001:db8::1', 443, 24)),
        'star-port': (b'*:53', sockaddr_in6('::ffff:9.9.9.9', 53)),
        'exclude-first': (b' !127.0.0.1/32:8080 , 127.0.0.0/8 ,[::1]',
                          sockaddr_in('127.0.0.1', 8080)),
        'mapped-rule': (b'[::ffff:10.0.0.0]/104:80', sockaddr_in('10.9.8.7', 80)),
        'bits-past-prefix': (b'10.1.2.3/8', b''),
        'ipv6-without-brackets': (b'2001:db8::1', b''),
        'bad-port': (b'*:0,10.0.0.1:65536', b''),
        'star-prefix': (b'*/0', b''),
        'short-sockaddr': (b'*', sockaddr_in6('::1', 53, 20)),
    }
    for name, (rules, addr) in seeds.items():
        write_seed('route', name, rules + (b'\0' + addr if addr else b''))


# --- ST87_* environment -----------------------------------------------------

def environ(*pairs):
    return b''.join(b'%s=%s\0' % (n.encode(), v.encode()) for n, v in pairs)


def config_seeds():
    seeds = {
        'typical': environ(('ST87_ROUTE', '10.0.0.0/8,*:53'), ('ST87_PORT', '/dev/ttyUSB0'),
                           ('ST87_DNS', '9.9.9.9'), ('PATH', '/usr/bin:/bin')),
        'everything': environ(('ST87_ROUTE', '!127.0.0.1,[2001:db8::]/32:443,*'),
                              ('ST87_PORT', 'AUTO'), ('ST87_BAUD', ' 921600 '),
                              ('ST87_DNS', '[2620:fe::fe]:5353'), ('ST87_LOG', 'Debug'),
                              ('ST87_TRACE', '/tmp/st87 trace.txt'), ('ST87_HEX', '1'),
                              ('ST87_SEND_HANDSHAKE', ' Two-Step '),
                              ('ST87_CONNECT_TIMEOUT', '3600000'),
                              ('ST87_LINK_CHECK', '0'), ('ST87_EXIT_FLUSH_TIMEOUT', '0')),
        'all-bad': environ(('ST87_ROUTE', '10.1.2.3/8'), ('ST87_PORT', 'ttyUSB0'),
                           ('ST87_BAUD', 'fast'), ('ST87_DNS', '::1:53'), ('ST87_LOG', '5'),
                           ('ST87_HEX', 'yes'), ('ST87_SEND_HANDSHAKE', 'auto'), ('ST87_CONNECT_TIMEOUT', '0'),
                           ('ST87_LINK_CHECK', '86401'),
                           ('ST87_EXIT_FLUSH_TIMEOUT', '-1')),
        'empty-and-blank': environ(('ST87_ROUTE', ''), ('ST87_BAUD', ''), ('ST87_DNS', ' \t'),
                                   ('ST87_LOG', '\n')),
        'only-excludes': environ(('ST87_ROUTE', '!*'), ('ST87_DNS', '1.2.3.4:0')),
        # Paths of 4096 bytes (one too long) and 4095 (just fits): over libFuzzer's
        # default -max_len, so only a seed reaches them.
        'long-paths': environ(('ST87_PORT', '/' + 'd' * 4095), ('ST87_TRACE', 't' * 4095)),
        'escapes-in-error': environ(('ST87_BAUD', '\x01"\\\x7f' + 'é' * 40),
                                    ('ST87_ROUTE', '[::1]:53'),
                                    ('ST87_ROUTE', 'ignored: the first one counts')),
    }
    for name, data in seeds.items():
        write_seed('config', name, data)


# --- DNS replies ------------------------------------------------------------

A, AAAA, CNAME, SOA = 1, 28, 5, 6


def wire_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def dns_message(id_, flags, questions=(), answers=(), authority=(), qr=True):
    header = struct.pack('!HHHHHH', id_, flags | (0x8000 if qr else 0), len(questions),
                         len(answers), len(authority), 0)
    body = b''.join(wire_name(n) + struct.pack('!HH', t, 1) for n, t in questions)
    for owner, type_, ttl, rdata in list(answers) + list(authority):
        owner = owner if isinstance(owner, bytes) else wire_name(owner)
        body += owner + struct.pack('!HHIH', type_, 1, ttl, len(rdata)) + rdata
    return header + body


def dns_input(flags, name, message):
    return bytes([flags]) + name.encode() + b'\0' + message


def dns_seeds():
    question_pointer = b'\xc0\x0c'
    soa = (question_pointer, SOA, 60, wire_name('ns.example.com') +
           wire_name('hostmaster.example.com') + struct.pack('!IIIII', 1, 7200, 900, 86400, 60))
    v4 = socket.inet_pton(AF_INET, '93.184.215.14')
    v6 = socket.inet_pton(AF_INET6, '2606:2800:21f:cb07:6820:80da:af6b:8b2c')
    q_a = [('example.com', A)]
    rd_ra = 0x0180
    seeds = {
        'a-two-records': dns_input(0, 'example.com', dns_message(
            0x1234, rd_ra, q_a, [(question_pointer, A, 300, v4),
                                 (question_pointer, A, 60, bytes([1, 2, 3, 4]))])),
        'aaaa-one-record': dns_input(1, 'example.com.', dns_message(
            0xbeef, rd_ra, [('example.com', AAAA)], [(question_pointer, AAAA, 3600, v6)])),
        'cname-chain': dns_input(0, 'www.example.com', dns_message(
            7, rd_ra, [('www.example.com', A)],
            [(question_pointer, CNAME, 300, b'\xc0\x10'), ('example.com', A, 300, v4)])),
        'nxdomain': dns_input(0, 'nope.example.com', dns_message(
            8, rd_ra | 3, [('nope.example.com', A)], [], [soa])),
        'servfail': dns_input(0, 'example.com', dns_message(9, rd_ra | 2, q_a)),
        'no-data': dns_input(1, 'example.com', dns_message(
            10, rd_ra, [('example.com', AAAA)], [], [soa])),
        'truncated-mid-record': dns_input(0, 'example.com', dns_message(
            11, rd_ra | 0x0200, q_a, [(question_pointer, A, 300, v4)])[:-3]),
        'pointer-loop': dns_input(0, 'example.com', dns_message(
            12, rd_ra, q_a, [(b'\xc0\x1d', A, 300, v4)])),
        'formerr-no-question': dns_input(0, 'example.com', dns_message(13, rd_ra | 1)),
        'other-question': dns_input(0, 'example.com', dns_message(
            14, rd_ra, [('example.org', A)], [(question_pointer, A, 300, v4)])),
        'mixed-case': dns_input(0, 'ExAmPlE.cOm', dns_message(
            15, rd_ra, [('EXAMPLE.com', A)], [(question_pointer, A, 300, v4)])),
        'bad-rdlength': dns_input(0, 'example.com', dns_message(
            16, rd_ra, q_a, [(question_pointer, A, 300, v4 + b'\0')])),
        'many-records': dns_input(0, 'example.com', dns_message(
            17, rd_ra, q_a, [(question_pointer, A, 10 + i, bytes([10, 0, 0, i]))
                             for i in range(20)])),
        'query-not-reply': dns_input(2, 'example.com', dns_message(18, 0x0100, q_a, qr=False)),
        'escaped-name': dns_input(0, 'a\\.b\\065.example.com', dns_message(
            19, rd_ra, [], [])),
    }
    for name, data in seeds.items():
        write_seed('dns', name, data)


# --- st87d's wire ----------------------------------------------------------

WIRE_MAGIC, WIRE_VERSION = 0x53543837, 3
OPEN_SOCKET, RESOLVE, STATUS, CLOSE_ALL, SET_RAI, AT = range(1, 7)
CONNECTED, FAILED, PEER_CLOSED, ANSWER, TEXT = range(1, 6)
SOCK_STREAM, SOCK_DGRAM = 1, 2
IS_REPLY, WITH_FD = 1, 2


def sockaddr(family, address, port):
    """struct sockaddr_storage (128 bytes) holding an IPv4 or IPv6 address, and its length."""
    if family == AF_INET:
        raw = struct.pack('=H', AF_INET) + struct.pack('!H', port) + socket.inet_pton(AF_INET, address)
        length = 16
    else:
        raw = (struct.pack('=H', AF_INET6) + struct.pack('!HI', port, 0) +
               socket.inet_pton(AF_INET6, address) + struct.pack('=I', 0))
        length = 28
    return raw.ljust(128, b'\0'), length


def wire_request(kind, domain=0, type_=0, flags=0, local_port=0, filler=0, rai=0, remote=(b'\0' * 128, 0),
                 ip_version=0, timeout_ms=0, name=b'', magic=WIRE_MAGIC, version=WIRE_VERSION):
    """struct st87d_request as x86-64 and arm64 lay it out (440 bytes; the remote at 40, the name at 180)."""
    head = struct.pack('=IIIiiiiIi', magic, version, kind, domain, type_, flags, local_port, filler, rai)
    body = head + b'\0' * 4 + remote[0] + struct.pack('=Iii', remote[1], ip_version, timeout_ms)
    return (body + name.ljust(256, b'\0')[:256]).ljust(440, b'\0')


def wire_reply(kind, error=0, ipv4=b'', ipv6=b'', text=b'', magic=WIRE_MAGIC, datagram_limit=0,
               version=WIRE_VERSION, ttl=0, family=0, addresses=()):
    """struct st87d_reply (928 bytes): the lookup's answer after the text."""
    packed = b''.join(socket.inet_pton(family, a).ljust(16, b'\0') for a in addresses)
    return (struct.pack('=IIiII', magic, kind, error, version, datagram_limit) + ipv4.ljust(64, b'\0') +
            ipv6.ljust(64, b'\0') + text.ljust(512, b'\0') +
            struct.pack('=IiI', ttl, family, len(addresses)) + packed.ljust(256, b'\0'))


def wire_seeds():
    tcp4 = sockaddr(AF_INET, '127.0.0.1', 8080)
    udp6 = sockaddr(AF_INET6, '2001:db8::1', 53)
    requests = {
        'open-tcp': (WITH_FD, wire_request(OPEN_SOCKET, AF_INET, SOCK_STREAM, filler=4096, remote=tcp4)),
        'open-udp-framed-dns': (WITH_FD, wire_request(OPEN_SOCKET, AF_INET6, SOCK_DGRAM, flags=3,
                                                      local_port=5683, rai=2, remote=udp6)),
        'open-without-fd': (0, wire_request(OPEN_SOCKET, AF_INET, SOCK_STREAM, remote=tcp4)),
        'open-short-remote': (WITH_FD, wire_request(OPEN_SOCKET, AF_INET6, SOCK_DGRAM,
                                                    remote=(udp6[0], 16))),
        'resolve': (0, wire_request(RESOLVE, ip_version=1, name=b'sensor-hub.test')),
        'resolve-unterminated': (0, wire_request(RESOLVE, name=b'n' * 256)),
        'resolve-at-resolver': (0, wire_request(RESOLVE, remote=udp6, name=b'sensor-hub.test')),
        'status': (0, wire_request(STATUS)),
        'close-all-with-fd': (WITH_FD, wire_request(CLOSE_ALL)),
        'set-rai': (0, wire_request(SET_RAI, rai=1)),
        'at': (0, wire_request(AT, timeout_ms=10000, name=b'AT#IPCFG?')),
        'bad-magic': (0, wire_request(STATUS, magic=0x53543838)),
        'next-version': (0, wire_request(STATUS, version=WIRE_VERSION + 1)),
        'one-byte-short': (WITH_FD, wire_request(STATUS)[:-1]),
        'one-byte-long': (0, wire_request(STATUS) + b'\0'),
        'told-truncated': (4, wire_request(STATUS)),
    }
    for name, (flags, message) in requests.items():
        write_seed('wire', 'request-' + name, bytes([flags]) + message)
    replies = {
        'connected': wire_reply(CONNECTED, ipv4=b'10.20.30.40', ipv6=b'2001:db8::2', datagram_limit=1024),
        'failed': wire_reply(FAILED, 111, text=b'connection refused by the peer'),
        'text-unterminated': wire_reply(TEXT, text=b't' * 512),
        'answer-bad-magic': wire_reply(ANSWER, magic=0),
        'answer-lookup': wire_reply(ANSWER, text=b'127.0.0.1', ttl=60, family=AF_INET,
                                    addresses=('127.0.0.1', '127.0.0.2')),
        'answer-previous-version': wire_reply(ANSWER, version=WIRE_VERSION - 1),
        'answer-v2-size': wire_reply(ANSWER)[:656],
        'short': wire_reply(PEER_CLOSED)[:100],
    }
    for name, message in replies.items():
        write_seed('wire', 'reply-' + name, bytes([IS_REPLY]) + message)


# --- ELF files (st87run's check) -------------------------------------------

ELF_LAYOUTS = {
    # class: (header, program header, section header, dynamic entry, symbol) formats, little-endian
    64: ('<16sHHIQQQIHHHHHH', '<IIQQQQQQ', '<IIQQQQIIQQ', '<qQ', '<IBBHQQ'),
    32: ('<16sHHIIIIIHHHHHH', '<IIIIIIII', '<IIIIIIIIII', '<iI', '<IIIBBH'),
}
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE = 1, 2, 3, 4
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ = 0, 1, 5, 10
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB = 1, 2, 3
ELF_BASE = 0x400000


def elf_image(bits, interp=True, needed=(b'libc.so.6',), go_note=False, section=None, symbol=None):
    """A small ELF file of @bits with the parts st87run looks at; the section headers come last."""
    ehdr, phdr, shdr, dyn, sym = ELF_LAYOUTS[bits]
    body = bytearray(struct.calcsize(ehdr) + 4 * struct.calcsize(phdr))

    def put(data):
        where = len(body)
        body.extend(data + b'\0' * (-len(data) % 8))
        return where

    dynstr = b'\0' + b''.join(name + b'\0' for name in needed)
    dynstr_at = put(dynstr)
    phdrs = []
    if interp:
        interp_text = b'/lib64/ld-linux-x86-64.so.2\0'
        phdrs.append((PT_INTERP, put(interp_text), len(interp_text), 0))
        entries, offset = [], 1
        for name in needed:
            entries.append((DT_NEEDED, offset))
            offset += len(name) + 1
        entries += [(DT_STRTAB, ELF_BASE + dynstr_at), (DT_STRSZ, len(dynstr)), (DT_NULL, 0)]
        dynamic = b''.join(struct.pack(dyn, *entry) for entry in entries)
        phdrs.append((PT_DYNAMIC, put(dynamic), len(dynamic), 0))
    if go_note:
        note = struct.pack('<III', 4, 4, 4) + b'Go\0\0' + b'id!\0'
        phdrs.append((PT_NOTE, put(note), len(note), 0))
    names = b'\0.shstrtab\0.symtab\0.strtab\0' + (section + b'\0' if section else b'')
    names_at = put(names)
    strtab = b'\0main\0' + (symbol + b'\0' if symbol else b'')
    strtab_at = put(strtab)
    # st_name comes first in both classes; the other fields are 0.
    symbols = struct.pack(sym, *([0] * 6)) + (struct.pack(sym, 6, 0, 0, 0, 0, 0) if symbol else b'')
    symbols_at = put(symbols)
    sections = [(0,) * 10,
                (1, SHT_STRTAB, 0, 0, names_at, len(names), 0, 0, 1, 0),
                (19, SHT_STRTAB, 0, 0, strtab_at, len(strtab), 0, 0, 1, 0),
                (11, SHT_SYMTAB, 0, 0, symbols_at, len(symbols), 2, 0, 8, struct.calcsize(sym))]
    if section:
        sections.append((27, SHT_PROGBITS, 0, 0, symbols_at, 0, 0, 0, 1, 0))
    shoff = len(body)
    for entry in sections:
        body.extend(struct.pack(shdr, *entry))
    load = (PT_LOAD, 0, ELF_BASE, ELF_BASE, len(body), len(body), 5, 0x1000) if bits == 32 else \
        (PT_LOAD, 5, 0, ELF_BASE, ELF_BASE, len(body), len(body), 0x1000)
    packed = [struct.pack(phdr, *load)]
    for type_, offset, size, _ in phdrs:
        packed.append(struct.pack(phdr, type_, offset, 0, 0, size, size, 0, 1) if bits == 32 else
                      struct.pack(phdr, type_, 4, offset, 0, 0, size, size, 1))
    phoff = struct.calcsize(ehdr)
    table = b''.join(packed)
    body[phoff:phoff + len(table)] = table
    ident = b'\x7fELF' + bytes([1 if bits == 32 else 2, 1, 1]) + b'\0' * 9
    header = struct.pack(ehdr, ident, 3, 62, 1, 0, phoff, shoff, 0, struct.calcsize(ehdr),
                         struct.calcsize(phdr), len(packed), struct.calcsize(shdr), len(sections), 1)
    body[:len(header)] = header
    return bytes(body)


def elf_seeds():
    for bits in (64, 32):
        seeds = {
            'dynamic-libc': elf_image(bits),
            'static': elf_image(bits, interp=False),
            'no-libc': elf_image(bits, needed=(b'libcrypt.so.1',)),
            'liburing': elf_image(bits, needed=(b'liburing.so.2', b'libc.so.6')),
            'go-note': elf_image(bits, go_note=True),
            'go-buildinfo': elf_image(bits, section=b'.go.buildinfo'),
            'go-runtime-main': elf_image(bits, interp=False, symbol=b'runtime.main'),
        }
        for name, image in seeds.items():
            write_seed('elf', '%d-%s' % (bits, name), image)
    write_seed('elf', 'big-endian', b'\x7fELF\x02\x02\x01' + b'\0' * 57)
    write_seed('elf', 'script', b'#!/bin/sh\necho hi\n')


# --- st87d's SOCKS5 door -----------------------------------------------------

def socks_seeds():
    """A client's greeting then its request, as curl, git and Go send them, and a few bad ones."""
    greeting = b'\x05\x01\x00'
    seeds = {
        'connect-ipv4': greeting + b'\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\x90',
        'connect-ipv6': greeting + b'\x05\x01\x00\x04' + b'\x00' * 15 + b'\x01\x00\x50',
        'connect-name': b'\x05\x02\x00\x02' + b'\x05\x01\x00\x03\x0bexample.org\x01\xbb',
        'udp-associate': greeting + b'\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00',
        'password-only': b'\x05\x01\x02',
        'socks4': b'\x04\x01\x00\x50\x7f\x00\x00\x01\x00',
        'bad-address-type': greeting + b'\x05\x01\x00\x07\x01\x02',
        'name-with-nul': greeting + b'\x05\x01\x00\x03\x03a\x00b\x00\x50',
        'datagram-ipv4': b'\x00\x00\x00\x01\x7f\x00\x00\x01\x00\x35query',
        'datagram-fragment': b'\x00\x00\x01\x03\x04name\x00\x35query',
    }
    for name, data in seeds.items():
        write_seed('socks', name, data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--fakemodem', help='path of st87-fakemodem: record sessions with it')
    args = parser.parse_args()
    at_seeds_from_note()
    at_seeds_from_unit_tests()
    if args.fakemodem:
        at_seeds_from_fakemodem(args.fakemodem)
    route_seeds()
    config_seeds()
    dns_seeds()
    wire_seeds()
    elf_seeds()
    socks_seeds()
    return 0


if __name__ == '__main__':
    sys.exit(main())
