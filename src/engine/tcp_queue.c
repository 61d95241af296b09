/*
 * The modem has one TCP socket, and programs open several connections at
 * once (git's five parallel requests, a client library's wake-up channel).
 * Failing the second connect at once breaks them, though they would work if
 * it waited. So a routed TCP connect joins a line and is connected on the
 * modem only when no connection holds the socket: the holder's program
 * closed it (its data flushed first, then AT#SOCKETCLOSE, by the engine's
 * loop), its peer closed it, or, an idle connection of the same program, it
 * gave the socket up (evict.c). Nothing is sent to the modem for a connect in
 * line, so a hand-over costs AT#SOCKETCLOSE, AT#SOCKETCREATE and
 * AT#TCPCONNECT, and a create is never refused (2150) for a socket the engine
 * is still closing. A connect still in line at its deadline (the program's
 * ST87_CONNECT_TIMEOUT) fails with ETIMEDOUT, as a connect to a server that
 * does not answer: programs report it as such, where EMFILE would read as
 * "out of file descriptors".
 */
#include "tcp_queue.h"

#include <errno.h>
#include <stdio.h>

#include "engine_host.h"
#include "engine_io.h"
#include "engine_metrics.h"
#include "evict.h"
#include "routed_address.h"
#include "socket_outcome.h"

static struct routed_socket *first, *last;

/*
 * How long a holder others wait for may stay quiet before the modem is asked
 * whether its link is still up (AT#TCPCONNECT?, as the idle link check does):
 * a modem that dropped it without a word, or a peer's close it did not
 * announce, would otherwise keep everyone in line until their deadlines.
 */
#define HOLDER_CHECK_MS 2000

static void set_waiting(struct routed_socket *s, bool waiting)
{
	pthread_mutex_lock(&engine_lock);
	s->waiting_for_tcp = waiting;
	pthread_mutex_unlock(&engine_lock);
}

static long long deadline_of(const struct routed_socket *s)
{
	return s->connect_deadline_ms ? s->connect_deadline_ms
				      : s->queued_ms + engine_settings_given.connect_timeout_ms;
}

int tcp_queue_place(const struct routed_socket *s)
{
	int place = 1;
	for (const struct routed_socket *w = first; w; w = w->next_waiter, place++)
		if (w == s)
			return place;
	return 0;
}

void tcp_queue_add(struct routed_socket *s, struct routed_socket *sockets)
{
	s->next_waiter = NULL;
	s->queued_ms = st87_now_ms();
	if (last)
		last->next_waiter = s;
	else
		first = s;
	last = s;
	set_waiting(s, true);
	struct routed_socket *holder = engine_tcp_holder(sockets);
	if (!holder && first == s)
		return; /* its turn has come: no wait worth a line */
	s->waited_in_line = true;
	engine_metrics_count_tcp_wait(1, 0);
	char what[160], held_by[160] = "no one yet";
	engine_describe(s, what, sizeof(what));
	if (holder)
		engine_describe(holder, held_by, sizeof(held_by));
	st87_log(ST87_LOG_INFO, "%s: waits for the modem's TCP socket (place %d in line; held by %s)",
		 what, tcp_queue_place(s), held_by);
}

/* Takes @s out of the list; false when it is not in it. */
static bool unlink_waiter(struct routed_socket *s)
{
	struct routed_socket *before = NULL;
	for (struct routed_socket *w = first; w; before = w, w = w->next_waiter) {
		if (w != s)
			continue;
		if (before)
			before->next_waiter = s->next_waiter;
		else
			first = s->next_waiter;
		if (last == s)
			last = before;
		s->next_waiter = NULL;
		/* The line's length and each wait as it ends, for st87d's metrics. */
		if (s->waited_in_line)
			engine_metrics_count_tcp_wait(-1, st87_now_ms() - s->queued_ms);
		s->waited_in_line = false;
		return true;
	}
	return false;
}

void tcp_queue_remove(struct routed_socket *s)
{
	if (unlink_waiter(s))
		set_waiting(s, false);
}

/*
 * @s, first in line, leaves it to be connected, unless its program gave up
 * meanwhile. A blocking connect past its deadline marks its record FAILED
 * itself, but only while the record is in line (route_socket.c
 * wait_connected): so the look at the state and the leaving are one step
 * under engine_lock, or the engine could connect, and hold the only TCP
 * socket for, a connect its program was already told had timed out.
 */
static bool take_turn(struct routed_socket *s)
{
	unlink_waiter(s);
	pthread_mutex_lock(&engine_lock);
	s->waiting_for_tcp = false;
	bool connecting = s->state == ROUTED_CONNECTING;
	pthread_mutex_unlock(&engine_lock);
	return connecting && s->engine_fd >= 0 && !s->program_done;
}

/* The deadline passed in line: the connect fails, saying who kept the socket. */
static void give_up(struct routed_socket *s, struct routed_socket *holder, long long now)
{
	pthread_mutex_lock(&engine_lock);
	bool connecting = s->state == ROUTED_CONNECTING;
	pthread_mutex_unlock(&engine_lock);
	/* A program that gave up first (its own wait ran out) has said so already. */
	if (connecting) {
		char what[160], held_by[160] = "the connects ahead in line";
		engine_describe(s, what, sizeof(what));
		if (holder)
			engine_describe(holder, held_by, sizeof(held_by));
		st87_fail(-ETIMEDOUT,
			  "waited %lld ms for the modem's only TCP socket (ST87_CONNECT_TIMEOUT): "
			  "%s holds it",
			  now - s->queued_ms, held_by);
		st87_log(ST87_LOG_ERROR, "%s: %s", what, st87_last_error());
	}
	engine_fail(s, ETIMEDOUT);
}

static void fail_expired(struct routed_socket *sockets, long long now)
{
	struct routed_socket *next;
	for (struct routed_socket *s = first; s; s = next) {
		next = s->next_waiter;
		if (deadline_of(s) > now)
			continue;
		tcp_queue_remove(s);
		give_up(s, engine_tcp_holder(sockets), now);
	}
}

/* Still wants the socket: not failed meanwhile (the modem lost, close-all), its program still there. */
static bool still_waiting(struct routed_socket *s)
{
	pthread_mutex_lock(&engine_lock);
	bool connecting = s->state == ROUTED_CONNECTING;
	pthread_mutex_unlock(&engine_lock);
	return connecting && s->engine_fd >= 0 && !s->program_done;
}

/*
 * A holder quiet for HOLDER_CHECK_MS while others wait is asked about once
 * per quiet spell: again only after new traffic, so a quiet holder does not
 * keep the modem awake until every deadline. The question is not traffic:
 * half-close and eviction go on measuring the quiet from the last payload.
 * Not asked while it still has bytes for its program (a closed link's last
 * read would go where they wait) or its peer's close is being passed on.
 */
static bool holder_check_due(const struct routed_socket *holder)
{
	return !holder->peer_closed && holder->inbound_sent == holder->inbound_len &&
		holder->link_checked_ms < holder->last_traffic_ms + HOLDER_CHECK_MS;
}

struct routed_socket *tcp_queue_next(struct st87_modem *modem, struct routed_socket *sockets,
				     long long now)
{
	fail_expired(sockets, now);
	for (;;) {
		while (first && !still_waiting(first))
			tcp_queue_remove(first);
		struct routed_socket *s = first;
		if (!s)
			return NULL;
		struct routed_socket *holder = engine_tcp_holder(sockets);
		if (!holder) {
			if (take_turn(s))
				return s;
			continue; /* it gave up: the next in line may go */
		}
		if (engine_eviction_due_ms(holder, s, now) != 0) {
			if (!modem || !holder_check_due(holder) ||
			    now - holder->last_traffic_ms < HOLDER_CHECK_MS)
				return NULL;
			engine_check_link(modem, holder, LINK_CHECK_IDLE);
			if (engine_tcp_holder(sockets) == holder)
				return NULL;
			continue; /* it was gone: the next in line may go */
		}
		char what[160];
		engine_describe(s, what, sizeof(what));
		engine_evict(holder, what);
		if (engine_tcp_holder(sockets) == holder)
			return NULL; /* its close did not go through (no modem): the loop tries again */
	}
}

long long tcp_queue_due_ms(struct routed_socket *sockets, long long now)
{
	if (!first)
		return -1;
	long long due = -1;
	for (const struct routed_socket *s = first; s; s = s->next_waiter)
		if (due < 0 || deadline_of(s) < due)
			due = deadline_of(s);
	struct routed_socket *holder = engine_tcp_holder(sockets);
	int eviction_ms = holder ? engine_eviction_due_ms(holder, first, now) : 0;
	if (eviction_ms >= 0 && now + eviction_ms < due)
		due = now + eviction_ms;
	if (holder && holder_check_due(holder) && holder->last_traffic_ms + HOLDER_CHECK_MS < due)
		due = holder->last_traffic_ms + HOLDER_CHECK_MS;
	return due;
}

void tcp_queue_drain(void (*with_each)(struct routed_socket *s))
{
	while (first) {
		struct routed_socket *s = first;
		tcp_queue_remove(s);
		with_each(s);
	}
}

void tcp_queue_forget(void)
{
	first = last = NULL;
}
