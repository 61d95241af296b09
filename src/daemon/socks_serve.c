/*
 * st87d's SOCKS5 door (socks_serve.h). A session: who the client is (the
 * kernel's word), the greeting, the request, the access rules, the name
 * looked up by st87d's own resolver path (socks5h), then a routed socket
 * handed to the engine exactly as serve.c hands a program's, and a relay
 * between its pair and the client's connection until both sides are done.
 */
#include "socks_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "internal.h"
#include "socks_handover.h"
#include "socks_names.h"
#include "socks_parse.h"
#include "socks_peer.h"
#include "socks_udp.h"

/* How long a client may take over its greeting and request. */
#define HANDSHAKE_TIMEOUT_S 10
#define RELAY_BUFFER 16384
#define SESSION_STACK_BYTES (256 * 1024)

struct door {
	int listener;
	const struct access_policy *policy;
	const struct shim_config *config;
};

struct session {
	int connection;
	const struct door *door;
	struct socks_peer peer;
	char program[ST87_PROCESS_NAME_SIZE];
	char who[160]; /* "SOCKS client uid 1000 pid 42 (curl)" */
};

static atomic_int open_sessions;

static void say_who(struct session *session)
{
	const struct socks_peer *peer = &session->peer;
	session->program[0] = '\0';
	if (peer->pid > 0)
		st87_process_name((long)peer->pid, session->program, sizeof(session->program));
	if (!session->program[0])
		snprintf(session->program, sizeof(session->program), "?");
	if (!peer->uid_known)
		snprintf(session->who, sizeof(session->who), "SOCKS client of unknown uid");
	else if (peer->pid > 0)
		snprintf(session->who, sizeof(session->who), "SOCKS client uid %d pid %d (%s)",
			 (int)peer->uid, (int)peer->pid, session->program);
	else
		snprintf(session->who, sizeof(session->who), "SOCKS client uid %d", (int)peer->uid);
}

/* Reads into @buffer until @parse says the message is whole: its length, or <= 0 (the parse's, or -EIO). */
static int read_message(int connection, uint8_t *buffer, size_t size, size_t *have,
			int (*parse)(const uint8_t *, size_t, void *, const char **), void *parsed,
			const char **why)
{
	for (;;) {
		int len = parse(buffer, *have, parsed, why);
		if (len != SOCKS_NEED_MORE)
			return len;
		if (*have == size) {
			*why = "the message is longer than RFC 1928 allows";
			return -EIO;
		}
		ssize_t n = recv(connection, buffer + *have, size - *have, 0);
		if (n <= 0) {
			*why = n == 0 ? "the client hung up mid-handshake"
				      : "the client was silent or failed mid-handshake";
			return -EIO;
		}
		*have += (size_t)n;
	}
}

static int parse_greeting(const uint8_t *bytes, size_t len, void *parsed, const char **why)
{
	return socks_parse_greeting(bytes, len, parsed, why);
}

static int parse_request(const uint8_t *bytes, size_t len, void *parsed, const char **why)
{
	return socks_parse_request(bytes, len, parsed, why);
}

/* False when @fd took not all of it (its reader is gone). */
static bool send_all(int fd, const void *bytes, size_t len)
{
	const uint8_t *at = bytes;
	while (len > 0) {
		ssize_t n = send(fd, at, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		at += n;
		len -= (size_t)n;
	}
	return true;
}

static void reply(const struct session *session, enum socks_reply_code code,
		  const struct sockaddr *bound)
{
	uint8_t bytes[SOCKS_REPLY_MAX];
	/* A client that left before its reply has nothing more to hear: its session ends anyway. */
	(void)send_all(session->connection, bytes, socks_build_reply(code, bound, bytes));
}

/* One line saying why, and the RFC's code to the client. */
static void refuse(const struct session *session, enum socks_reply_code code, const char *target,
		   const char *why)
{
	st87_log(ST87_LOG_WARN, "%s: %s refused (reply 0x%02x): %s", session->who, target, code, why);
	reply(session, code, NULL);
}

/* Waits for the engine's word on @s: 0 connected, else the positive errno. */
static int connect_outcome(struct routed_socket *s)
{
	pthread_mutex_lock(&engine_lock);
	while (s->state == ROUTED_CONNECTING)
		pthread_cond_wait(&s->changed, &engine_lock);
	int err = s->state == ROUTED_CONNECTED ? 0 : (s->error ? s->error : ECONNRESET);
	pthread_mutex_unlock(&engine_lock);
	return err;
}

enum relay_step { RELAY_BROKEN, RELAY_AT_END, RELAY_GOES_ON };

/* One direction of the relay: what @from has goes to @to; at @from's end, @to hears of it. */
static enum relay_step pass_on(int from, int to, uint8_t *buffer)
{
	ssize_t n = recv(from, buffer, RELAY_BUFFER, 0);
	if (n == 0) {
		shutdown(to, SHUT_WR);
		return RELAY_AT_END;
	}
	return n > 0 && send_all(to, buffer, (size_t)n) ? RELAY_GOES_ON : RELAY_BROKEN;
}

/*
 * Relays until both directions are at their end (each side's half-close
 * passed on), or either side fails: a client that reset its connection
 * must not leave the modem's connection open until the server closes.
 */
static void relay(int client, int program_end)
{
	static _Thread_local uint8_t buffer[RELAY_BUFFER];
	const int ends[2] = {client, program_end};
	struct pollfd fds[2] = {{.fd = client, .events = POLLIN}, {.fd = program_end, .events = POLLIN}};
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (size_t i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			enum relay_step step = pass_on(ends[i], ends[1 - i], buffer);
			if (step == RELAY_BROKEN)
				return;
			if (step == RELAY_AT_END)
				fds[i].fd = -1;
		}
	}
}

static void connect_and_relay(struct session *session, const struct sockaddr_storage *remote,
			      socklen_t remote_len, const char *target)
{
	int program_end = -1;
	struct socks_client client = {.pid = session->peer.pid,
				      .program = session->program,
				      .config = session->door->config};
	struct routed_socket *s = socks_hand_to_engine(&client, SOCK_STREAM, remote, remote_len,
						       &program_end);
	if (!s) {
		refuse(session, SOCKS_GENERAL_FAILURE, target,
		       "st87d cannot hand it to the modem's engine");
		return;
	}
	char what[200];
	engine_describe(s, what, sizeof(what));
	st87_log(ST87_LOG_INFO, "%s: uid %d asks through SOCKS", what, (int)session->peer.uid);
	int err = connect_outcome(s);
	if (err) {
		refuse(session, socks_reply_for_errno(err), target, strerror(err));
	} else {
		struct sockaddr_in bound = {.sin_family = AF_INET};
		char modem_address[64];
		engine_modem_address(AF_INET, modem_address, sizeof(modem_address));
		inet_pton(AF_INET, modem_address, &bound.sin_addr);
		reply(session, SOCKS_SUCCEEDED, (const struct sockaddr *)&bound);
		relay(session->connection, program_end);
	}
	close(program_end);
	routed_socket_release(s);
}

/* UDP ASSOCIATE: the relay's address in the reply, then datagrams until the client's connection ends. */
static void associate(struct session *session, const struct socks_request *request, const char *target)
{
	struct sockaddr_storage bound;
	int relay = socks_udp_open(session->connection, &bound);
	if (relay < 0) {
		refuse(session, SOCKS_GENERAL_FAILURE, target, strerror(-relay));
		return;
	}
	struct socks_udp_association association = {
		.control = session->connection,
		.uid = session->peer.uid,
		.who = session->who,
		.client = {.pid = session->peer.pid,
			   .program = session->program,
			   .config = session->door->config},
		.sender = request->address,
	};
	reply(session, SOCKS_SUCCEEDED, (const struct sockaddr *)&bound);
	socks_udp_relay(&association, relay);
}

/* "CONNECT example.org:80", "CONNECT [::1]:8080". */
static void describe_target(const struct socks_request *request, char *text, size_t len)
{
	char command[16], address[INET6_ADDRSTRLEN] = "?";
	const char *name = socks_command_name(request->command, command);
	if (request->address_type == SOCKS_DOMAIN) {
		char printable[256];
		st87_printable(request->name, strlen(request->name), printable, sizeof(printable));
		snprintf(text, len, "%s %s:%u", name, printable, request->port);
		return;
	}
	const struct sockaddr_in *in = (const struct sockaddr_in *)&request->address;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&request->address;
	bool ipv6 = request->address_type == SOCKS_IPV6;
	inet_ntop(ipv6 ? AF_INET6 : AF_INET,
		  ipv6 ? (const void *)&in6->sin6_addr : (const void *)&in->sin_addr, address,
		  sizeof(address));
	snprintf(text, len, "%s %s%s%s:%u", name, ipv6 ? "[" : "", address, ipv6 ? "]" : "",
		 request->port);
}

static void serve_request(struct session *session, const struct socks_request *request)
{
	char target[320];
	describe_target(request, target, sizeof(target));
	if (!socks_peer_allowed(&session->peer, session->door->policy)) {
		char why[160];
		snprintf(why, sizeof(why), "not root, not st87d's user, not in group %s",
			 session->door->policy->group_name);
		refuse(session, SOCKS_NOT_ALLOWED, target, why);
		return;
	}
	if (request->command == SOCKS_UDP_ASSOCIATE) {
		associate(session, request, target);
		return;
	}
	if (request->command != SOCKS_CONNECT) {
		refuse(session, SOCKS_COMMAND_NOT_SUPPORTED, target,
		       "st87d's door serves CONNECT and UDP ASSOCIATE");
		return;
	}
	struct sockaddr_storage remote = request->address;
	socklen_t remote_len = request->address_len;
	if (request->address_type == SOCKS_DOMAIN) {
		char why[400];
		enum socks_reply_code code = socks_resolve(session->door->config, request->name,
							   request->port, &remote, &remote_len, why,
							   sizeof(why));
		if (code != SOCKS_SUCCEEDED) {
			refuse(session, code, target, why);
			return;
		}
	}
	connect_and_relay(session, &remote, remote_len, target);
}

static void run_session(struct session *session)
{
	char why_unknown[160] = "";
	if (!socks_peer_identify(session->connection, &session->peer, why_unknown, sizeof(why_unknown)))
		session->peer.uid_known = false;
	say_who(session);
	struct timeval bound = {.tv_sec = HANDSHAKE_TIMEOUT_S};
	setsockopt(session->connection, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
	uint8_t buffer[SOCKS_REQUEST_MAX];
	size_t have = 0;
	int no_auth = 0;
	const char *why = "";
	int len = read_message(session->connection, buffer, SOCKS_GREETING_MAX, &have, parse_greeting,
			       &no_auth, &why);
	if (len <= 0) {
		st87_log(ST87_LOG_WARN, "%s: no SOCKS5 greeting: %s", session->who, why);
		return;
	}
	uint8_t method[2] = {SOCKS_VERSION,
			     no_auth ? SOCKS_NO_AUTHENTICATION : SOCKS_NO_ACCEPTABLE_METHOD};
	(void)send_all(session->connection, method,
		       sizeof(method)); /* a failure shows in the request read */
	if (!no_auth) {
		st87_log(ST87_LOG_WARN,
			 "%s: refused: it offers no method without a password, "
			 "the only one st87d's door takes",
			 session->who);
		return;
	}
	memmove(buffer, buffer + len, have - (size_t)len);
	have -= (size_t)len;
	struct socks_request request;
	len = read_message(session->connection, buffer, sizeof(buffer), &have, parse_request, &request,
			   &why);
	if (len == -EIO) {
		st87_log(ST87_LOG_WARN, "%s: no SOCKS5 request: %s", session->who, why);
		return;
	}
	if (len < 0) {
		refuse(session, (enum socks_reply_code) - len, "the request", why);
		return;
	}
	bound.tv_sec = 0;
	setsockopt(session->connection, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
	serve_request(session, &request);
}

static void *session_thread(void *argument)
{
	struct session *session = argument;
	run_session(session);
	close(session->connection);
	free(session);
	atomic_fetch_sub(&open_sessions, 1);
	return NULL;
}

static bool start_session(struct session *session)
{
	pthread_attr_t attributes;
	if (pthread_attr_init(&attributes) != 0)
		return false;
	pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attributes, SESSION_STACK_BYTES);
	pthread_t thread;
	bool started = pthread_create(&thread, &attributes, session_thread, session) == 0;
	pthread_attr_destroy(&attributes);
	return started;
}

static void admit(const struct door *door, int connection)
{
	struct session *session = NULL;
	if (atomic_fetch_add(&open_sessions, 1) < SOCKS_SESSIONS_MAX)
		session = calloc(1, sizeof(*session));
	if (session) {
		session->connection = connection;
		session->door = door;
		if (start_session(session))
			return;
		free(session);
	}
	atomic_fetch_sub(&open_sessions, 1);
	st87_log(ST87_LOG_WARN,
		 "SOCKS connection closed unanswered: %d open already, or no thread for it",
		 SOCKS_SESSIONS_MAX);
	close(connection);
}

static void *accept_sessions(void *argument)
{
	const struct door *door = argument;
	for (;;) {
		int connection = accept4(door->listener, NULL, NULL, SOCK_CLOEXEC);
		if (connection >= 0) {
			admit(door, connection);
		} else if (errno != EINTR && errno != ECONNABORTED) {
			st87_log(ST87_LOG_WARN, "accepting a SOCKS client: %s: trying again",
				 strerror(errno));
			usleep(100 * 1000);
		}
	}
	return NULL;
}

int socks_serve(int listener, const struct access_policy *policy, const struct shim_config *config)
{
	struct door *door = malloc(sizeof(*door));
	if (!door)
		return -ENOMEM;
	*door = (struct door){.listener = listener, .policy = policy, .config = config};
	pthread_t thread;
	int err = pthread_create(&thread, NULL, accept_sessions, door);
	if (err) {
		free(door);
		return -err;
	}
	pthread_detach(thread);
	return 0;
}

static int listen_on(int family, int port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	struct sockaddr_storage address = {0};
	socklen_t len;
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&address;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons((uint16_t)port);
		len = sizeof(*in);
	}
	if (bind(fd, (struct sockaddr *)&address, len) < 0 || listen(fd, 64) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int socks_listen_port(int port, int fds[2])
{
	fds[0] = listen_on(AF_INET, port);
	if (fds[0] < 0) {
		fprintf(stderr, "st87d: --socks-port %d: cannot listen on 127.0.0.1: %s\n", port,
			strerror(-fds[0]));
		return -1;
	}
	fds[1] = listen_on(AF_INET6, port);
	/* A host without IPv6 has no ::1: 127.0.0.1 alone is still the door. */
	if (fds[1] < 0 && fds[1] != -EAFNOSUPPORT && fds[1] != -EADDRNOTAVAIL) {
		fprintf(stderr, "st87d: --socks-port %d: cannot listen on ::1: %s\n", port,
			strerror(-fds[1]));
		close(fds[0]);
		return -1;
	}
	if (fds[1] < 0)
		fds[1] = -1;
	return 0;
}
