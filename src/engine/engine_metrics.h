/*
 * What the engine has done, for st87d's metrics: counted on the engine
 * thread, read from any thread (engine_metrics.c has its own lock, taken
 * with no other held).
 */
#ifndef ST87_ENGINE_METRICS_H
#define ST87_ENGINE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "st87/st87.h"

struct engine_metrics {
	unsigned long long bytes_to_modem;   /* programs' payload the modem took */
	unsigned long long bytes_from_modem; /* payload read from the modem */
	unsigned long long connects_ok, connects_failed;
	struct st87_modem_counters modem; /* every modem session's: those closed and the open one */
	int sockets_open;                 /* routed sockets with a modem socket, at the last turn */
	bool modem_open;
};

void engine_metrics_count_sent(size_t bytes);
void engine_metrics_count_received(size_t bytes);
void engine_metrics_count_connect(bool ok);
/* Engine thread, each turn: the open modem's counters (NULL: none open) and the sockets open. */
void engine_metrics_publish(const struct st87_modem *modem, int sockets_open);
/* Engine thread, before @modem is closed: its counters join the closed sessions'. */
void engine_metrics_retire(const struct st87_modem *modem);
/* A copy of everything, as of the engine's last turn. */
void engine_metrics_read(struct engine_metrics *out);

#endif
