/*
 * Names for the engine's host: the cache every lookup shares (in st87d,
 * every client's), and AT#DNS as an engine job. AT#DNS holds the engine
 * thread for as long as the modem takes (up to 210 s), so every other open
 * socket waits meanwhile: each such lookup says how long, and the totals
 * are kept for st87d's status.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "internal.h"
#include "name_cache.h"

static struct name_cache cache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong lookups_that_held;
static atomic_ullong held_ms_in_all;

bool engine_cached_name(const char *name, int family, int *outcome, struct shim_dns_answer *answer)
{
	pthread_mutex_lock(&cache_lock);
	bool found = name_cache_find(&cache, name, family, st87_now_ms(), outcome, answer);
	pthread_mutex_unlock(&cache_lock);
	return found;
}

void engine_cache_name(const char *name, int family, int outcome, const struct shim_dns_answer *answer,
		       bool timed)
{
	pthread_mutex_lock(&cache_lock);
	name_cache_store(&cache, name, family, outcome, answer, timed, st87_now_ms());
	pthread_mutex_unlock(&cache_lock);
}

void engine_dns_hold_up(unsigned long *lookups, unsigned long long *held_ms)
{
	*lookups = atomic_load(&lookups_that_held);
	*held_ms = atomic_load(&held_ms_in_all);
}

struct lookup {
	const char *name;
	int ip_version;
	char *address;
	int ttl_s; /* the answer's TTL where the firmware gives one, else -1 */
};

static int run_lookup(struct st87_modem *modem, void *arg)
{
	struct lookup *lookup = arg;
	int others = engine_live_socket_count();
	long long started = st87_now_ms();
	int err = st87_dns_resolve_ttl(modem, lookup->name, lookup->ip_version, lookup->address,
				       &lookup->ttl_s);
	long long took = st87_now_ms() - started;
	if (others > 0) {
		atomic_fetch_add(&lookups_that_held, 1);
		atomic_fetch_add(&held_ms_in_all, (unsigned long long)took);
		st87_log(ST87_LOG_INFO, "AT#DNS held %d other socket%s for %lld ms", others,
			 others == 1 ? "" : "s", took);
	}
	return err;
}

/* What the cache said for a lookup: the first address, or the error a fresh AT#DNS would give. */
static int from_cache(const char *name, int outcome, const struct shim_dns_answer *answer,
		      char address[ST87_ADDR_LEN], char *error, size_t error_len)
{
	if (outcome == 0) {
		inet_ntop(answer->family, &answer->addresses[0], address, ST87_ADDR_LEN);
		return 0;
	}
	snprintf(error, error_len, "the modem's resolver did not know %s a moment ago", name);
	return -ENOENT;
}

int engine_look_up(const char *name, int ip_version, char address[ST87_ADDR_LEN], char *error,
		   size_t error_len)
{
	int family = ip_version ? AF_INET6 : AF_INET;
	int outcome;
	struct shim_dns_answer answer;
	if (engine_cached_name(name, family, &outcome, &answer))
		return from_cache(name, outcome, &answer, address, error, error_len);
	struct lookup lookup = {.name = name, .ip_version = ip_version, .address = address, .ttl_s = -1};
	struct engine_job job = {.run = run_lookup, .arg = &lookup};
	int err = engine_run_job(&job);
	snprintf(error, error_len, "%s", job.error);
	memset(&answer, 0, sizeof(answer));
	answer.family = family;
	if (!err && inet_pton(family, address, &answer.addresses[0]) == 1)
		answer.count = 1;
	/* Firmware that gives the answer's TTL (Mbed's "#DNS: <ip>,<ttl>") is kept to it. */
	bool timed = !err && lookup.ttl_s >= 0;
	answer.ttl = timed ? (uint32_t)lookup.ttl_s : 0;
	if (!err ? answer.count == 1 : err == -ENOENT)
		engine_cache_name(name, family, err ? SHIM_DNS_NO_SUCH_NAME : 0, &answer, timed);
	return err;
}
