/* st87d's wire: message framing and fd passing over the daemon's Unix socket (wire.h). */
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int send_with_fd(int connection, const void *message, size_t len, int fd_to_pass)
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
		sent = sendmsg(connection, &header, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent < 0)
		return -errno;
	return (size_t)sent == len ? 0 : -EPROTO;
}

int st87d_send_request(int connection, struct st87d_request *request, int fd_to_pass)
{
	request->magic = ST87D_MAGIC;
	request->version = ST87D_VERSION;
	return send_with_fd(connection, request, sizeof(*request), fd_to_pass);
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
				close(fd);
		}
	}
	return kept;
}

int st87d_receive_request(int connection, struct st87d_request *request, int *passed_fd)
{
	*passed_fd = -1;
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(4 * sizeof(int))];
	} control;
	struct iovec part = {.iov_base = request, .iov_len = sizeof(*request)};
	struct msghdr header = {.msg_iov = &part,
				.msg_iovlen = 1,
				.msg_control = control.bytes,
				.msg_controllen = sizeof(control.bytes)};
	ssize_t got;
	do
		got = recvmsg(connection, &header, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	*passed_fd = take_passed_fd(&header);
	bool whole = (size_t)got == sizeof(*request) && !(header.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
	if (!whole || request->magic != ST87D_MAGIC || request->version != ST87D_VERSION) {
		if (*passed_fd >= 0)
			close(*passed_fd);
		*passed_fd = -1;
		return -EPROTO;
	}
	request->name[sizeof(request->name) - 1] = '\0';
	return 0;
}

static int send_reply(int connection, struct st87d_reply *reply)
{
	reply->magic = ST87D_MAGIC;
	return send_with_fd(connection, reply, sizeof(*reply), -1);
}

int st87d_send_reply(int connection, uint32_t kind, int error, const char *text)
{
	struct st87d_reply reply = {.kind = kind, .error = error};
	snprintf(reply.text, sizeof(reply.text), "%s", text ? text : "");
	return send_reply(connection, &reply);
}

int st87d_send_connected(int connection, const char *ipv4, const char *ipv6)
{
	struct st87d_reply reply = {.kind = ST87D_CONNECTED};
	snprintf(reply.ipv4, sizeof(reply.ipv4), "%s", ipv4);
	snprintf(reply.ipv6, sizeof(reply.ipv6), "%s", ipv6);
	return send_reply(connection, &reply);
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
	ssize_t got;
	do
		got = recv(connection, reply, sizeof(*reply), MSG_DONTWAIT | MSG_TRUNC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (got == 0)
		return 0;
	if ((size_t)got != sizeof(*reply) || reply->magic != ST87D_MAGIC)
		return -EPROTO;
	reply->text[sizeof(reply->text) - 1] = '\0';
	reply->ipv4[sizeof(reply->ipv4) - 1] = '\0';
	reply->ipv6[sizeof(reply->ipv6) - 1] = '\0';
	return 1;
}
