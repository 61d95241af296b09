/*
 * getaddrinfo()/freeaddrinfo(): when names go over the modem (ST87_DNS set,
 * or ST87_ROUTE routing every DNS destination), names that are neither
 * numeric nor in /etc/hosts are looked up with DNS queries to ST87_DNS over
 * a modem UDP socket where it is set, else by the modem itself (AT#DNS, the
 * network's resolver), and kept in the engine's names cache for their TTL.
 * No query for them leaves through the host's resolver.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "dns_message.h"
#include "hosts_file.h"
#include "daemon_client.h"
#include "real.h"
#include "shim.h"

#define DNS_WAIT_MS 5000
#define DNS_TRIES 2
#define HOSTS_PATH "/etc/hosts"

/* The lists this file hands out, so freeaddrinfo() knows them from libc's. */
struct owned_list {
	struct addrinfo *head;
	UT_hash_handle hh;
};
static struct owned_list *owned_lists;
static pthread_mutex_t owned_lock = PTHREAD_MUTEX_INITIALIZER;

static uint16_t random_id(void)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(getpid() ^ (intptr_t)&id);
	return id;
}

/* One query, one answer, over a modem UDP socket to ST87_DNS. */
static int query_over_modem(const char *name, int qtype, struct shim_dns_answer *answer)
{
	const struct sockaddr_storage *server = &shim.config.dns_server;
	int fd = socket(server->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int err = shim_route_connect(fd, (const struct sockaddr *)server, shim.config.dns_server_len,
				     ROUTE_DNS_QUERIES);
	for (int attempt = 0; attempt < DNS_TRIES && (attempt == 0 ? !err : err == -ETIMEDOUT);
	     attempt++) {
		unsigned char query[SHIM_DNS_UDP_MAX];
		uint16_t id = random_id();
		int len = shim_dns_build_query(name, qtype, id, query, sizeof(query));
		if (len < 0) {
			err = len;
			break;
		}
		if (real.send(fd, query, (size_t)len, MSG_NOSIGNAL) < 0) {
			err = -errno;
			break;
		}
		err = -ETIMEDOUT;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		while (poll(&pfd, 1, DNS_WAIT_MS) == 1) {
			unsigned char reply[SHIM_DNS_UDP_MAX * 2];
			ssize_t n = real.recv(fd, reply, sizeof(reply), MSG_DONTWAIT);
			if (n <= 0)
				break;
			int outcome = shim_dns_parse_answer(reply, (size_t)n, id, name, qtype, answer);
			if (outcome != SHIM_DNS_NOT_OURS) {
				err = outcome;
				break;
			}
		}
	}
	close(fd);
	return err;
}

/* One family through AT#DNS. 0 and an answer; -ENOENT, -ENOSYS (no AT#DNS), other errnos.
 * @in_cache: this process's engine asked, and kept the outcome (with the answer's TTL, if any). */
static int ask_modem(const char *name, int qtype, struct shim_dns_answer *answer, char *error,
		     size_t error_len, bool *in_cache)
{
	int ip_version = qtype == ns_t_aaaa;
	char address[ST87_ADDR_LEN] = "";
	int daemon = -1;
	int err = daemon_dial(&daemon);
	if (err) {
		snprintf(error, error_len, "st87d is not reachable at %s", shim.config.daemon_socket);
		return err;
	}
	*in_cache = daemon < 0;
	if (daemon >= 0)
		err = daemon_resolve(daemon, name, ip_version, address, sizeof(address), error,
				     error_len);
	else
		err = engine_look_up(name, ip_version, address, error, error_len);
	if (err)
		return err;
	answer->family = qtype == ns_t_aaaa ? AF_INET6 : AF_INET;
	answer->count = 0;
	if (inet_pton(answer->family, address, &answer->addresses[0]) != 1) {
		snprintf(error, error_len, "the modem answered \"%s\" for %s", address, name);
		return -EPROTO;
	}
	answer->count = 1;
	return 0;
}

/* Turns one numeric address into addrinfo entries for @service and @hints, through libc. */
static int expand_numeric(const char *address, const char *service, const struct addrinfo *hints,
			  struct addrinfo **out)
{
	struct addrinfo numeric = hints ? *hints : (struct addrinfo){0};
	numeric.ai_flags = (numeric.ai_flags & ~AI_CANONNAME) | AI_NUMERICHOST;
	numeric.ai_family = AF_UNSPEC;
	return real.getaddrinfo(address, service, &numeric, out);
}

/* Copies libc's list into one we own (one allocation per entry) and frees libc's. */
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
		if (!head)
			head = copy;
		else
			(*tail)->ai_next = copy;
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
 * One family: the names cache first (shared with st87d's other clients
 * there). Where a resolver address is known (ST87_DNS), a DNS query over a
 * modem UDP socket: a datagram out and one back, while the engine keeps
 * serving every other socket. AT#DNS only without one: the engine does
 * nothing else until the modem answers it.
 */
static int look_up(const char *node, int qtype, struct shim_dns_answer *answer, char *why,
		   size_t why_len)
{
	why[0] = '\0';
	int family = qtype == ns_t_aaaa ? AF_INET6 : AF_INET;
	int outcome;
	if (engine_cached_name(node, family, &outcome, answer))
		return outcome;
	if (shim.config.has_dns_server) {
		outcome = query_over_modem(node, qtype, answer);
		engine_cache_name(node, family, outcome, answer, true);
		return outcome;
	}
	bool in_cache = false;
	outcome = ask_modem(node, qtype, answer, why, why_len, &in_cache);
	if (outcome != -ENOSYS) {
		if (!in_cache)
			engine_cache_name(node, family, outcome, answer, false);
		return outcome;
	}
	snprintf(why, why_len,
		 "the modem cannot look names up (no AT#DNS) and ST87_DNS is not "
		 "set: set ST87_DNS to a resolver's address");
	return -ENOSYS;
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
