/*
 * send/sendto/sendmsg and recv/recvfrom/recvmsg. A routed TCP socket or a
 * connected UDP socket needs nothing: the pair carries the bytes. What needs
 * the shim: the first sendto() to a routed address (it routes the socket),
 * unconnected UDP (each datagram carries its address through the pair),
 * recvfrom's peer address, and an error the pair cannot carry (ECONNRESET).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "daemon_client.h"
#include "real.h"
#include "shim.h"

#define MAX_IOV 64

/*
 * After EOF on the pair (or its reset: the engine closed its end with data
 * unread): the error the socket failed with, reported once, like the
 * kernel's, and then EOF. A datagram socket has no EOF (0 is an empty
 * datagram, and a receive loop would spin on it), so a failed one gives its
 * error every time.
 */
static ssize_t eof_or_error(struct routed_socket *s, ssize_t n)
{
	bool pair_closed = n == 0 || (n < 0 && errno == ECONNRESET);
	if (!pair_closed)
		return n;
	int pair_errno = errno;
	/* Through st87d the reports say why (a dead st87d is ECONNRESET for a connected socket). */
	daemon_take_reports(s, -1, true);
	pthread_mutex_lock(&engine_lock);
	bool once = s->type != SOCK_DGRAM;
	int err = s->state == ROUTED_FAILED && !(once && s->error_reported) ? s->error : 0;
	s->error_reported = s->error_reported || err;
	pthread_mutex_unlock(&engine_lock);
	if (!err) {
		errno = pair_errno;
		return n;
	}
	errno = err;
	return -1;
}

/*
 * A send on the pair of a failed socket: its error rather than the pair's
 * EPIPE or ECONNRESET. Every time for a datagram socket; once for TCP, then
 * EPIPE, as a kernel socket after the peer's reset. Through st87d the
 * reports are read first: they say why.
 */
static ssize_t sent_or_error(struct routed_socket *s, ssize_t n)
{
	if (n >= 0 || (errno != EPIPE && errno != ECONNRESET))
		return n;
	int pair_errno = errno;
	daemon_take_reports(s, -1, true);
	pthread_mutex_lock(&engine_lock);
	bool once = s->type != SOCK_DGRAM;
	int err = s->state == ROUTED_FAILED && !(once && s->error_reported) ? s->error : pair_errno;
	if (once && s->state == ROUTED_FAILED)
		s->error_reported = true;
	pthread_mutex_unlock(&engine_lock);
	errno = err;
	return -1;
}

static void fill_address(const struct sockaddr_storage *from, socklen_t from_len, struct sockaddr *to,
			 socklen_t *to_len)
{
	if (!to || !to_len)
		return;
	socklen_t copy = *to_len < from_len ? *to_len : from_len;
	memcpy(to, from, copy);
	*to_len = from_len;
}

static size_t iov_bytes(const struct iovec *iov, size_t count)
{
	size_t total = 0;
	for (size_t i = 0; i < count; i++)
		total += iov[i].iov_len;
	return total;
}

/*
 * A datagram longer than the modem is known to take (one modem send, never
 * split): EMSGSIZE now, as a kernel socket says it, rather than a line from
 * the engine after send() succeeded. 0 (a limit not known yet) lets it go.
 * Through st87d the limit comes with each socket's CONNECTED report (read
 * here while none has come): one the daemon learned later still drops the
 * datagram there, with a line in its log.
 */
static bool datagram_too_long(struct routed_socket *s, const struct iovec *iov, size_t iov_count)
{
	if (s->type != SOCK_DGRAM)
		return false;
	size_t limit = atomic_load_explicit(&shim.datagram_limit, memory_order_relaxed);
	if (!limit && s->daemon_fd >= 0) {
		daemon_take_reports(s, -1, false);
		limit = atomic_load_explicit(&shim.datagram_limit, memory_order_relaxed);
	}
	return limit && iov_bytes(iov, iov_count) > limit;
}

/* Sends one datagram of an unconnected routed UDP socket: header, then the payload. */
static ssize_t send_framed(int fd, const struct iovec *iov, size_t iov_count, int flags,
			   const struct sockaddr *to, socklen_t to_len, struct routed_socket *s)
{
	struct sockaddr_storage connected;
	if (!to || to_len == 0) {
		to_len = shim_connected_destination(s, &connected);
		to = to_len ? (const struct sockaddr *)&connected : NULL;
	}
	if (!to) {
		/* As a kernel socket never connected: where the last datagram went is no destination. */
		shim_log(ST87_LOG_ERROR,
			 "send on fd %d: an unconnected UDP socket needs a destination (sendto, or "
			 "connect first)",
			 fd);
		errno = EDESTADDRREQ;
		return -1;
	}
	struct datagram_header header = {0};
	if (to_len > sizeof(header.address)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&header.address, to, to_len);
	header.address_len = to_len;
	if (iov_count + 1 > MAX_IOV) {
		errno = EMSGSIZE;
		return -1;
	}
	struct iovec parts[MAX_IOV];
	parts[0] = (struct iovec){.iov_base = &header, .iov_len = sizeof(header)};
	memcpy(parts + 1, iov, iov_count * sizeof(*iov));
	struct msghdr message = {.msg_iov = parts, .msg_iovlen = iov_count + 1};
	ssize_t n = real.sendmsg(fd, &message, flags | MSG_NOSIGNAL);
	return n < 0 ? n : n - (ssize_t)sizeof(header);
}

/* The first send to a routed address on an unrouted socket: route it, then send. */
static ssize_t route_and_send(int fd, const struct iovec *iov, size_t iov_count, int flags,
			      const struct sockaddr *to, socklen_t to_len)
{
	int type = 0;
	socklen_t len = sizeof(type);
	if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -1;
	/* TCP without MSG_FASTOPEN ignores the address: the kernel says what it says. */
	bool fast_open = type == SOCK_STREAM && (flags & MSG_FASTOPEN);
	int err = type == SOCK_STREAM && !fast_open
		? 1
		: shim_route_connect(fd, to, to_len, type == SOCK_DGRAM ? ROUTE_FRAMED : 0);
	if (err == 1) {
		struct msghdr message = {.msg_name = (void *)to,
					 .msg_namelen = to_len,
					 .msg_iov = (struct iovec *)iov,
					 .msg_iovlen = iov_count};
		return real.sendmsg(fd, &message, flags);
	}
	if (err) {
		errno = -err;
		return -1;
	}
	struct routed_socket *s = shim_lookup(fd);
	if (!s) {
		errno = EBADF;
		return -1;
	}
	ssize_t n;
	if (datagram_too_long(s, iov, iov_count)) {
		errno = EMSGSIZE;
		n = -1;
	} else if (s->framed) {
		n = send_framed(fd, iov, iov_count, flags & ~MSG_FASTOPEN, to, to_len, s);
	} else {
		struct msghdr message = {.msg_iov = (struct iovec *)iov, .msg_iovlen = iov_count};
		n = real.sendmsg(fd, &message, (flags & ~MSG_FASTOPEN) | MSG_NOSIGNAL);
	}
	shim_release(s);
	return n;
}

static ssize_t send_common(int fd, const struct iovec *iov, size_t iov_count, int flags,
			   const struct sockaddr *to, socklen_t to_len, ssize_t (*pass_through)(void *),
			   void *pass_context)
{
	shim_init();
	if (on_engine_thread)
		return pass_through(pass_context);
	struct routed_socket *s = shim_lookup(fd);
	if (!s) {
		if (to && shim_routes(to, to_len))
			return route_and_send(fd, iov, iov_count, flags, to, to_len);
		return pass_through(pass_context);
	}
	ssize_t n;
	if (datagram_too_long(s, iov, iov_count)) {
		shim_release(s);
		errno = EMSGSIZE;
		return -1;
	}
	if (s->framed) {
		n = send_framed(fd, iov, iov_count, flags, to, to_len, s);
	} else {
		struct msghdr message = {.msg_iov = (struct iovec *)iov, .msg_iovlen = iov_count};
		/* A UDP socket never raises SIGPIPE: a failed one says its error instead. */
		int no_signal = s->type == SOCK_DGRAM ? MSG_NOSIGNAL : 0;
		n = real.sendmsg(fd, &message, (flags & ~MSG_FASTOPEN) | no_signal);
	}
	n = sent_or_error(s, n);
	shim_release(s);
	return n;
}

struct send_args {
	int fd;
	const void *buf;
	size_t len;
	int flags;
	const struct sockaddr *to;
	socklen_t to_len;
	const struct msghdr *message;
};

static ssize_t real_send(void *context)
{
	struct send_args *a = context;
	return real.send(a->fd, a->buf, a->len, a->flags);
}

static ssize_t real_sendto(void *context)
{
	struct send_args *a = context;
	return real.sendto(a->fd, a->buf, a->len, a->flags, a->to, a->to_len);
}

static ssize_t real_sendmsg(void *context)
{
	struct send_args *a = context;
	return real.sendmsg(a->fd, a->message, a->flags);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	struct send_args args = {.fd = fd, .buf = buf, .len = len, .flags = flags};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	return send_common(fd, &iov, 1, flags, NULL, 0, real_send, &args);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG address,
	       socklen_t to_len)
{
	const struct sockaddr *to = address.__sockaddr__;
	struct send_args args =
		{.fd = fd, .buf = buf, .len = len, .flags = flags, .to = to, .to_len = to_len};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	return send_common(fd, &iov, 1, flags, to, to_len, real_sendto, &args);
}

ssize_t sendmsg(int fd, const struct msghdr *message, int flags)
{
	struct send_args args = {.fd = fd, .flags = flags, .message = message};
	return send_common(fd, message->msg_iov, message->msg_iovlen, flags, message->msg_name,
			   message->msg_namelen, real_sendmsg, &args);
}

/*
 * recvmsg on the pair. A SOCK_SEQPACKET pair reports the engine's reset (its
 * end closed with the program's datagrams unread) before the datagrams still
 * queued for the program, and that report clears it: a second read gets
 * them. So what arrived before a failure always comes first, then the failure.
 */
static ssize_t receive_from_pair(int fd, struct msghdr *message, int flags)
{
	ssize_t n = real.recvmsg(fd, message, flags);
	if (n >= 0 || errno != ECONNRESET)
		return n;
	ssize_t queued = real.recvmsg(fd, message, flags | MSG_DONTWAIT);
	if (queued > 0)
		return queued;
	errno = ECONNRESET;
	return -1;
}

/* Receives into @message from a routed socket, filling in the peer address. */
static ssize_t receive_routed(int fd, struct msghdr *message, int flags, struct routed_socket *s)
{
	if (!s->framed) {
		void *name = message->msg_name;
		socklen_t name_len = message->msg_namelen;
		message->msg_name = NULL;
		message->msg_namelen = 0;
		ssize_t n = eof_or_error(s, receive_from_pair(fd, message, flags));
		message->msg_name = name;
		message->msg_namelen = name_len;
		if (n >= 0 && s->type == SOCK_DGRAM)
			fill_address(&s->remote, s->remote_len, name, &message->msg_namelen);
		else if (name)
			message->msg_namelen = 0;
		return n;
	}
	if (message->msg_iovlen + 1 > MAX_IOV) {
		errno = EMSGSIZE;
		return -1;
	}
	struct datagram_header header;
	struct iovec parts[MAX_IOV];
	parts[0] = (struct iovec){.iov_base = &header, .iov_len = sizeof(header)};
	memcpy(parts + 1, message->msg_iov, message->msg_iovlen * sizeof(struct iovec));
	struct msghdr inner = *message;
	inner.msg_name = NULL;
	inner.msg_namelen = 0;
	inner.msg_iov = parts;
	inner.msg_iovlen = message->msg_iovlen + 1;
	ssize_t n = eof_or_error(s, receive_from_pair(fd, &inner, flags));
	if (n < (ssize_t)sizeof(header))
		return n < 0 ? n : 0;
	message->msg_flags = inner.msg_flags;
	message->msg_controllen = inner.msg_controllen;
	fill_address(&header.address, header.address_len, message->msg_name, &message->msg_namelen);
	return n - (ssize_t)sizeof(header);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	struct routed_socket *s = shim_routed(fd);
	if (!s)
		return real.recv(fd, buf, len, flags);
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = receive_routed(fd, &message, flags, s);
	shim_release(s);
	return n;
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, __SOCKADDR_ARG address, socklen_t *from_len)
{
	struct sockaddr *from = address.__sockaddr__;
	struct routed_socket *s = shim_routed(fd);
	if (!s)
		return real.recvfrom(fd, buf, len, flags, from, from_len);
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr message = {.msg_name = from,
				 .msg_namelen = from_len ? *from_len : 0,
				 .msg_iov = &iov,
				 .msg_iovlen = 1};
	ssize_t n = receive_routed(fd, &message, flags, s);
	if (n >= 0 && from_len)
		*from_len = message.msg_namelen;
	shim_release(s);
	return n;
}

ssize_t recvmsg(int fd, struct msghdr *message, int flags)
{
	struct routed_socket *s = shim_routed(fd);
	if (!s)
		return real.recvmsg(fd, message, flags);
	ssize_t n = receive_routed(fd, message, flags, s);
	shim_release(s);
	return n;
}
