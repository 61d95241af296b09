/*
 * Names for the engine's host: the cache every lookup shares (in st87d,
 * every client's), and the choice of who answers. A resolver's address
 * (ST87_DNS alone, or the DNS servers the modem is configured with, in turn)
 * gets a DNS query over a modem UDP socket, asked from the caller's thread
 * while the engine serves every other socket (resolver_query.c). Without one
 * (or after the modem's servers gave no answer), AT#DNS
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
#include "engine_metrics.h"
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
	/* Set by land() for the lookups that waited for this one: a failure is not cached, and
	 * they must not each ask again in turn (N waiters behind a silent resolver: N timeouts). */
	bool landed;
	int outcome;
	struct shim_dns_answer answer;
	char error[512];
	int waiters; /* still copying what landed: the record lives on the lander's stack */
};
static struct flight *flights;
static pthread_cond_t flight_landed = PTHREAD_COND_INITIALIZER;

/*
 * The DNS servers the modem is configured with: the first two it lists, as
 * AT#IPPARAMS? gave them (under cache_lock). They hold until the modem
 * restarts or loses its link (modem_link_changes): a restart is how the
 * modem takes new ones (AT#IPPARAMS= then AT#RESET=1), and a new attach
 * may bring others; st87d runs for weeks across both.
 */
#define MODEM_DNS_SERVERS 2
struct resolver_address {
	struct sockaddr_storage address;
	socklen_t len;
};
static struct {
	bool read;
	unsigned long long read_at_link_changes; /* modem_link_changes() when they were read */
	struct resolver_address servers[MODEM_DNS_SERVERS];
	int count;
} modem_servers;

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
 * Restarts and link losses of every modem session so far, and sessions
 * closed (a modem that stopped answering, or was unplugged, is opened anew:
 * it may have been power-cycled meanwhile), as the engine last published
 * them (engine_metrics.h): it grows with each, from any thread's view,
 * without a trip to the engine thread.
 */
static unsigned long long modem_link_changes(void)
{
	struct engine_metrics metrics;
	engine_metrics_read(&metrics);
	return metrics.modem.restarts + metrics.modem.link_losses + metrics.sessions_closed;
}

/* Under cache_lock: the servers were read since the last restart or link loss. */
static bool modem_servers_current_locked(unsigned long long link_changes)
{
	return modem_servers.read && modem_servers.read_at_link_changes == link_changes;
}

/*
 * The maker's AT#IPPARAMS has, after the note's four fields, <nbsent> and
 * then the DNS servers (docs/PROTOCOL.md §12): the first two addresses among them.
 */
static int read_modem_servers(struct st87_modem *modem, void *arg)
{
	(void)arg;
	/* Taken before the read: a restart the engine has not published yet costs one more read, never a
	 * stale server kept. */
	unsigned long long link_changes = modem_link_changes();
	pthread_mutex_lock(&cache_lock);
	/* Lookups that found them unknown together: the first job read them for all. */
	bool current = modem_servers_current_locked(link_changes);
	pthread_mutex_unlock(&cache_lock);
	if (current)
		return 0;
	struct st87_ipparams params;
	int err = st87_ipparams_read(modem, &params);
	if (err)
		return err;
	struct st87_fields fields;
	int count = st87_fields_split(params.more, false, &fields);
	pthread_mutex_lock(&cache_lock);
	modem_servers.read = true;
	modem_servers.read_at_link_changes = link_changes;
	modem_servers.count = 0;
	for (int i = 1; i < count && modem_servers.count < MODEM_DNS_SERVERS; i++) {
		struct resolver_address *next = &modem_servers.servers[modem_servers.count];
		if (server_address(fields.value[i], &next->address, &next->len))
			modem_servers.count++;
	}
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

/*
 * The DNS servers the modem is configured with into @servers: how many, 0
 * when it names none. Read again once after each restart or link loss.
 */
static int modem_dns_servers(struct resolver_address *servers)
{
	unsigned long long link_changes = modem_link_changes();
	pthread_mutex_lock(&cache_lock);
	bool current = modem_servers_current_locked(link_changes);
	pthread_mutex_unlock(&cache_lock);
	if (!current) {
		struct engine_job job = {.run = read_modem_servers, .exit_need_not_wait = true};
		if (engine_run_job(&job)) {
			/* Those read before the change may be the ones no longer there. */
			st87_log(ST87_LOG_INFO,
				 "the modem's DNS server is not known (%s): AT#DNS instead", job.error);
			return 0;
		}
	}
	pthread_mutex_lock(&cache_lock);
	int count = modem_servers.count;
	memcpy(servers, modem_servers.servers, sizeof(modem_servers.servers));
	pthread_mutex_unlock(&cache_lock);
	return count;
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

static struct flight *in_flight_locked(const struct flight *ours)
{
	for (struct flight *f = flights; f; f = f->next)
		if (f->family == ours->family && strcmp(f->resolver, ours->resolver) == 0 &&
		    strcasecmp(f->name, ours->name) == 0)
			return f;
	return NULL;
}

/*
 * The cache's entry for @ours, or the outcome of a lookup of the same that
 * was in flight, once it has landed: true with it (and @error). False when
 * there is neither: @ours is in flight then, and land() must follow.
 */
static bool cached_or_take_off(struct flight *ours, int *outcome, struct shim_dns_answer *answer,
			       char *error, size_t error_len)
{
	pthread_mutex_lock(&cache_lock);
	if (name_cache_find(&cache, ours->resolver, ours->name, ours->family, st87_now_ms(), outcome,
			    answer)) {
		pthread_mutex_unlock(&cache_lock);
		return true;
	}
	struct flight *same = in_flight_locked(ours);
	if (!same) {
		ours->next = flights;
		flights = ours;
		pthread_mutex_unlock(&cache_lock);
		return false;
	}
	st87_log(ST87_LOG_INFO, "lookup of %s by %s waits for the same one in flight", ours->name,
		 ours->resolver);
	same->waiters++;
	while (!same->landed)
		pthread_cond_wait(&flight_landed, &cache_lock);
	*outcome = same->outcome;
	*answer = same->answer;
	snprintf(error, error_len, "%s", same->error);
	same->waiters--;
	pthread_cond_broadcast(&flight_landed);
	pthread_mutex_unlock(&cache_lock);
	return true;
}

/*
 * Keeps @ours's outcome and hands it to its waiters: the seconds the cache
 * keeps it, 0 none. Returns once every waiter has taken it.
 */
static uint32_t land(struct flight *ours, int outcome, const struct shim_dns_answer *answer, bool timed,
		     const char *error)
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
	ours->outcome = outcome;
	ours->answer = *answer;
	ours->answer.ttl = found ? cached.ttl : 0;
	snprintf(ours->error, sizeof(ours->error), "%s", error);
	ours->landed = true;
	pthread_cond_broadcast(&flight_landed);
	while (ours->waiters > 0)
		pthread_cond_wait(&flight_landed, &cache_lock);
	pthread_mutex_unlock(&cache_lock);
	return ours->answer.ttl;
}

/* No answer, or one that says this resolver will not give one (SERVFAIL, REFUSED): another may. */
static bool another_may_answer(int outcome)
{
	return outcome == -ETIMEDOUT || outcome == SHIM_DNS_TRY_AGAIN || outcome == SHIM_DNS_REFUSED;
}

static const char *why_passed(int outcome)
{
	return outcome == -ETIMEDOUT            ? "no answer"
		: outcome == SHIM_DNS_TRY_AGAIN ? "SERVFAIL"
		: outcome == -EMFILE            ? "no free modem UDP socket"
						: "refused";
}

/*
 * @servers in turn, then AT#DNS where @then_at_dns and the firmware has it,
 * each only while those before gave no answer (another_may_answer). The
 * servers share the tries one resolver gets, so a failover costs no more
 * time than one silent resolver did. A lookup that passed one by says in a
 * line who answered; @lookup->answered_by names it. The outcome of the last
 * asked, with @answer, @timed and @error as ask_at_dns and
 * engine_ask_resolver set them. Where programs hold every modem UDP socket
 * (EMFILE), the query has none to go out on: with @then_at_dns, AT#DNS,
 * which needs no socket, answers at once (the next server would need one
 * too); an explicit ST87_DNS (no @then_at_dns) fails, saying why.
 */
static int ask_in_turn(struct engine_lookup *lookup, const struct resolver_address *servers, int count,
		       bool then_at_dns, struct shim_dns_answer *answer, bool *timed, char *error,
		       size_t error_len)
{
	int qtype = lookup->family == AF_INET6 ? ns_t_aaaa : ns_t_a;
	int tries = count > 1 ? 1 : ENGINE_RESOLVER_TRIES;
	char passed[256] = "";
	int outcome = -ETIMEDOUT;
	for (int i = 0; i < count + then_at_dns; i++) {
		char who[64];
		if (i < count) {
			const struct sockaddr *server = (const struct sockaddr *)&servers[i].address;
			engine_resolver_name(server, servers[i].len, who, sizeof(who));
			outcome = engine_ask_resolver(server, servers[i].len, lookup->name, qtype, tries,
						      answer, error, error_len);
			/* A DNS answer's TTL is known only when it has records; "no such name" gets
			 * the cache's bound for negative answers. */
			*timed = outcome == SHIM_DNS_ANSWER;
		} else {
			char at_dns_error[320];
			bool at_dns_timed;
			snprintf(who, sizeof(who), "%s", AT_DNS_RESOLVER);
			int at_dns = ask_at_dns(lookup->name, lookup->family, answer, &at_dns_timed,
						at_dns_error, sizeof(at_dns_error));
			if (at_dns == -ENOSYS)
				break; /* no AT#DNS: the last server's failure is the lookup's */
			outcome = at_dns;
			*timed = at_dns_timed;
			snprintf(error, error_len, "%s", at_dns_error);
		}
		bool no_udp_socket = i < count && outcome == -EMFILE && then_at_dns;
		if ((!another_may_answer(outcome) && !no_udp_socket) || i + 1 == count + then_at_dns) {
			if (passed[0])
				st87_log(ST87_LOG_INFO, "lookup of %s: %s answered, after %s",
					 lookup->name, who, passed);
			snprintf(lookup->answered_by, sizeof(lookup->answered_by), "%s", who);
			return outcome;
		}
		size_t used = strlen(passed);
		snprintf(passed + used, sizeof(passed) - used, "%s%s (%s)", used ? ", " : "", who,
			 why_passed(outcome));
		if (no_udp_socket)
			i = count - 1; /* on to AT#DNS */
	}
	return outcome;
}

int engine_resolve(struct engine_lookup *lookup, struct shim_dns_answer *answer, char *error,
		   size_t error_len)
{
	error[0] = '\0';
	memset(answer, 0, sizeof(*answer));
	answer->family = lookup->family;
	struct resolver_address servers[MODEM_DNS_SERVERS] = {0};
	int count = 0;
	/* ST87_DNS is asked alone, as the user set it: no other resolver answers in its place. */
	bool named = lookup->resolver_len > 0 && lookup->resolver_len <= sizeof(servers[0].address);
	if (named) {
		memcpy(&servers[0].address, lookup->resolver, lookup->resolver_len);
		servers[0].len = lookup->resolver_len;
		count = 1;
	} else if (lookup->modem_dns_server) {
		count = modem_dns_servers(servers);
	}
	/* The cache knows the lookup by whom it asks first. */
	char resolver[sizeof(lookup->answered_by)];
	engine_resolver_name((const struct sockaddr *)&servers[0].address, servers[0].len, resolver,
			     sizeof(resolver));
	snprintf(lookup->answered_by, sizeof(lookup->answered_by), "%s", resolver);
	struct flight ours = {.resolver = resolver, .name = lookup->name, .family = lookup->family};
	int outcome;
	if (cached_or_take_off(&ours, &outcome, answer, error, error_len))
		return outcome;
	bool timed = true;
	if (count)
		outcome = ask_in_turn(lookup, servers, count, !named, answer, &timed, error, error_len);
	else
		outcome = ask_at_dns(lookup->name, lookup->family, answer, &timed, error, error_len);
	/* What the cache keeps it for is what a program may keep it for: nothing when it keeps none. */
	answer->ttl = land(&ours, outcome, answer, timed, error);
	return outcome;
}
