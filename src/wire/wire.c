/* st87d's wire: message framing and fd passing over the daemon's Unix socket (wire.h). */
#include "wire.h"
#include "libc_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

int st87d_dial(const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(address.sun_path))
		return -ENAMETOOLONG;
	memcpy(address.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (libc_connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		int err = -errno;
		libc_close(fd);
		return err;
	}
	return fd;
}

int st87d_send_message(int connection, const void *message, size_t len, int fd_to_pass)
{
	struct iovec part = {.iov_base = (void *)message, .iov_len = len};
	struct msghdr header = {.msg_iov = &part, .msg_iovlen = 1};
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(int))];
	} control;
	if (fd_to_pass >= 0) {
		memset(&control, 0, sizeof(control));
		header.msg_control = control.bytes;
		header.msg_controllen = sizeof(control.bytes);
		struct cmsghdr *passed = CMSG_FIRSTHDR(&header);
		passed->cmsg_level = SOL_SOCKET;
		passed->cmsg_type = SCM_RIGHTS;
		passed->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(passed), &fd_to_pass, sizeof(int));
	}
	ssize_t sent;
	do
		sent = libc_sendmsg(connection, &header, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent < 0)
		return -errno;
	return (size_t)sent == len ? 0 : -EPROTO;
}

int st87d_send_request(int connection, struct st87d_request *request, int fd_to_pass)
{
	request->magic = ST87D_MAGIC;
	request->version = ST87D_VERSION;
	return st87d_send_message(connection, request, sizeof(*request), fd_to_pass);
}

/* Closes every fd in @header's control data but the first, which it returns (-1: none). */
static int take_passed_fd(struct msghdr *header)
{
	int kept = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c; c = CMSG_NXTHDR(header, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (kept < 0)
				kept = fd;
			else
				libc_close(fd);
		}
	}
	return kept;
}

/* Our magic at the start of @len bytes: a message of st87d's protocol, of whatever version. */
static bool has_magic(const void *message, size_t len)
{
	uint32_t magic;
	if (len < sizeof(magic))
		return false;
	memcpy(&magic, message, sizeof(magic));
	return magic == ST87D_MAGIC;
}

/* 0 for a message of ours in this release; -EPROTO when it is not ours, -EPROTONOSUPPORT for another release's. */
static int check_magic_and_version(uint32_t magic, uint32_t version)
{
	if (magic != ST87D_MAGIC)
		return -EPROTO;
	return version == ST87D_VERSION ? 0 : -EPROTONOSUPPORT;
}

int st87d_decode_request(const void *message, size_t len, int flags, struct st87d_request *request)
{
	if (flags & MSG_CTRUNC)
		return -EPROTO;
	/* Cut short by the receive, or short: a longer or shorter request of another release. */
	if (len != sizeof(*request) || (flags & MSG_TRUNC))
		return has_magic(message, len) ? -EPROTONOSUPPORT : -EPROTO;
	memcpy(request, message, sizeof(*request));
	int err = check_magic_and_version(request->magic, request->version);
	if (err)
		return err;
	request->name[sizeof(request->name) - 1] = '\0';
	return 0;
}

const char *st87d_socket_request_problem(const struct st87d_request *r)
{
	if (r->domain != AF_INET && r->domain != AF_INET6)
		return "not an IPv4 or IPv6 socket";
	if (r->type != SOCK_STREAM && r->type != SOCK_DGRAM)
		return "neither TCP nor UDP";
	/* An IPv6 address may come without its scope id (RFC 2133's 24 bytes), as connect() takes it. */
	size_t least = r->remote.ss_family == AF_INET ? sizeof(struct sockaddr_in)
						      : offsetof(struct sockaddr_in6, sin6_scope_id);
	if ((r->remote.ss_family != AF_INET && r->remote.ss_family != AF_INET6) ||
	    r->remote_len < least || r->remote_len > sizeof(struct sockaddr_storage))
		return "no IPv4 or IPv6 destination";
	if (r->local_port < 0 || r->local_port > 65535)
		return "local port out of range";
	if (r->filler > ST87D_MAX_FILLER)
		return "more filler than a pair holds";
	if (r->rai < 0 || r->rai > 2)
		return "release assistance other than 0, 1 or 2";
	return NULL;
}

int st87d_receive_request(int connection, struct st87d_request *request, int *passed_fd)
{
	*passed_fd = -1;
	union {
		struct st87d_request align;
		unsigned char bytes[sizeof(struct st87d_request)];
	} message;
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(4 * sizeof(int))];
	} control;
	struct iovec part = {.iov_base = message.bytes, .iov_len = sizeof(message.bytes)};
	struct msghdr header = {.msg_iov = &part,
				.msg_iovlen = 1,
				.msg_control = control.bytes,
				.msg_controllen = sizeof(control.bytes)};
	ssize_t got;
	do
		got = libc_recvmsg(connection, &header, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	*passed_fd = take_passed_fd(&header);
	int err = st87d_decode_request(message.bytes, (size_t)got, header.msg_flags, request);
	if (err && *passed_fd >= 0) {
		libc_close(*passed_fd);
		*passed_fd = -1;
	}
	return err;
}

static int send_reply(int connection, struct st87d_reply *reply)
{
	reply->magic = ST87D_MAGIC;
	reply->version = ST87D_VERSION;
	return st87d_send_message(connection, reply, sizeof(*reply), -1);
}

int st87d_send_reply(int connection, uint32_t kind, int error, const char *text)
{
	struct st87d_reply reply = {.kind = kind, .error = error};
	snprintf(reply.text, sizeof(reply.text), "%s", text ? text : "");
	return send_reply(connection, &reply);
}

int st87d_send_lookup_answer(int connection, struct st87d_reply *answer)
{
	answer->kind = ST87D_ANSWER;
	if (answer->address_count > ST87D_MAX_ADDRESSES)
		answer->address_count = ST87D_MAX_ADDRESSES;
	return send_reply(connection, answer);
}

int st87d_send_connected(int connection, const char *ipv4, const char *ipv6, uint32_t datagram_limit)
{
	struct st87d_reply reply = {.kind = ST87D_CONNECTED, .datagram_limit = datagram_limit};
	snprintf(reply.ipv4, sizeof(reply.ipv4), "%s", ipv4);
	snprintf(reply.ipv6, sizeof(reply.ipv6), "%s", ipv6);
	return send_reply(connection, &reply);
}

int st87d_decode_reply(const void *message, size_t len, struct st87d_reply *reply)
{
	if (len != sizeof(*reply))
		return has_magic(message, len) ? -EPROTONOSUPPORT : -EPROTO;
	memcpy(reply, message, sizeof(*reply));
	int err = check_magic_and_version(reply->magic, reply->version);
	if (err)
		return err;
	if (reply->address_count > ST87D_MAX_ADDRESSES)
		reply->address_count = ST87D_MAX_ADDRESSES;
	reply->text[sizeof(reply->text) - 1] = '\0';
	reply->ipv4[sizeof(reply->ipv4) - 1] = '\0';
	reply->ipv6[sizeof(reply->ipv6) - 1] = '\0';
	return 0;
}

int st87d_receive_reply(int connection, struct st87d_reply *reply, int timeout_ms)
{
	if (timeout_ms != 0) {
		struct pollfd ready = {.fd = connection, .events = POLLIN};
		int n;
		do
			n = poll(&ready, 1, timeout_ms);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EAGAIN;
	}
	union {
		struct st87d_reply align;
		unsigned char bytes[sizeof(struct st87d_reply)];
	} message;
	ssize_t got;
	do
		got = libc_recv(connection, message.bytes, sizeof(message.bytes),
				MSG_DONTWAIT | MSG_TRUNC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (got == 0)
		return 0;
	int err = st87d_decode_reply(message.bytes, (size_t)got, reply);
	return err ? err : 1;
}
