/* st87d's SOCKS5 door: a client's socket handed to the engine as serve.c hands a program's. */
#ifndef ST87_DAEMON_SOCKS_HANDOVER_H
#define ST87_DAEMON_SOCKS_HANDOVER_H

#include <sys/socket.h>
#include <sys/types.h>

#include "engine.h"

struct shim_config;

/* Who a door's routed sockets belong to, for the engine's lines and its TCP line. */
struct socks_client {
	pid_t pid; /* 0: not known */
	const char *program;
	const struct shim_config *config;
};

/*
 * A routed socket of @type (SOCK_STREAM, or SOCK_DGRAM framed: each
 * datagram with a struct datagram_header) to @remote, its engine end handed
 * over and held once for the caller (routed_socket_release when done); the
 * other end of its pair (SOCK_STREAM, SOCK_SEQPACKET for datagrams) in
 * @program_end. NULL when st87d is out of fds or memory, or the engine
 * cannot start.
 */
struct routed_socket *socks_hand_to_engine(const struct socks_client *client, int type,
					   const struct sockaddr_storage *remote, socklen_t remote_len,
					   int *program_end);

#endif
