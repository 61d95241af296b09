/*
 * The modem has one TCP socket, and programs keep finished connections open
 * for reuse (curl's connection cache, HTTP keep-alive). When a routed TCP
 * connect waits for the socket (tcp_queue.c) and a connection of the same
 * process holds it idle, the socket goes to the waiting connect and the idle
 * one sees its peer close (EOF), exactly as when a server drops an idle
 * keep-alive connection, which every HTTP client handles. Only a connection
 * that has carried bytes both ways and then been quiet is taken; one with any
 * byte in flight, or one that has not yet carried an exchange (it may wait
 * for a greeting), never.
 */
#include "evict.h"

#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "engine_host.h"
#include "engine_metrics.h"
#include "engine_modem.h"
#include "internal.h"
#include "routed_address.h"

/* Nothing the program wrote waits for the modem, nothing the modem gave waits for the program. */
static bool pair_is_empty(int engine_fd)
{
	int from_program = 0, to_program = 0;
	if (ioctl(engine_fd, FIONREAD, &from_program) < 0 || ioctl(engine_fd, SIOCOUTQ, &to_program) < 0)
		return false;
	return from_program == 0 && to_program == 0;
}

static bool is_quiet_connection(struct routed_socket *s)
{
	pthread_mutex_lock(&engine_lock);
	bool connected = s->state == ROUTED_CONNECTED;
	pthread_mutex_unlock(&engine_lock);
	/* A connection that has not yet carried an exchange may be waiting for a greeting: not idle. */
	return connected && s->carried_out && s->carried_in && s->type == SOCK_STREAM &&
		s->engine_fd >= 0 && s->modem_socket >= 0 && !s->data_waiting && !s->peer_closed &&
		!s->program_eof && !s->program_done && s->inbound_sent == s->inbound_len &&
		pair_is_empty(s->engine_fd);
}

struct routed_socket *engine_tcp_holder(struct routed_socket *sockets)
{
	for (struct routed_socket *s = sockets; s; s = s->next)
		if (s->type == SOCK_STREAM && s->modem_socket >= 0 && s->engine_fd >= 0)
			return s;
	return NULL;
}

/* How soon a busy holder is looked at again: the program reading what it was given makes no event. */
#define BUSY_RECHECK_MS 100

/* Through st87d the holder may be another program's: its connection is never taken. */
static bool same_program(const struct routed_socket *holder, const struct routed_socket *waiter)
{
	if (!holder->of_client && !waiter->of_client)
		return true; /* the engine of one program: all its sockets are its own */
	/* pid 0: st87d sees the client from another pid namespace and cannot tell it from others, whether or
	 * not its connection is still open; -1: a SOCKS client st87d could not name. */
	return holder->client_pid > 0 && holder->client_pid == waiter->client_pid;
}

int engine_eviction_due_ms(struct routed_socket *holder, const struct routed_socket *waiter,
			   long long now)
{
	int idle_ms = engine_settings_given.tcp_evict_idle_ms;
	if (idle_ms <= 0 || !same_program(holder, waiter))
		return -1;
	if (!is_quiet_connection(holder))
		return BUSY_RECHECK_MS;
	long long left = holder->last_traffic_ms + idle_ms - now;
	return left <= 0 ? 0 : (int)left;
}

void engine_evict(struct routed_socket *holder, const char *for_what)
{
	char held_by[160];
	engine_describe(holder, held_by, sizeof(held_by));
	st87_log(ST87_LOG_INFO,
		 "%s: takes the modem's TCP socket from the idle connection %s, "
		 "which sees the peer's close",
		 for_what, held_by);
	engine_metrics_count_eviction();
	engine_give_eof(holder);
}
