/*
 * The modem's one TCP socket taken from an idle connection of the same
 * program for a connect waiting in line (evict.c; the line: tcp_queue.c).
 */
#ifndef ST87_ENGINE_EVICT_H
#define ST87_ENGINE_EVICT_H

#include "routed_socket.h"

/* The routed connection holding the modem's TCP socket among @sockets, or NULL. */
struct routed_socket *engine_tcp_holder(struct routed_socket *sockets);
/*
 * When @holder, the connection holding the modem's TCP socket, may give it
 * to @waiter: 0 now, else the ms until it is worth a new look; -1 never
 * (another program's connection, or ST87_TCP_EVICT_IDLE=0): the waiter
 * waits for its close.
 */
int engine_eviction_due_ms(struct routed_socket *holder, const struct routed_socket *waiter,
			   long long now);
/* Takes the TCP socket from @holder for the connect of @for_what: it sees the peer's close. */
void engine_evict(struct routed_socket *holder, const char *for_what);

#endif
