/*
 * Names for the engine's host: the cache every lookup shares (in st87d,
 * every client's), and the choice of who answers. A resolver's address
 * (ST87_DNS, or the DNS server the modem is configured with) gets a DNS
 * query over a modem UDP socket, asked from the caller's thread while the
 * engine serves every other socket (resolver_query.c). Without one, AT#DNS
 * runs as an engine job and holds the engine thread for as long as the
 * modem takes (up to 210 s), so every other open socket waits meanwhile:
 * each such lookup says how long, and the totals are kept for st87d's status.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "fields.h"
#include "internal.h"
#include "name_cache.h"
#include "resolver_query.h"

#define DNS_PORT 53
/* The cache's name for the modem's own resolver. */
#define AT_DNS_RESOLVER "AT#DNS"

static struct name_cache cache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong lookups_that_held;
static atomic_ullong held_ms_in_all;

/*
 * Lookups being asked now (under cache_lock; each node on its asker's
 * stack): another of the same name waits for the answer to land in the
 * cache instead of asking again, so programs that start together through
 * st87d cost the resolver one query.
 */
struct flight {
	const char *resolver, *name;
	int family;
	struct flight *next;
};
static struct flight *flights;
static pthread_cond_t flight_landed = PTHREAD_COND_INITIALIZER;

/* The DNS server the modem is configured with, read once from AT#IPPARAMS? (under cache_lock). */
static struct {
	bool read;
	struct sockaddr_storage address;
	socklen_t len; /* 0: none configured */
} modem_server;

bool engine_cached_name(const char *resolver, const char *name, int family, int *outcome,
			struct shim_dns_answer *answer)
{
	pthread_mutex_lock(&cache_lock);
	bool found = name_cache_find(&cache, resolver, name, family, st87_now_ms(), outcome, answer);
	pthread_mutex_unlock(&cache_lock);
	return found;
}

void engine_cache_name(const char *resolver, const char *name, int family, int outcome,
		       const struct shim_dns_answer *answer, bool timed)
{
	pthread_mutex_lock(&cache_lock);
	name_cache_store(&cache, resolver, name, family, outcome, answer, timed, st87_now_ms());
	pthread_mutex_unlock(&cache_lock);
}

void engine_names_before_fork(void)
{
	pthread_mutex_lock(&cache_lock);
}

void engine_names_after_fork_in_parent(void)
{
	pthread_mutex_unlock(&cache_lock);
}

void engine_names_after_fork_in_child(void)
{
	/* The askers of the lookups in flight are not in the child: theirs never land here. */
	flights = NULL;
	pthread_cond_init(&flight_landed, NULL);
	pthread_mutex_unlock(&cache_lock);
}

void engine_dns_hold_up(unsigned long *lookups, unsigned long long *held_ms)
{
	*lookups = atomic_load(&lookups_that_held);
	*held_ms = atomic_load(&held_ms_in_all);
}

void engine_resolver_name(const struct sockaddr *resolver, socklen_t resolver_len, char *text,
			  size_t len)
{
	char address[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (resolver_len == 0) {
		snprintf(text, len, "%s", AT_DNS_RESOLVER);
	} else if (resolver->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)resolver;
		inet_ntop(AF_INET6, &in6->sin6_addr, address, sizeof(address));
		port = ntohs(in6->sin6_port);
		snprintf(text, len, "[%s]:%d", address, port);
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)resolver;
		inet_ntop(AF_INET, &in->sin_addr, address, sizeof(address));
		port = ntohs(in->sin_port);
		snprintf(text, len, "%s:%d", address, port);
	}
}

/* @field as a DNS server's address on port 53: true and @out when it is one (not 0.0.0.0 or ::). */
static bool server_address(const char *field, struct sockaddr_storage *out, socklen_t *out_len)
{
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, field, &in->sin_addr) == 1 && in->sin_addr.s_addr != 0) {
		in->sin_family = AF_INET;
		in->sin_port = htons(DNS_PORT);
		*out_len = sizeof(*in);
		return true;
	}
	if (inet_pton(AF_INET6, field, &in6->sin6_addr) == 1 &&
	    !IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(DNS_PORT);
		*out_len = sizeof(*in6);
		return true;
	}
	return false;
}

/*
 * The maker's AT#IPPARAMS has, after the note's four fields, <nbsent> and
 * then the DNS servers (docs/PROTOCOL.md §12): the first address among them.
 */
static int read_modem_server(struct st87_modem *modem, void *arg)
{
	(void)arg;
	struct st87_ipparams params;
	int err = st87_ipparams_read(modem, &params);
	if (err)
		return err;
	struct st87_fields fields;
	int count = st87_fields_split(params.more, false, &fields);
	pthread_mutex_lock(&cache_lock);
	modem_server.read = true;
	modem_server.len = 0;
	for (int i = 1; i < count && !modem_server.len; i++)
		server_address(fields.value[i], &modem_server.address, &modem_server.len);
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

/*
 * The DNS server the modem is configured with into @server: its length, 0
 * when it names none. Read once: the modem takes a new one only at a reset.
 */
static socklen_t modem_dns_server(struct sockaddr_storage *server)
{
	pthread_mutex_lock(&cache_lock);
	bool read = modem_server.read;
	pthread_mutex_unlock(&cache_lock);
	if (!read) {
		struct engine_job job = {.run = read_modem_server, .exit_need_not_wait = true};
		if (engine_run_job(&job))
			st87_log(ST87_LOG_INFO,
				 "the modem's DNS server is not known (%s): AT#DNS instead", job.error);
	}
	pthread_mutex_lock(&cache_lock);
	socklen_t len = modem_server.len;
	*server = modem_server.address;
	pthread_mutex_unlock(&cache_lock);
	return len;
}

struct at_dns_lookup {
	const char *name;
	int ip_version;
	char address[ST87_ADDR_LEN];
	int ttl_s; /* the answer's TTL where the firmware gives one, else -1 */
};

static int run_at_dns(struct st87_modem *modem, void *arg)
{
	struct at_dns_lookup *lookup = arg;
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

/* AT#DNS as an engine job: an outcome with @answer, -ENOSYS (no AT#DNS) or another -errno. */
static int ask_at_dns(const char *name, int family, struct shim_dns_answer *answer, bool *timed,
		      char *error, size_t error_len)
{
	struct at_dns_lookup lookup = {.name = name, .ip_version = family == AF_INET6, .ttl_s = -1};
	struct engine_job job = {.run = run_at_dns, .arg = &lookup, .exit_need_not_wait = true};
	int err = engine_run_job(&job);
	snprintf(error, error_len, "%s", job.error);
	/* Firmware that gives the answer's TTL (Mbed's "#DNS: <ip>,<ttl>") is kept to it. */
	*timed = !err && lookup.ttl_s >= 0;
	answer->ttl = *timed ? (uint32_t)lookup.ttl_s : 0;
	if (err)
		return err == -ENOENT ? SHIM_DNS_NO_SUCH_NAME : err;
	if (inet_pton(family, lookup.address, &answer->addresses[0]) != 1) {
		snprintf(error, error_len, "the modem answered \"%s\" for %s", lookup.address, name);
		return -EPROTO;
	}
	answer->count = 1;
	return SHIM_DNS_ANSWER;
}

static bool in_flight_locked(const struct flight *ours)
{
	for (const struct flight *f = flights; f; f = f->next)
		if (f->family == ours->family && strcmp(f->resolver, ours->resolver) == 0 &&
		    strcasecmp(f->name, ours->name) == 0)
			return true;
	return false;
}

/*
 * The cache's entry for @ours, once a lookup of the same that is in flight
 * has landed: true with it. False when there is none: @ours is in flight
 * then, and land() must follow.
 */
static bool cached_or_take_off(struct flight *ours, int *outcome, struct shim_dns_answer *answer)
{
	bool waited = false;
	pthread_mutex_lock(&cache_lock);
	for (;;) {
		if (name_cache_find(&cache, ours->resolver, ours->name, ours->family, st87_now_ms(),
				    outcome, answer)) {
			pthread_mutex_unlock(&cache_lock);
			return true;
		}
		if (!in_flight_locked(ours))
			break;
		if (!waited)
			st87_log(ST87_LOG_INFO, "lookup of %s by %s waits for the same one in flight",
				 ours->name, ours->resolver);
		waited = true;
		pthread_cond_wait(&flight_landed, &cache_lock);
	}
	ours->next = flights;
	flights = ours;
	pthread_mutex_unlock(&cache_lock);
	return false;
}

/* Keeps @ours's outcome and lets its waiters see it: the seconds the cache keeps it, 0 none. */
static uint32_t land(struct flight *ours, int outcome, const struct shim_dns_answer *answer, bool timed)
{
	pthread_mutex_lock(&cache_lock);
	long long now = st87_now_ms();
	name_cache_store(&cache, ours->resolver, ours->name, ours->family, outcome, answer, timed, now);
	for (struct flight **f = &flights; *f; f = &(*f)->next) {
		if (*f == ours) {
			*f = ours->next;
			break;
		}
	}
	int kept;
	struct shim_dns_answer cached;
	bool found = name_cache_find(&cache, ours->resolver, ours->name, ours->family, now, &kept,
				     &cached);
	pthread_cond_broadcast(&flight_landed);
	pthread_mutex_unlock(&cache_lock);
	return found ? cached.ttl : 0;
}

int engine_resolve(struct engine_lookup *lookup, struct shim_dns_answer *answer, char *error,
		   size_t error_len)
{
	error[0] = '\0';
	memset(answer, 0, sizeof(*answer));
	answer->family = lookup->family;
	struct sockaddr_storage server = {0};
	socklen_t server_len = lookup->resolver_len <= sizeof(server) ? lookup->resolver_len : 0;
	if (server_len)
		memcpy(&server, lookup->resolver, server_len);
	else if (lookup->modem_dns_server)
		server_len = modem_dns_server(&server);
	char *resolver = lookup->answered_by;
	engine_resolver_name((const struct sockaddr *)&server, server_len, resolver,
			     sizeof(lookup->answered_by));
	struct flight ours = {.resolver = resolver, .name = lookup->name, .family = lookup->family};
	int outcome;
	if (cached_or_take_off(&ours, &outcome, answer))
		return outcome;
	bool timed = true;
	if (server_len)
		outcome = engine_ask_resolver((const struct sockaddr *)&server, server_len, lookup->name,
					      lookup->family == AF_INET6 ? ns_t_aaaa : ns_t_a, answer,
					      error, error_len);
	else
		outcome = ask_at_dns(lookup->name, lookup->family, answer, &timed, error, error_len);
	/* What the cache keeps it for is what a program may keep it for: nothing when it keeps none. */
	answer->ttl = land(&ours, outcome, answer, timed);
	return outcome;
}
