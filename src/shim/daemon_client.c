/* A program's side of st87d (daemon_client.h). */
#include "daemon_client.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socket_trust.h"
#include "wire.h"
#include "shim.h"
#include "internal.h"
#include "libc_calls.h"

/*
 * Whether the daemon on @connection (dialled at @path) may be handed a
 * program's sockets: it runs as root, or as the owner of the socket file in
 * a directory no one else can write (socket_trust.h), so no other user can
 * have taken the name. False with @why.
 */
static bool daemon_trusted(int connection, const char *path, char *why, size_t why_len)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);
	if (libc_getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) {
		snprintf(why, why_len, "its credentials cannot be read: %s", strerror(errno));
		return false;
	}
	if (peer.uid == 0)
		return true;
	struct stat file;
	if (lstat(path, &file) < 0 || !S_ISSOCK(file.st_mode) || file.st_uid != peer.uid) {
		snprintf(why, why_len,
			 "it runs as uid %d, neither root nor the owner of the socket file",
			 (int)peer.uid);
		return false;
	}
	char directory_problem[PATH_MAX + 96];
	if (st87d_socket_directory_private(path, peer.uid, directory_problem,
					   sizeof(directory_problem)) < 0) {
		snprintf(why, why_len,
			 "it runs as uid %d and %s: another user could have taken its name",
			 (int)peer.uid, directory_problem);
		return false;
	}
	return true;
}

int daemon_dial(int *connection)
{
	*connection = -1;
	if (shim.config.daemon_use == SHIM_DAEMON_OFF)
		return 0;
	const char *path = shim.config.daemon_socket;
	int fd = st87d_dial(path);
	if (fd < 0) {
		bool absent = fd == -ENOENT || fd == -ECONNREFUSED;
		if (absent && shim.config.daemon_use == SHIM_DAEMON_IF_RUNNING)
			return 0;
		shim_log(ST87_LOG_ERROR, "st87d at %s: %s%s", path, strerror(-fd),
			 absent ? " (is st87d running? ST87_DAEMON=off uses the port instead)" : "");
		return absent ? -ENETDOWN : fd;
	}
	char why[PATH_MAX + 160];
	if (!daemon_trusted(fd, path, why, sizeof(why))) {
		libc_close(fd);
		shim_log(ST87_LOG_ERROR, "st87d at %s: refused: %s", path, why);
		return -EACCES;
	}
	fd = shim_private_fd(fd);
	shim_map_add_private(fd);
	*connection = fd;
	return 0;
}

static void apply_report(struct routed_socket *s, int got, const struct st87d_reply *reply);

int daemon_open_socket(struct routed_socket *s, int engine_end)
{
	struct st87d_request request = {
		.kind = ST87D_OPEN_SOCKET,
		.domain = s->domain,
		.type = s->type,
		.flags = s->framed ? ST87D_FRAMED : 0,
		.local_port = s->local_port,
		.filler = (uint32_t)s->filler,
		.rai = s->rai >= 0 ? s->rai : shim.config.udp_rai,
		.timeout_ms = shim.config.connect_timeout_ms, /* st87d's deadline for a connect in line */
		.remote = s->remote,
		.remote_len = s->remote_len,
	};
	int err = st87d_send_request(s->daemon_fd, &request, engine_end);
	if (!err)
		return 0;
	/* A daemon that refused us answered before it hung up: its reason beats EPIPE. */
	struct st87d_reply reply;
	int got = st87d_receive_reply(s->daemon_fd, &reply, 0);
	if (got == 1 && reply.kind == ST87D_FAILED) {
		apply_report(s, got, &reply);
		return -(reply.error > 0 ? reply.error : ECONNREFUSED);
	}
	shim_log(ST87_LOG_ERROR, "st87d: cannot hand the socket over: %s", strerror(-err));
	return err;
}

int daemon_set_rai(struct routed_socket *s, int rai)
{
	struct st87d_request request = {.kind = ST87D_SET_RAI, .rai = rai};
	return st87d_send_request(s->daemon_fd, &request, -1);
}

/* Applies one report of the daemon to @s (@got: st87d_receive_reply's result). Lock not held. */
static void apply_report(struct routed_socket *s, int got, const struct st87d_reply *reply)
{
	char what[160];
	engine_describe(s, what, sizeof(what));
	pthread_mutex_lock(&engine_lock);
	bool open = s->state == ROUTED_CONNECTING || s->state == ROUTED_CONNECTED;
	int failed_with = 0;
	if (got == 0 && open && !s->daemon_reported_eof) {
		failed_with = s->state == ROUTED_CONNECTED ? ECONNRESET : ENETDOWN;
	} else if (got == 1 && reply->kind == ST87D_CONNECTED && s->state == ROUTED_CONNECTING) {
		s->state = ROUTED_CONNECTED;
	} else if (got == 1 && reply->kind == ST87D_FAILED && open) {
		failed_with = reply->error > 0 ? reply->error : ECONNRESET;
	} else if (got == 1 && reply->kind == ST87D_PEER_CLOSED) {
		s->daemon_reported_eof = true;
	}
	if (failed_with) {
		s->state = ROUTED_FAILED;
		s->error = failed_with;
	}
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&engine_lock);
	if (got == 1 && reply->kind == ST87D_CONNECTED) {
		shim_set_modem_address(reply->ipv4, reply->ipv6);
		/* The daemon's engine knows the modem's limit: sends over it are EMSGSIZE here too (io.c). */
		if (reply->datagram_limit)
			atomic_store_explicit(&shim.datagram_limit, reply->datagram_limit,
					      memory_order_relaxed);
	}
	if (failed_with && got == 0)
		shim_log(ST87_LOG_ERROR, "%s: st87d went away (%s)", what, strerror(failed_with));
	else if (failed_with)
		shim_log(ST87_LOG_ERROR, "%s: %s (st87d: %s)", what, strerror(failed_with), reply->text);
}

static bool hung_up(int fd)
{
	struct pollfd pair_end = {.fd = fd, .events = 0};
	return poll(&pair_end, 1, 0) == 1 && (pair_end.revents & (POLLHUP | POLLERR));
}

/* The daemon reports before it lets go of its end; the kernel may show the hang-up first. */
#define REPORT_LAG_MS 2000

void daemon_take_reports(struct routed_socket *s, int fd, bool at_eof)
{
	if (s->daemon_fd < 0)
		return;
	struct st87d_reply reply;
	int got;
	while ((got = st87d_receive_reply(s->daemon_fd, &reply, 0)) > 0)
		apply_report(s, got, &reply);
	if (got == 0) {
		apply_report(s, 0, &reply);
		return;
	}
	/*
	 * A pair that ended without a report yet: a connecting socket must get
	 * its failure, not "connected", and an EOF must not pass for the peer's
	 * close when it is a failure.
	 */
	pthread_mutex_lock(&engine_lock);
	bool connecting = s->state == ROUTED_CONNECTING;
	bool unexplained_eof = at_eof && s->state == ROUTED_CONNECTED && !s->daemon_reported_eof;
	pthread_mutex_unlock(&engine_lock);
	if ((connecting && fd >= 0 && hung_up(fd)) || unexplained_eof) {
		got = st87d_receive_reply(s->daemon_fd, &reply, REPORT_LAG_MS);
		if (got >= 0)
			apply_report(s, got, &reply);
	}
}

int daemon_wait_connected(struct routed_socket *s, int timeout_ms)
{
	/* st87d gives up on a connect in line at the same deadline, and its answer names the holder. */
	long long deadline = st87_now_ms() + timeout_ms + REPORT_LAG_MS;
	for (;;) {
		pthread_mutex_lock(&engine_lock);
		enum routed_state state = s->state;
		int error = s->error;
		if (state != ROUTED_CONNECTING && state != ROUTED_CONNECTED)
			s->error_reported = true;
		pthread_mutex_unlock(&engine_lock);
		if (state == ROUTED_CONNECTED)
			return 0;
		if (state != ROUTED_CONNECTING)
			return -(error ? error : ECONNRESET);
		long long left = deadline - st87_now_ms();
		if (left <= 0) {
			char what[160];
			engine_describe(s, what, sizeof(what));
			shim_log(ST87_LOG_ERROR,
				 "%s: no word from st87d within ST87_CONNECT_TIMEOUT (%d ms)", what,
				 timeout_ms);
			return -ETIMEDOUT;
		}
		struct st87d_reply reply;
		int got = st87d_receive_reply(s->daemon_fd, &reply, (int)left);
		if (got == -EAGAIN)
			continue;
		if (got == -EPROTONOSUPPORT)
			shim_log(ST87_LOG_ERROR, "%s", ST87D_OTHER_VERSION);
		if (got < 0)
			return got;
		apply_report(s, got, &reply);
	}
}

/* The daemon's answer to a lookup into @answer: the outcome it gave. */
static int take_answer(const struct st87d_reply *reply, int family, struct shim_dns_answer *answer,
		       char *error, size_t error_len)
{
	memset(answer, 0, sizeof(*answer));
	answer->family = family;
	answer->ttl = reply->ttl_s;
	if (reply->error) {
		snprintf(error, error_len, "%s", reply->text);
		return -reply->error;
	}
	size_t size = family == AF_INET6 ? sizeof(struct in6_addr) : sizeof(struct in_addr);
	for (size_t i = 0; i < reply->address_count && i < SHIM_DNS_MAX_ADDRESSES; i++)
		memcpy(&answer->addresses[i], reply->addresses[i], size);
	answer->count = reply->address_count < SHIM_DNS_MAX_ADDRESSES ? reply->address_count
								      : SHIM_DNS_MAX_ADDRESSES;
	if (reply->family != family || answer->count == 0) {
		snprintf(error, error_len, "st87d answered the lookup with no address");
		return -EPROTO;
	}
	return SHIM_DNS_ANSWER;
}

int daemon_resolve(int connection, const char *name, int family, struct shim_dns_answer *answer,
		   char *error, size_t error_len)
{
	struct st87d_request request = {.kind = ST87D_RESOLVE, .ip_version = family == AF_INET6};
	snprintf(request.name, sizeof(request.name), "%s", name);
	if (shim.config.has_dns_server) {
		request.remote = shim.config.dns_server;
		request.remote_len = shim.config.dns_server_len;
	}
	int err = st87d_send_request(connection, &request, -1);
	struct st87d_reply reply;
	/* Even when the request could not go (a refusal hangs up first), an answer may be waiting. */
	int got = st87d_receive_reply(connection, &reply,
				      err ? 0 : shim.config.connect_timeout_ms + 60000);
	if (err && got != 1)
		got = err;
	shim_map_remove_private(connection);
	libc_close(connection);
	if (got == 1 && reply.kind == ST87D_FAILED) {
		snprintf(error, error_len, "st87d: %s", reply.text);
		return -(reply.error > 0 ? reply.error : ENETDOWN);
	}
	if (got <= 0 || reply.kind != ST87D_ANSWER) {
		snprintf(error, error_len, "st87d did not answer the lookup (%s)",
			 got == -EPROTONOSUPPORT ? ST87D_OTHER_VERSION
				 : got < 0       ? strerror(-got)
						 : "it hung up");
		return got == -EPROTONOSUPPORT ? got : -ENETDOWN;
	}
	/* Whether the context has IPv6 decides if AF_UNSPEC asks AAAA next (resolve.c). */
	if (reply.ipv4[0] || reply.ipv6[0])
		shim_set_modem_address(reply.ipv4, reply.ipv6);
	return take_answer(&reply, family, answer, error, error_len);
}
