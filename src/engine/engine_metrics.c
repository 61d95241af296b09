#include "engine_metrics.h"

#include <pthread.h>
#include <string.h>

#include "program_traffic.h"

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
/* Counted here; modem is refreshed from the open session each turn. */
static struct engine_metrics metrics;
/* The sessions closed so far. */
static struct st87_modem_counters retired;

/* @into += @add, the +CME ERROR codes matched by code. */
static void add_counters(struct st87_modem_counters *into, const struct st87_modem_counters *add)
{
	into->commands += add->commands;
	into->cme_errors += add->cme_errors;
	into->cme_other += add->cme_other;
	into->restarts += add->restarts;
	into->link_losses += add->link_losses;
	for (size_t i = 0; i < ST87_CME_KINDS && add->cme[i].count; i++) {
		size_t slot = 0;
		while (slot < ST87_CME_KINDS && into->cme[slot].count &&
		       into->cme[slot].code != add->cme[i].code)
			slot++;
		if (slot == ST87_CME_KINDS) {
			into->cme_other += add->cme[i].count;
			continue;
		}
		into->cme[slot].code = add->cme[i].code;
		into->cme[slot].count += add->cme[i].count;
	}
}

void engine_metrics_count_sent(struct routed_socket *s, size_t bytes)
{
	s->bytes_to_modem += bytes;
	program_traffic_count(s, bytes, 0);
	pthread_mutex_lock(&metrics_lock);
	metrics.bytes_to_modem += bytes;
	pthread_mutex_unlock(&metrics_lock);
}

void engine_metrics_count_received(struct routed_socket *s, size_t bytes)
{
	s->bytes_from_modem += bytes;
	program_traffic_count(s, 0, bytes);
	pthread_mutex_lock(&metrics_lock);
	metrics.bytes_from_modem += bytes;
	pthread_mutex_unlock(&metrics_lock);
}

void engine_metrics_count_eviction(void)
{
	pthread_mutex_lock(&metrics_lock);
	metrics.evictions++;
	pthread_mutex_unlock(&metrics_lock);
}

void engine_metrics_count_tcp_wait(int waiting, long long waited_ms)
{
	pthread_mutex_lock(&metrics_lock);
	metrics.tcp_waiting += waiting;
	if (waiting < 0) {
		metrics.tcp_waits++;
		metrics.tcp_wait_ms += (unsigned long long)waited_ms;
	}
	pthread_mutex_unlock(&metrics_lock);
}

void engine_metrics_count_connect(bool ok)
{
	pthread_mutex_lock(&metrics_lock);
	if (ok)
		metrics.connects_ok++;
	else
		metrics.connects_failed++;
	pthread_mutex_unlock(&metrics_lock);
}

void engine_metrics_publish(const struct st87_modem *modem, int sockets_open)
{
	struct st87_modem_counters session = {0};
	if (modem)
		st87_modem_counters(modem, &session);
	pthread_mutex_lock(&metrics_lock);
	metrics.modem = retired;
	add_counters(&metrics.modem, &session);
	metrics.sockets_open = sockets_open;
	metrics.modem_open = modem != NULL;
	pthread_mutex_unlock(&metrics_lock);
}

void engine_metrics_retire(const struct st87_modem *modem)
{
	struct st87_modem_counters session;
	st87_modem_counters(modem, &session);
	pthread_mutex_lock(&metrics_lock);
	add_counters(&retired, &session);
	metrics.modem = retired;
	metrics.sessions_closed++;
	metrics.modem_open = false;
	pthread_mutex_unlock(&metrics_lock);
}

void engine_metrics_read(struct engine_metrics *out)
{
	pthread_mutex_lock(&metrics_lock);
	*out = metrics;
	pthread_mutex_unlock(&metrics_lock);
}
