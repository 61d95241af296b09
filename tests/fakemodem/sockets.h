/* The modem's sockets (ids 0..2: at most 1 TCP and 2 UDP), each backed by a
 * real, non-blocking host socket, with a bounded receive buffer. */
#ifndef FM_SOCKETS_H
#define FM_SOCKETS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bytebuf.h"

#define FM_MAX_SOCKETS 3
#define FM_MAX_TCP 1
#define FM_MAX_UDP 2

enum tcp_link {
	TCP_IDLE, /* created, not connected (or a connect failed) */
	TCP_CONNECTING,
	TCP_CONNECTED,
	TCP_PEER_CLOSED, /* the peer closed; buffered bytes may remain */
};

struct sock_params {
	bool tcp;
	long ipver;    /* 0 IPv4, 1 IPv6 */
	long udp_port; /* bound port for UDP (0: any); kept as given for TCP */
	long send_timeout;
	long recv_timeout;
	long urc; /* 0 none, 1 #IPRECV, 2 #IPRECV with byte count */
	long sec; /* security profile id (always 0 here) */
};

struct msock {
	bool used;
	struct sock_params p;
	int fd; /* host socket or -1 */
	enum tcp_link link;
	bool broken;       /* a send failed: the TCP link is unusable */
	struct bytebuf rx; /* TCP: the byte stream; UDP: [u16 len][bytes]... */
	size_t rx_bytes;   /* payload bytes waiting to be read */
	struct bytebuf tx; /* TCP bytes the host socket has not taken yet */
	/* The air model (air.h): a new number for each connection, so bytes
	 * on the air for an old one never reach a new one; the peer's bytes
	 * on their way to the receive buffer (counted against it); the
	 * peer's close on its way, after them. */
	uint32_t epoch;
	size_t air_bytes;
	bool eof_on_air;
};

enum sock_event {
	SOCK_EV_DATA,        /* the receive buffer went from empty to not */
	SOCK_EV_PEER_CLOSED, /* a TCP peer closed or reset the link */
};

struct socket_table {
	struct msock s[FM_MAX_SOCKETS];
	size_t rx_limit; /* receive buffer size per socket */
	void (*notify)(void *ctx, int sid, enum sock_event ev);
	void *ctx;
	/* Set: what the peers send goes here (to the air) instead of to the
	 * receive buffers; n = 0 is a TCP peer's close. */
	void (*divert)(void *ctx, int sid, const uint8_t *data, size_t n);
	uint64_t udp_dropped;
};

void socktab_init(struct socket_table *t, size_t rx_limit, void (*notify)(void *, int, enum sock_event),
		  void *ctx);
/* The socket with id sid if it is in use, else NULL. */
struct msock *socktab_get(struct socket_table *t, long sid);
int socktab_open_count(const struct socket_table *t);

/* Creates a modem socket (for UDP also its host socket, bound to loopback).
 * Returns 0 with *sid set, or a CME code: 2150 no free socket of that type,
 * 2155 bind failed. */
int sock_create(struct socket_table *t, const struct sock_params *p, int *sid);
/* Closes the modem socket and its host socket. */
void sock_close(struct socket_table *t, int sid);
void socktab_close_all(struct socket_table *t);

/* Starts a non-blocking TCP connect. Returns 0 (link now CONNECTING or
 * CONNECTED) or -errno when it failed at once (link stays TCP_IDLE). */
int sock_connect(struct msock *s, const struct sockaddr_storage *to, socklen_t tolen);
/* Drops the TCP link and everything buffered on it (fd closed). */
void sock_disconnect(struct msock *s);
/* 3 not connected, 4 connecting, 5 connected; a link the peer closed counts
 * as connected until its buffered bytes have been read. */
int sock_tcp_status(const struct msock *s);
/* <socket_status> of AT#SOCKETCREATE?: 4 UDP, 6 TCP not connected,
 * 7 TCP connected. */
int sock_list_status(const struct msock *s);

/* Queues payload for the peer: TCP writes what the host socket takes and
 * keeps the rest; UDP sends one datagram to *to. Returns 0 or -errno. */
int sock_send(struct msock *s, const void *data, size_t len, const struct sockaddr_storage *to,
	      socklen_t tolen);

/* The next read: up to max bytes of the TCP stream, or one whole UDP
 * datagram (max ignored). Sets *data; returns its length (0 when empty).
 * sock_read_done() then removes what was read. */
size_t sock_read_peek(const struct msock *s, size_t max, const uint8_t **data);
void sock_read_done(struct msock *s, size_t n);

/* What divert() took has come over the air: into the receive buffer (the
 * notify callback tells of it as if it had just come from the peer). */
void sock_air_arrive(struct socket_table *t, int sid, const uint8_t *data, size_t n);
void sock_air_peer_closed(struct socket_table *t, int sid);

/* Fills fds (room for FM_MAX_SOCKETS) with the host sockets that need
 * watching; sids[i] names the modem socket of fds[i]. Returns the count. */
size_t socktab_pollfds(struct socket_table *t, struct pollfd *fds, int *sids);
/* Acts on the results of poll for those fds. */
void socktab_handle(struct socket_table *t, const struct pollfd *fds, const int *sids, size_t n);

#endif
