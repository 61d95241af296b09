"""A tiny authoritative DNS server on loopback for the tests: A/AAAA for a few names, NXDOMAIN otherwise."""
import contextlib
import socket
import struct

from fakemodem_fixture import udp_server


def _read_name(message, offset):
    labels = []
    while True:
        length = message[offset]
        offset += 1
        if length == 0:
            return ".".join(labels), offset
        labels.append(message[offset:offset + length].decode("ascii"))
        offset += length


def answer(query, records):
    """The reply to `query`; `records` maps lower-case names to {qtype: [packed addresses]}."""
    ident, _flags, qdcount = struct.unpack("!HHH", query[:6])
    if qdcount != 1:
        return None
    name, offset = _read_name(query, 12)
    qtype, qclass = struct.unpack("!HH", query[offset:offset + 4])
    question = query[12:offset + 4]
    found = records.get(name.lower())
    addresses = (found or {}).get(qtype, [])
    rcode = 0 if found is not None else 3
    header = struct.pack("!HHHHHH", ident, 0x8400 | rcode, 1, len(addresses), 0, 0)
    body = b""
    for address in addresses:
        body += struct.pack("!HHHIH", 0xC00C, qtype, qclass, 60, len(address)) + address
    return header + question + body


@contextlib.contextmanager
def dns_server(records):
    """Serves `records` ({"name": "127.0.0.1"}) on 127.0.0.1; yields (port, list of names asked)."""
    table = {}
    for name, address in records.items():
        table[name.lower()] = {1: [socket.inet_pton(socket.AF_INET, address)], 28: []}
    asked = []

    def reply(query, _peer):
        try:
            name, _ = _read_name(query, 12)
            asked.append(name)
            return answer(query, table)
        except (IndexError, struct.error, UnicodeDecodeError):
            return None

    with udp_server(reply) as port:
        yield port, asked
