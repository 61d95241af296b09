/*
 * The modem's one TCP socket, taken in turn (tcp_queue.c): routed TCP
 * connects wait in line for it, first come first served, each up to its own
 * deadline. The engine thread's alone, but for each record's
 * waiting_for_tcp (shared, under engine_lock).
 */
#ifndef ST87_ENGINE_TCP_QUEUE_H
#define ST87_ENGINE_TCP_QUEUE_H

#include "routed_socket.h"

/* @s, a TCP socket handed to the engine, joins the end of the line; @sockets: the engine's list. */
void tcp_queue_add(struct routed_socket *s, struct routed_socket *sockets);

/* @s leaves the line, wherever it stands (it is retired); nothing when it is not in it. */
void tcp_queue_remove(struct routed_socket *s);

/*
 * The first in line, taken off it, once its turn has come: no connection of
 * @sockets holds the TCP socket, or an idle one of the same program has just
 * given it up (evict.c), or the holder, quiet for a while, turned out to be
 * gone when @modem (NULL: not open) was asked. NULL while it must wait.
 * Connects whose deadline passed fail first (ETIMEDOUT, one line naming the
 * holder).
 */
struct routed_socket *tcp_queue_next(struct st87_modem *modem, struct routed_socket *sockets,
				     long long now);

/* When (st87_now_ms() time) the line needs a look without any event: a deadline, an idle holder; -1 never. */
long long tcp_queue_due_ms(struct routed_socket *sockets, long long now);

/* @s's place in the line, 1 for the first; 0 when it is not in it. */
int tcp_queue_place(const struct routed_socket *s);

/* Takes everyone off the line, doing @with_each to each (at exit, to fail them). */
void tcp_queue_drain(void (*with_each)(struct routed_socket *s));

/* In a forked child: the parent's line is not the child's. */
void tcp_queue_forget(void);

#endif
