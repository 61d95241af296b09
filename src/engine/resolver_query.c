/* DNS questions over a modem UDP socket, from the asking thread (resolver_query.h). */
#include "resolver_query.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine.h"
#include "engine_host.h"
#include "internal.h"
#include "monotonic.h"
#include "libc_calls.h"

/* How long each try waits for its answer. */
#define ANSWER_WAIT_MS 5000

static uint16_t random_id(void)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(getpid() ^ (intptr_t)&id);
	return id;
}

/* The engine hung up our pair: the modem socket failed, and the record says why. */
static int socket_failure(struct routed_socket *s)
{
	pthread_mutex_lock(&engine_lock);
	int err = s->state == ROUTED_FAILED && s->error ? s->error : ENETDOWN;
	pthread_mutex_unlock(&engine_lock);
	return -err;
}

/*
 * Waits for the engine to give @s its modem socket: 0 once connected, the
 * socket's failure, or -ETIMEDOUT after ST87_CONNECT_TIMEOUT. The answer
 * clock starts only then: the modem may take its own time to bring the link
 * up (the engine then waits up to 30 s for it, as an AT#DNS lookup would),
 * and a query that sat in the pair meanwhile would be asked out of time.
 */
static int await_modem_socket(struct routed_socket *s)
{
	int timeout_ms = engine_settings_given.connect_timeout_ms;
	struct timespec deadline = monotonic_deadline_after(timeout_ms);
	pthread_mutex_lock(&engine_lock);
	int err = 0;
	while (s->state == ROUTED_CONNECTING && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&s->changed, &engine_lock, &deadline);
	enum routed_state state = s->state;
	pthread_mutex_unlock(&engine_lock);
	if (state == ROUTED_CONNECTED)
		return 0;
	return state == ROUTED_CONNECTING ? -ETIMEDOUT : socket_failure(s);
}

/* Reads replies on @fd until the one to query @id: its outcome, -ETIMEDOUT, or the socket's failure. */
static int await_answer(struct routed_socket *s, int fd, uint16_t id, const char *name, int qtype,
			struct shim_dns_answer *answer)
{
	long long deadline = st87_now_ms() + ANSWER_WAIT_MS;
	for (;;) {
		long long left = deadline - st87_now_ms();
		struct pollfd ready = {.fd = fd, .events = POLLIN};
		int n = left > 0 ? poll(&ready, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ETIMEDOUT;
		unsigned char reply[SHIM_DNS_UDP_MAX * 2];
		ssize_t got = libc_recv(fd, reply, sizeof(reply), MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got <= 0)
			return socket_failure(s);
		int outcome = shim_dns_parse_answer(reply, (size_t)got, id, name, qtype, answer);
		if (outcome != SHIM_DNS_NOT_OURS)
			return outcome;
	}
}

/* The tries, over our end @fd of the record's pair. */
static int exchange(struct routed_socket *s, int fd, const char *name, int qtype, int tries,
		    struct shim_dns_answer *answer)
{
	int outcome = -ETIMEDOUT;
	for (int attempt = 0; attempt < tries && outcome == -ETIMEDOUT; attempt++) {
		unsigned char query[SHIM_DNS_UDP_MAX];
		uint16_t id = random_id();
		int len = shim_dns_build_query(name, qtype, id, query, sizeof(query));
		if (len < 0)
			return len;
		if (libc_send(fd, query, (size_t)len, MSG_NOSIGNAL) < 0)
			return errno == EPIPE || errno == ECONNRESET ? socket_failure(s) : -errno;
		outcome = await_answer(s, fd, id, name, qtype, answer);
	}
	return outcome;
}

int engine_ask_resolver(const struct sockaddr *server, socklen_t server_len, const char *name, int qtype,
			int tries, struct shim_dns_answer *answer, char *error, size_t error_len)
{
	error[0] = '\0';
	int pair[2];
	/* SEQPACKET: datagram bounds, and the engine still sees our close. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		snprintf(error, error_len, "no socket pair for the query: %s", strerror(errno));
		return -errno;
	}
	struct routed_socket *s = routed_socket_new(server->sa_family, SOCK_DGRAM, server, server_len);
	if (!s) {
		libc_close(pair[0]);
		libc_close(pair[1]);
		snprintf(error, error_len, "out of memory");
		return -ENOMEM;
	}
	s->dns_queries = true;
	int ours = engine_private_fd(pair[0]);
	s->engine_fd = engine_private_fd(pair[1]);
	libc_fcntl(s->engine_fd, F_SETFL, O_NONBLOCK);
	routed_socket_hold(s); /* ours: the record's error is read after the engine let go */
	bool connect_timed_out = false;
	int outcome = engine_submit(s);
	if (outcome)
		engine_close_private_fd(s->engine_fd);
	else if ((outcome = await_modem_socket(s)) == -ETIMEDOUT)
		connect_timed_out = true;
	else if (outcome == 0)
		outcome = exchange(s, ours, name, qtype, tries, answer);
	/* The engine sees the hang-up and closes the modem socket, or opens none (connect_now). */
	engine_close_private_fd(ours);
	routed_socket_release(s);
	if (connect_timed_out)
		snprintf(error, error_len,
			 "no modem UDP socket for the query within %d ms (ST87_CONNECT_TIMEOUT)",
			 engine_settings_given.connect_timeout_ms);
	else if (outcome == -ETIMEDOUT)
		snprintf(error, error_len, "the resolver did not answer over the modem");
	else if (outcome == -EMFILE)
		snprintf(error, error_len,
			 "no free modem UDP socket for the query: the modem has 2, and other sockets "
			 "hold them");
	else if (outcome < 0 && outcome != SHIM_DNS_NO_SUCH_NAME && outcome != SHIM_DNS_NO_DATA &&
		 outcome != SHIM_DNS_TRY_AGAIN && outcome != SHIM_DNS_REFUSED &&
		 outcome != SHIM_DNS_MALFORMED)
		snprintf(error, error_len, "the modem's UDP socket to the resolver: %s",
			 strerror(-outcome));
	return outcome;
}
