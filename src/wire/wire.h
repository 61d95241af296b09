/*
 * st87d's wire: what a client (the shim, st87ctl) and the daemon say over
 * the daemon's Unix socket. SOCK_SEQPACKET, so every message arrives whole;
 * one connection per request. A routed socket's connection stays open for
 * the socket's life: the daemon reports on it (connected, failed, the peer's
 * close) and closes it when the socket is retired, so a client that sees it
 * hang up without a report knows the daemon died.
 *
 * Nothing here depends on libst87 or the shim: both sides and st87ctl link it.
 */
#ifndef ST87_DAEMON_WIRE_H
#define ST87_DAEMON_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ST87D_MAGIC 0x53543837u /* "ST87" */
/*
 * 2: replies carry the datagram limit. 3: replies carry the version; a
 * lookup names its resolver and its answer carries every address and how
 * long it may be kept. A message with our magic and another version (or
 * size) is another release's: -EPROTONOSUPPORT, which both sides name.
 */
#define ST87D_VERSION 3u

enum st87d_request_kind {
	/* A routed socket: the engine's end of the client's pair travels with the request. */
	ST87D_OPEN_SOCKET = 1,
	/* A name: to the resolver in remote (ST87_DNS), or, remote_len 0, to the daemon's choice. */
	ST87D_RESOLVE,
	ST87D_STATUS,    /* the daemon's sockets and their clients, as text */
	ST87D_CLOSE_ALL, /* every modem socket closed (the daemon's user or root only) */
	/* On a routed socket's connection, after OPEN_SOCKET: the program changed ST87_SO_RAI. */
	ST87D_SET_RAI,
	ST87D_AT,      /* one AT command line (name), for st87ctl at (the daemon's user or root only) */
	ST87D_RADIO,   /* the 27.007 radio queries: radio_lines.h's lines, then ST87D_ANSWER */
	ST87D_METRICS, /* st87d's metrics, one Prometheus text sample a line, then ST87D_ANSWER */
};

enum st87d_socket_flags {
	ST87D_FRAMED = 1, /* unconnected UDP: datagrams carry the shim's datagram header */
	/* 2 was "each datagram is a DNS query" before version 3: st87d asks resolvers itself now. */
};

struct st87d_request {
	uint32_t magic, version, kind;
	/* ST87D_OPEN_SOCKET */
	int32_t domain, type, flags, local_port;
	uint32_t filler; /* bytes the client wrote to its end to keep it unwritable while connecting */
	int32_t rai;     /* UDP: <rai> of its datagrams (0, 1, 2); also ST87D_SET_RAI's value */
	struct sockaddr_storage remote;
	uint32_t remote_len;
	/* ST87D_RESOLVE (the resolver in remote); ST87D_AT: the command line in name */
	int32_t ip_version; /* 0 IPv4, 1 IPv6 */
	/* ST87D_AT: how long the final result may take; ST87D_OPEN_SOCKET: the client's connect
	 * timeout, how long a TCP connect may wait for the modem's TCP socket (0: the daemon's) */
	int32_t timeout_ms;
	char name[256];
};

enum st87d_reply_kind {
	ST87D_CONNECTED = 1, /* the modem socket is open (and the TCP link up) */
	ST87D_FAILED,        /* error and text say why; the daemon's end is closed */
	ST87D_PEER_CLOSED,   /* the peer closed: the EOF the client sees is a clean one */
	ST87D_ANSWER,        /* a request's result: error 0 and text, or error and why */
	ST87D_TEXT,          /* one line of a longer answer; ST87D_ANSWER ends it */
};

#define ST87D_ADDR_LEN 64
/* Addresses one lookup's answer carries. */
#define ST87D_MAX_ADDRESSES 16

struct st87d_reply {
	uint32_t magic, kind;
	int32_t error; /* positive errno, 0 for none; a lookup's DNS outcome as its errno */
	uint32_t version;
	uint32_t datagram_limit; /* ST87D_CONNECTED: the largest datagram the modem takes, 0 not known yet */
	char ipv4[ST87D_ADDR_LEN],
		ipv6[ST87D_ADDR_LEN]; /* ST87D_CONNECTED, ANSWER: the modem's addresses */
	char text[512];
	/* ST87D_ANSWER to ST87D_RESOLVE: how long the answer may be kept (the daemon's cache keeps it
	 * that long; 0: not at all), and its addresses (in_addr or in6_addr by family) */
	uint32_t ttl_s;
	int32_t family;
	uint32_t address_count;
	uint8_t addresses[ST87D_MAX_ADDRESSES][16];
};

/* Connects to the daemon at @path: the fd, or -errno (-ENOENT, -ECONNREFUSED: no daemon there). */
int st87d_dial(const char *path);

/* Sends @len bytes as one message, with @fd_to_pass (-1: none) as SCM_RIGHTS. 0 or -errno. */
int st87d_send_message(int connection, const void *message, size_t len, int fd_to_pass);

/* Sends @request, with @fd_to_pass (-1: none) as SCM_RIGHTS. 0 or -errno. */
int st87d_send_request(int connection, struct st87d_request *request, int fd_to_pass);

/* Receives one request and the fd that came with it (-1: none). 0, -errno, or -EPROTO for a bad message. */
int st87d_receive_request(int connection, struct st87d_request *request, int *passed_fd);

/*
 * The checks st87d_receive_request() makes of a message: @len bytes that
 * came with recvmsg()'s @flags. 0 and @request (its name NUL-terminated)
 * for a whole request of this version; -EPROTONOSUPPORT for our magic with
 * another version or size (another release's client); else -EPROTO.
 */
int st87d_decode_request(const void *message, size_t len, int flags, struct st87d_request *request);

/* The most filler a client may announce: more than any pair's buffer holds. */
#define ST87D_MAX_FILLER (1u << 20)

/* What is wrong with an ST87D_OPEN_SOCKET request's fields, in a few words, or NULL when they are sane. */
const char *st87d_socket_request_problem(const struct st87d_request *request);

/* Sends one reply. 0 or -errno. */
int st87d_send_reply(int connection, uint32_t kind, int error, const char *text);
/*
 * ST87D_ANSWER to a lookup: @answer's error, text, ttl_s, family and
 * addresses, and the modem's addresses in ipv4 and ipv6 (the program learns
 * whether its context has IPv6). The rest is filled here.
 */
int st87d_send_lookup_answer(int connection, struct st87d_reply *answer);
/* ST87D_CONNECTED with the modem's addresses and the largest datagram it takes (0: not known yet). */
int st87d_send_connected(int connection, const char *ipv4, const char *ipv6, uint32_t datagram_limit);

/*
 * Receives one reply, waiting at most @timeout_ms (-1: no bound, 0: only
 * what is there). 1 and @reply, 0 when the daemon hung up, -EAGAIN when
 * nothing came, -EPROTONOSUPPORT for a daemon of another wire version,
 * -EPROTO for a bad message, other -errno.
 */
int st87d_receive_reply(int connection, struct st87d_reply *reply, int timeout_ms);

/* The checks st87d_receive_reply() makes of @len bytes: 0 and @reply (its texts NUL-terminated),
 * -EPROTONOSUPPORT (our magic, another version or size), or -EPROTO. */
int st87d_decode_reply(const void *message, size_t len, struct st87d_reply *reply);

/* What -EPROTONOSUPPORT from the functions above means, for a message to the user. */
#define ST87D_OTHER_VERSION                                                                     \
	"st87d and this program speak different versions of st87d's protocol (an upgrade that " \
	"left an older st87d running? restart st87d)"

#endif
