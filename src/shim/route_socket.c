/*
 * Turning the program's socket into a routed one: the fd becomes one end of
 * a socketpair (dup3 keeps its number and close-on-exec flag), the engine
 * gets the other end and the destination.
 *
 * A non-blocking connect must return EINPROGRESS and the fd must not poll
 * writable before the modem's link is up. A fresh pair end is writable at
 * once, so the program's end gets its send buffer shrunk to the minimum and
 * filled with filler bytes; the engine reads exactly those bytes back once
 * the link is up, which is when POLLOUT arrives. On failure the engine
 * closes its end and SO_ERROR says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon_client.h"
#include "monotonic.h"
#include "libc_calls.h"
#include "real.h"
#include "shim.h"

#define FILLER_MAX 65536

static int socket_option(int fd, int level, int name)
{
	int value = 0;
	socklen_t len = sizeof(value);
	if (real.getsockopt(fd, level, name, &value, &len) < 0)
		return -errno;
	return value;
}

/* Fills the program's end until it stops being writable; returns the bytes written. */
static size_t fill_until_unwritable(int fd, int *sndbuf_before)
{
	*sndbuf_before = socket_option(fd, SOL_SOCKET, SO_SNDBUF);
	int smallest = 1;
	real.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &smallest, sizeof(smallest));
	static const char filler[256];
	size_t total = 0;
	while (total < FILLER_MAX) {
		ssize_t n = libc_send(fd, filler, sizeof(filler), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	return total;
}

/* Replays what the program set on the old socket that matters on the new end: timeouts, SO_LINGER. */
static void copy_options(int from, int to)
{
	struct timeval value;
	socklen_t len = sizeof(value);
	if (real.getsockopt(from, SOL_SOCKET, SO_RCVTIMEO, &value, &len) == 0 &&
	    (value.tv_sec || value.tv_usec))
		real.setsockopt(to, SOL_SOCKET, SO_RCVTIMEO, &value, len);
	len = sizeof(value);
	if (real.getsockopt(from, SOL_SOCKET, SO_SNDTIMEO, &value, &len) == 0 &&
	    (value.tv_sec || value.tv_usec))
		real.setsockopt(to, SOL_SOCKET, SO_SNDTIMEO, &value, len);
	/* SO_LINGER rules the exit's flush (shim.c): the pair's end keeps it for the shim to read. */
	struct linger linger;
	len = sizeof(linger);
	if (real.getsockopt(from, SOL_SOCKET, SO_LINGER, &linger, &len) == 0 && linger.l_onoff)
		real.setsockopt(to, SOL_SOCKET, SO_LINGER, &linger, len);
}

/*
 * How long past its deadline a connect still in line for the modem's TCP
 * socket waits for the engine's verdict, which names the holder: the engine
 * gives up on it at the same deadline, unless a command keeps it busy.
 */
#define VERDICT_GRACE_MS 2000

/* A blocking connect's wait, up to the record's deadline. 0 or -errno; a timeout says why in one line. */
static int wait_connected(struct routed_socket *s)
{
	int err = 0;
	pthread_mutex_lock(&engine_lock);
	long long give_up_ms = s->connect_deadline_ms;
	bool graced = false, timed_out = false;
	while (s->state == ROUTED_CONNECTING) {
		long long left = give_up_ms - st87_now_ms();
		if (left <= 0 && s->waiting_for_tcp && !graced) {
			give_up_ms += VERDICT_GRACE_MS;
			graced = true;
			continue;
		}
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct timespec deadline = monotonic_deadline_after((int)left);
		pthread_cond_timedwait(&s->changed, &engine_lock, &deadline);
	}
	bool in_line = s->waiting_for_tcp;
	if (timed_out && in_line) {
		/* The engine drops it from the line unconnected, and says nothing more. */
		s->state = ROUTED_FAILED;
		s->error = ETIMEDOUT;
		s->error_reported = true;
	}
	if (timed_out) {
		err = -ETIMEDOUT;
	} else if (s->state != ROUTED_CONNECTED) {
		err = -(s->error ? s->error : ECONNRESET);
		s->error_reported = true;
	}
	pthread_mutex_unlock(&engine_lock);
	if (timed_out) {
		char what[160];
		engine_describe(s, what, sizeof(what));
		shim_log(ST87_LOG_ERROR, "%s: %s within ST87_CONNECT_TIMEOUT (%d ms)", what,
			 in_line ? "the modem's only TCP socket did not come free"
				 : "the modem did not connect",
			 shim.config.connect_timeout_ms);
	}
	return err;
}

/* The port the program bound the kernel socket to (0: none), for the modem socket's <udp_port>. */
static int bound_port(int fd)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	if (real.getsockname(fd, (struct sockaddr *)&local, &len) < 0)
		return 0;
	if (local.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
	return local.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&local)->sin_port) : 0;
}

/* Puts a fresh kernel socket back at @fd after a blocking connect failed, so it can be retried or closed. */
static void restore_kernel_socket(int fd, int domain, int type, int fd_flags, int status_flags)
{
	int fresh = socket(domain, type, 0);
	if (fresh < 0)
		return;
	real.dup3(fresh, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0);
	real.close(fresh);
	real.fcntl(fd, F_SETFL, status_flags);
}

static void forget_daemon(int connection)
{
	if (connection < 0)
		return;
	shim_map_remove_private(connection);
	real.close(connection);
}

/* One routing of a program's fd, from the kernel socket it was to a pair end whose other end is carried. */
struct route_attempt {
	int fd, domain, type;
	int status_flags, fd_flags; /* the fd's, to keep across the dup3 */
	bool nonblocking;
	int daemon; /* connection to st87d, or -1: the engine in this process */
	int program_end, engine_end;
	struct routed_socket *s;
};

/* The pair and the record. SEQPACKET for UDP: datagram bounds, and the engine still sees the program's close. */
static int make_pair_and_record(struct route_attempt *a, const struct sockaddr *addr, socklen_t addr_len,
				unsigned flags)
{
	int pair[2];
	a->s = routed_socket_new(a->domain, a->type, addr, addr_len);
	if (!a->s ||
	    socketpair(AF_UNIX, (a->type == SOCK_STREAM ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC,
		       0, pair) < 0) {
		int err = a->s ? -errno : -ENOMEM;
		if (a->s)
			routed_socket_discard(a->s);
		return err;
	}
	a->program_end = pair[0];
	a->engine_end = shim_private_fd(pair[1]);
	real.fcntl(a->engine_end, F_SETFL, O_NONBLOCK);

	struct routed_socket *s = a->s;
	s->framed = flags & ROUTE_FRAMED;
	s->rai = shim_pending_rai(a->fd); /* set before routing, or -1 */
	s->local_port = a->type == SOCK_DGRAM ? bound_port(a->fd) : 0;
	s->engine_fd = a->daemon >= 0 ? -1 : a->engine_end;
	s->connect_deadline_ms = st87_now_ms() + shim.config.connect_timeout_ms;
	s->daemon_fd = a->daemon;
	if (a->type == SOCK_STREAM && a->nonblocking)
		s->filler = fill_until_unwritable(a->program_end, &s->sndbuf_to_restore);
	return 0;
}

/* The program's end takes the fd's number (and close-on-exec, status flags, timeouts). */
static int install_program_end(struct route_attempt *a)
{
	copy_options(a->fd, a->program_end);
	int err = real.dup3(a->program_end, a->fd,
			    (a->fd_flags >= 0 && (a->fd_flags & FD_CLOEXEC)) ? O_CLOEXEC : 0) < 0
		? -errno
		: 0;
	real.close(a->program_end);
	if (!err && a->status_flags >= 0)
		real.fcntl(a->fd, F_SETFL, a->status_flags);
	return err;
}

/* The fd -> record entry, and the engine's end as the shim's own. -ENOMEM with the kernel socket back. */
static int map_routed(struct route_attempt *a)
{
	pthread_mutex_lock(&shim.lock);
	bool mapped = shim_map_add_locked(a->fd, a->s) == 0; /* the map's reference */
	bool engine_end_kept = a->daemon >= 0 ||
		(mapped && shim_map_add_locked(a->engine_end, NULL) == 0);
	if (mapped && !engine_end_kept) {
		a->s->daemon_fd = -1; /* closed by the caller, not by the record's release */
		bool was_private;
		shim_map_remove_locked(a->fd, &was_private);
	}
	pthread_mutex_unlock(&shim.lock);
	if (mapped && engine_end_kept)
		return 0;
	shim_log(ST87_LOG_ERROR, "routing fd %d: out of memory", a->fd);
	if (!mapped)
		routed_socket_discard(a->s);
	restore_kernel_socket(a->fd, a->domain, a->type, a->fd_flags, a->status_flags);
	return -ENOMEM;
}

/* The engine's end goes to st87d or to this process's engine. */
static int hand_over(struct route_attempt *a)
{
	if (a->daemon >= 0) {
		int err = daemon_open_socket(a->s, a->engine_end);
		real.close(a->engine_end); /* the daemon's copy is the engine's end now */
		return err;
	}
	int err = engine_submit(a->s);
	if (err)
		shim_log(ST87_LOG_ERROR, "cannot start the modem engine: %s", strerror(-err));
	return err;
}

int shim_route_connect(int fd, const struct sockaddr *addr, socklen_t addr_len, unsigned flags)
{
	if (!shim.config_ok) {
		shim_log(ST87_LOG_ERROR, "routed call refused: fix the ST87_* variables above");
		return -ENETUNREACH;
	}
	struct route_attempt a = {.fd = fd, .daemon = -1};
	a.domain = socket_option(fd, SOL_SOCKET, SO_DOMAIN);
	a.type = socket_option(fd, SOL_SOCKET, SO_TYPE);
	if (a.domain < 0 || a.type < 0)
		return a.domain < 0 ? a.domain : a.type;
	if ((a.domain != AF_INET && a.domain != AF_INET6) ||
	    (a.type != SOCK_STREAM && a.type != SOCK_DGRAM))
		return 1; /* not ours to route: the caller goes to libc */
	if (addr_len > sizeof(struct sockaddr_storage) || (size_t)addr_len < sizeof(struct sockaddr_in))
		return -EINVAL;
	int err = daemon_dial(&a.daemon);
	if (err)
		return err;
	a.status_flags = real.fcntl(fd, F_GETFL);
	a.fd_flags = real.fcntl(fd, F_GETFD);
	a.nonblocking = a.status_flags >= 0 && (a.status_flags & O_NONBLOCK);

	err = make_pair_and_record(&a, addr, addr_len, flags);
	if (!err && (err = install_program_end(&a)) < 0) {
		real.close(a.engine_end);
		routed_socket_discard(a.s);
	}
	if (!err && (err = map_routed(&a)) < 0)
		real.close(a.engine_end);
	if (err) {
		forget_daemon(a.daemon);
		return err;
	}
	shim_log(ST87_LOG_DEBUG, "fd %d routed: engine end %d%s", fd, a.engine_end,
		 a.daemon >= 0 ? " (to st87d)" : "");
	err = hand_over(&a);
	if (!err && a.type == SOCK_STREAM && a.nonblocking)
		return -EINPROGRESS;
	if (!err)
		err = a.daemon >= 0 ? daemon_wait_connected(a.s, shim.config.connect_timeout_ms)
				    : wait_connected(a.s);
	if (err) {
		/* As after a failed connect of a kernel socket: the fd can be retried or closed. */
		pthread_mutex_lock(&shim.lock);
		bool was_private;
		shim_map_remove_locked(fd, &was_private);
		pthread_mutex_unlock(&shim.lock);
		restore_kernel_socket(fd, a.domain, a.type, a.fd_flags, a.status_flags);
	}
	return err;
}
