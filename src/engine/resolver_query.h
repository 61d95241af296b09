/*
 * One DNS question to a resolver over a modem UDP socket, asked from the
 * caller's thread: the socket is a record of its own whose pair the engine
 * bridges like a program's, so the question is a datagram out and one back
 * while the engine keeps serving every other socket (AT#DNS would hold them
 * all until the modem answers).
 */
#ifndef ST87_ENGINE_RESOLVER_QUERY_H
#define ST87_ENGINE_RESOLVER_QUERY_H

#include <stddef.h>
#include <sys/socket.h>

#include "dns_message.h"

/* The tries one resolver gets: a lost datagram is asked once more. */
#define ENGINE_RESOLVER_TRIES 2

/*
 * Asks @server (@server_len bytes, IPv4 or IPv6 with its port) for @name's
 * records of @qtype (ns_t_a or ns_t_aaaa), @tries times at most (5 s each)
 * while no answer comes. Returns an enum shim_dns_outcome with @answer (its ttl as the
 * reply gave it), or -ETIMEDOUT (no answer), or another -errno (the modem
 * socket failed, no memory) with @error saying why.
 */
int engine_ask_resolver(const struct sockaddr *server, socklen_t server_len, const char *name, int qtype,
			int tries, struct shim_dns_answer *answer, char *error, size_t error_len);

#endif
