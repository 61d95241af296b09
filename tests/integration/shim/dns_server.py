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


def answer(query, records, ttl=60, rcode=None):
    """The reply to `query`; `records` maps lower-case names to {qtype: [packed addresses]}; each record has `ttl`.
    With `rcode` (2: SERVFAIL, 5: REFUSED) the reply carries that code and no address."""
    ident, _flags, qdcount = struct.unpack("!HHH", query[:6])
    if qdcount != 1:
        return None
    name, offset = _read_name(query, 12)
    qtype, qclass = struct.unpack("!HH", query[offset:offset + 4])
    question = query[12:offset + 4]
    found = records.get(name.lower())
    addresses = (found or {}).get(qtype, []) if rcode is None else []
    if rcode is None:
        rcode = 0 if found is not None else 3
    header = struct.pack("!HHHHHH", ident, 0x8400 | rcode, 1, len(addresses), 0, 0)
    body = b""
    for address in addresses:
        body += struct.pack("!HHHIH", 0xC00C, qtype, qclass, ttl, len(address)) + address
    return header + question + body


@contextlib.contextmanager
def dns_server(records, ttl=60, host="127.0.0.1", port=0, hold=None, peers=None, rcode=None):
    """Serves `records` ({"name": "127.0.0.1"}, or a list of IPv4 addresses per name) with records of `ttl` seconds
    on host:port (any free port when 0); yields (port, list of names asked). With `hold` (a threading.Event),
    each answer waits for it; `peers` (a list) gets the address each query came from; `rcode` as answer() takes it."""
    table = {}
    for name, addresses in records.items():
        listed = [addresses] if isinstance(addresses, str) else addresses
        table[name.lower()] = {1: [socket.inet_pton(socket.AF_INET, a) for a in listed], 28: []}
    asked = []

    def reply(query, peer):
        try:
            name, _ = _read_name(query, 12)
            asked.append(name)
            if peers is not None:
                peers.append(peer)
            if hold is not None:
                hold.wait()
            return answer(query, table, ttl, rcode)
        except (IndexError, struct.error, UnicodeDecodeError):
            return None

    with udp_server(reply, host, port) as bound:
        yield bound, asked
