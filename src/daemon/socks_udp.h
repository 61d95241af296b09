/*
 * st87d's SOCKS5 door: UDP ASSOCIATE (RFC 1928 §7). The client's datagrams
 * come to a relay socket on loopback, each with a header naming its
 * destination; they go over the modem as a program's unconnected UDP
 * socket's do (one framed routed socket per address family), and answers
 * come back with a header naming their source.
 */
#ifndef ST87_DAEMON_SOCKS_UDP_H
#define ST87_DAEMON_SOCKS_UDP_H

#include <sys/socket.h>
#include <sys/types.h>

#include "socks_handover.h"

struct socks_udp_association {
	int control; /* the client's connection: the association lasts as long as it */
	uid_t uid;   /* the client's: every datagram's sender must be a socket of this user */
	const char *who;
	struct socks_client client;
	/* Where the client said it sends from (DST.ADDR, DST.PORT); zeros: learned from the first datagram. */
	struct sockaddr_storage sender;
};

/* A UDP socket for the relay beside @control's local address (127.0.0.1 for a Unix socket): fd, or -errno. */
int socks_udp_open(int control, struct sockaddr_storage *bound);

/* Relays datagrams on @relay (taken over) until the control connection ends. */
void socks_udp_relay(const struct socks_udp_association *association, int relay);

#endif
