/*
 * What the engine has done, for st87d's metrics: counted on the engine
 * thread, read from any thread (engine_metrics.c has its own lock, taken
 * with no other held).
 */
#ifndef ST87_ENGINE_METRICS_H
#define ST87_ENGINE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "routed_socket.h"
#include "st87/st87.h"

struct engine_metrics {
	unsigned long long bytes_to_modem;   /* programs' payload the modem took */
	unsigned long long bytes_from_modem; /* payload read from the modem */
	unsigned long long connects_ok, connects_failed;
	unsigned long long evictions;   /* idle connections that gave the TCP socket up (evict.c) */
	unsigned long long tcp_waits;   /* connects that waited in line and have left it (tcp_queue.c) */
	unsigned long long tcp_wait_ms; /* how long those waited, in all */
	int tcp_waiting;                /* connects in line now */
	struct st87_modem_counters modem; /* every modem session's: those closed and the open one */
	unsigned long long
		sessions_closed; /* modem sessions closed (the port closed, to be opened anew) */
	int sockets_open;        /* routed sockets with a modem socket, at the last turn */
	bool modem_open;
};

/* Payload @s moved to the modem, or from it: counted for the socket, its program and in all. */
void engine_metrics_count_sent(struct routed_socket *s, size_t bytes);
void engine_metrics_count_received(struct routed_socket *s, size_t bytes);
void engine_metrics_count_connect(bool ok);
void engine_metrics_count_eviction(void);
/* A connect joined the line (@waiting +1) or left it (-1) after waiting @waited_ms. */
void engine_metrics_count_tcp_wait(int waiting, long long waited_ms);
/* Engine thread, each turn: the open modem's counters (NULL: none open) and the sockets open. */
void engine_metrics_publish(const struct st87_modem *modem, int sockets_open);
/* Engine thread, before @modem is closed: its counters join the closed sessions'. */
void engine_metrics_retire(const struct st87_modem *modem);
/* A copy of everything, as of the engine's last turn. */
void engine_metrics_read(struct engine_metrics *out);

#endif
