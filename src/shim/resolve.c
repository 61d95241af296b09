/*
 * getaddrinfo()/freeaddrinfo(): when names go over the modem (ST87_DNS set,
 * or ST87_ROUTE routing every DNS destination), names that are neither
 * numeric nor in /etc/hosts are looked up with DNS queries over a modem UDP
 * socket to ST87_DNS where it is set, else to the DNS server the modem is
 * configured with (AT#IPPARAMS?), else by the modem itself (AT#DNS), and
 * kept in the engine's names cache for their TTL (st87d's, shared by its
 * clients, through st87d). No query for them leaves through the host's
 * resolver.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns_message.h"
#include "hosts_file.h"
#include "daemon_client.h"
#include "real.h"
#include "shim.h"

#define HOSTS_PATH "/etc/hosts"

/* The lists this file hands out, so freeaddrinfo() knows them from libc's. */
struct owned_list {
	struct addrinfo *head;
	UT_hash_handle hh;
};
static struct owned_list *owned_lists;
static pthread_mutex_t owned_lock = PTHREAD_MUTEX_INITIALIZER;

/* Turns one numeric address into addrinfo entries for @service and @hints, through libc. */
static int expand_numeric(const char *address, const char *service, const struct addrinfo *hints,
			  struct addrinfo **out)
{
	struct addrinfo numeric = hints ? *hints : (struct addrinfo){0};
	numeric.ai_flags = (numeric.ai_flags & ~AI_CANONNAME) | AI_NUMERICHOST;
	numeric.ai_family = AF_UNSPEC;
	return real.getaddrinfo(address, service, &numeric, out);
}

/* Copies libc's list into one we own (one allocation per entry), after *@tail, and frees libc's: its first copy. */
static struct addrinfo *adopt(struct addrinfo *list, struct addrinfo **tail)
{
	struct addrinfo *head = NULL;
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		struct addrinfo *copy = calloc(1, sizeof(*copy) + ai->ai_addrlen);
		if (!copy)
			break;
		*copy = *ai;
		copy->ai_canonname = NULL;
		copy->ai_next = NULL;
		copy->ai_addr = (struct sockaddr *)(copy + 1);
		memcpy(copy->ai_addr, ai->ai_addr, ai->ai_addrlen);
		/* Behind what earlier calls adopted: one list for every address of the answer. */
		if (*tail)
			(*tail)->ai_next = copy;
		if (!head)
			head = copy;
		*tail = copy;
	}
	real.freeaddrinfo(list);
	return head;
}

static void free_owned(struct addrinfo *list)
{
	while (list) {
		struct addrinfo *next = list->ai_next;
		free(list->ai_canonname);
		free(list);
		list = next;
	}
}

static void remember(struct addrinfo *head)
{
	struct owned_list *entry = calloc(1, sizeof(*entry));
	if (!entry)
		return;
	entry->head = head;
	pthread_mutex_lock(&owned_lock);
	HASH_ADD_PTR(owned_lists, head, entry);
	pthread_mutex_unlock(&owned_lock);
}

static int add_answers(const struct shim_dns_answer *answer, const char *service,
		       const struct addrinfo *hints, struct addrinfo **head, struct addrinfo **tail)
{
	int result = 0;
	for (size_t i = 0; i < answer->count; i++) {
		char text[INET6_ADDRSTRLEN];
		inet_ntop(answer->family, &answer->addresses[i], text, sizeof(text));
		struct addrinfo *list = NULL;
		result = expand_numeric(text, service, hints, &list);
		if (result)
			break;
		struct addrinfo *adopted = adopt(list, tail);
		if (!*head)
			*head = adopted;
	}
	return result;
}

/* DNS outcomes map as the resolver's would; anything else (no modem, no answer) may work later. */
static int eai_for(int outcome)
{
	switch (outcome) {
	case SHIM_DNS_NO_SUCH_NAME: /* -ENOENT: also the modem's 2171 */
	case SHIM_DNS_NO_DATA:
	case SHIM_DNS_TRY_AGAIN:
	case SHIM_DNS_REFUSED:
	case SHIM_DNS_MALFORMED:
		return shim_dns_outcome_to_eai(outcome);
	case -ENOSYS: /* no resolver at all */
		return EAI_FAIL;
	default:
		return EAI_AGAIN;
	}
}

/*
 * How this program's cache names what st87d answered: st87d keeps the cache
 * every client shares, and this program keeps each answer too, as long as
 * st87d said it may (what its cache had left of the TTL), so a second
 * lookup here costs no request. In-process lookups never use these names.
 */
static void daemon_answer_key(char *key, size_t len)
{
	static const char prefix[] = "st87d ";
	snprintf(key, len, "%s", prefix);
	if (shim.config.has_dns_server)
		engine_resolver_name((const struct sockaddr *)&shim.config.dns_server,
				     shim.config.dns_server_len, key + strlen(prefix),
				     len - strlen(prefix));
}

/*
 * One family: what st87d answered before, if it is still good; else st87d's
 * answer, or in this process the engine's (engine_resolve): the names
 * cache, then a DNS query over a modem UDP socket where a resolver address
 * is known (ST87_DNS, or the modem's own DNS server), a datagram out and one
 * back while the engine keeps serving every other socket; AT#DNS only
 * without one.
 */
static int look_up(const char *node, int qtype, struct shim_dns_answer *answer, char *why,
		   size_t why_len)
{
	why[0] = '\0';
	int family = qtype == ns_t_aaaa ? AF_INET6 : AF_INET;
	char daemon_key[96];
	daemon_answer_key(daemon_key, sizeof(daemon_key));
	int outcome;
	if (engine_cached_name(daemon_key, node, family, &outcome, answer))
		return outcome;
	int daemon = -1;
	outcome = daemon_dial(&daemon);
	if (outcome) {
		snprintf(why, why_len, "st87d is not reachable at %s", shim.config.daemon_socket);
		return outcome;
	}
	/* A thread cancelled in here would leave the names lock held (every later lookup and fork()
	 * would hang) or its in-flight record and modem socket behind: cancellation waits until the
	 * lookup is over, as if it came at the next cancellation point. */
	int cancel_state;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	if (daemon >= 0) {
		outcome = daemon_resolve(daemon, node, family, answer, why, why_len);
		engine_cache_name(daemon_key, node, family, outcome, answer, true);
	} else {
		struct engine_lookup lookup = {
			.name = node,
			.family = family,
			.resolver = (const struct sockaddr *)&shim.config.dns_server,
			.resolver_len = shim.config.has_dns_server ? shim.config.dns_server_len : 0,
			.modem_dns_server = shim.config.modem_dns_server,
		};
		outcome = engine_resolve(&lookup, answer, why, why_len);
	}
	pthread_setcancelstate(cancel_state, NULL);
	if (outcome == -ENOSYS)
		snprintf(why, why_len,
			 "the modem cannot look names up (no AT#DNS), has no DNS server configured and "
			 "ST87_DNS is not set: set ST87_DNS to a resolver's address");
	return outcome;
}

/*
 * AF_UNSPEC asks AAAA only when the modem's context has an IPv6 address: an
 * IPv6 answer is of no use without one, and each query costs the modem a
 * command or a round trip. Unknown (no socket or lookup has told us yet):
 * asked, as before.
 */
static bool modem_may_have_ipv6(void)
{
	char ipv4[INET6_ADDRSTRLEN], ipv6[INET6_ADDRSTRLEN];
	shim_modem_address(AF_INET, ipv4, sizeof(ipv4));
	shim_modem_address(AF_INET6, ipv6, sizeof(ipv6));
	return ipv6[0] || !ipv4[0];
}

static int resolve_over_modem(const char *node, const char *service, const struct addrinfo *hints,
			      struct addrinfo **res)
{
	int family = hints ? hints->ai_family : AF_UNSPEC;
	int qtypes[2], count = 0;
	if (family != AF_INET6)
		qtypes[count++] = ns_t_a;
	if (family != AF_INET)
		qtypes[count++] = ns_t_aaaa;
	struct addrinfo *head = NULL, *tail = NULL;
	int first_error = 0;
	char first_why[320] = "";
	for (int i = 0; i < count; i++) {
		if (family == AF_UNSPEC && qtypes[i] == ns_t_aaaa && !modem_may_have_ipv6())
			break;
		struct shim_dns_answer answer;
		char why[320];
		int outcome = look_up(node, qtypes[i], &answer, why, sizeof(why));
		if (outcome == 0) {
			int err = add_answers(&answer, service, hints, &head, &tail);
			if (err) {
				free_owned(head);
				return err;
			}
		} else if (!first_error) {
			first_error = outcome;
			snprintf(first_why, sizeof(first_why), "%s", why);
		}
	}
	if (!head) {
		int eai = eai_for(first_error);
		shim_log(ST87_LOG_ERROR, "resolving %s over the modem: %s%s%s", node, gai_strerror(eai),
			 first_why[0] ? ": " : "", first_why);
		return eai;
	}
	if (hints && (hints->ai_flags & AI_CANONNAME))
		head->ai_canonname = strdup(node);
	remember(head);
	*res = head;
	return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	shim_init();
	if (on_engine_thread || shim.config.inert || !shim.config.names_over_modem || !node ||
	    (hints && (hints->ai_flags & AI_NUMERICHOST)))
		return real.getaddrinfo(node, service, hints, res);
	struct addrinfo numeric = hints ? *hints : (struct addrinfo){0};
	numeric.ai_flags |= AI_NUMERICHOST;
	int result = real.getaddrinfo(node, service, &numeric, res);
	if (result != EAI_NONAME)
		return result;
	char address[INET6_ADDRSTRLEN];
	if (hosts_file_lookup(HOSTS_PATH, node, hints ? hints->ai_family : 0, address, sizeof(address)))
		return real.getaddrinfo(node, service, hints, res);
	return resolve_over_modem(node, service, hints, res);
}

void freeaddrinfo(struct addrinfo *list)
{
	shim_init();
	if (!list)
		return;
	struct owned_list *entry = NULL;
	pthread_mutex_lock(&owned_lock);
	if (owned_lists)
		HASH_FIND_PTR(owned_lists, &list, entry);
	if (entry)
		HASH_DEL(owned_lists, entry);
	pthread_mutex_unlock(&owned_lock);
	if (!entry) {
		real.freeaddrinfo(list);
		return;
	}
	free(entry);
	free_owned(list);
}
