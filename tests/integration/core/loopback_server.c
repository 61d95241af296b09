#include "loopback_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_BUFFER_SIZE 16384

enum wait_outcome { STOP_REQUESTED, READY, WAIT_FAILED };

/* Waits until @p fd has @p events or the test asks the thread to stop. */
static enum wait_outcome wait_ready(const struct loopback_server *server, int fd, short events)
{
	struct pollfd fds[2] = {
		{.fd = server->stop_pipe[0], .events = POLLIN},
		{.fd = fd, .events = events},
	};
	for (;;) {
		int n = poll(fds, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return WAIT_FAILED;
		if (fds[0].revents)
			return STOP_REQUESTED;
		return READY;
	}
}

/* READY once every byte went out; WAIT_FAILED when the peer is gone. */
static enum wait_outcome send_all(const struct loopback_server *server, int fd, const uint8_t *data,
				  size_t len)
{
	while (len > 0) {
		enum wait_outcome outcome = wait_ready(server, fd, POLLOUT);
		if (outcome != READY)
			return outcome;
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return WAIT_FAILED;
		data += n;
		len -= (size_t)n;
	}
	return READY;
}

/* Echoes one connection until its peer closes it (READY) or the test stops us. */
static enum wait_outcome echo_connection(const struct loopback_server *server, int fd)
{
	uint8_t buffer[ECHO_BUFFER_SIZE];
	for (;;) {
		enum wait_outcome outcome = wait_ready(server, fd, POLLIN);
		if (outcome != READY)
			return outcome;
		ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* End of stream or a reset (the fake modem rebooted): this connection is over. */
		if (n <= 0)
			return READY;
		outcome = send_all(server, fd, buffer, (size_t)n);
		if (outcome == STOP_REQUESTED)
			return outcome;
		if (outcome == WAIT_FAILED)
			return READY;
	}
}

/* Waits for the next connection; -1 when the test stops us. */
static int accept_next(const struct loopback_server *server)
{
	for (;;) {
		if (wait_ready(server, server->socket_fd, POLLIN) != READY)
			return -1;
		int fd = accept4(server->socket_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			return -1;
	}
}

static void run_tcp_echo(const struct loopback_server *server)
{
	for (;;) {
		int fd = accept_next(server);
		if (fd < 0)
			return;
		enum wait_outcome outcome = echo_connection(server, fd);
		close(fd);
		if (outcome == STOP_REQUESTED)
			return;
	}
}

static void run_tcp_send_close(const struct loopback_server *server)
{
	int fd = accept_next(server);
	if (fd < 0)
		return;
	send_all(server, fd, server->payload, server->payload_len);
	/* The client sends nothing, so this is an orderly FIN, not a reset. */
	close(fd);
	wait_ready(server, server->stop_pipe[0], POLLIN);
}

static void run_udp_echo(const struct loopback_server *server)
{
	uint8_t datagram[65536];
	for (;;) {
		if (wait_ready(server, server->socket_fd, POLLIN) != READY)
			return;
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(server->socket_fd, datagram, sizeof(datagram), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &from_len);
		if (n < 0)
			continue;
		sendto(server->socket_fd, datagram, (size_t)n, MSG_DONTWAIT,
		       (const struct sockaddr *)&from, from_len);
	}
}

static void *server_thread(void *argument)
{
	const struct loopback_server *server = argument;
	switch (server->kind) {
	case TCP_ECHO_SERVER:
		run_tcp_echo(server);
		break;
	case TCP_SEND_CLOSE_SERVER:
		run_tcp_send_close(server);
		break;
	case UDP_ECHO_SERVER:
		run_udp_echo(server);
		break;
	}
	return NULL;
}

/* A socket of @p type bound to 127.0.0.1 on a port the kernel picks; its port in @p port. */
static int bind_loopback(int type, int *port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(address);
	if (bind(fd, (struct sockaddr *)&address, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&address, &len) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	*port = ntohs(address.sin_port);
	return fd;
}

int loopback_server_start(struct loopback_server *server, enum loopback_server_kind kind,
			  const uint8_t *payload, size_t payload_len)
{
	memset(server, 0, sizeof(*server));
	server->kind = kind;
	server->payload = payload;
	server->payload_len = payload_len;
	server->socket_fd = bind_loopback(kind == UDP_ECHO_SERVER ? SOCK_DGRAM : SOCK_STREAM,
					  &server->port);
	if (server->socket_fd < 0)
		return server->socket_fd;
	int err = 0;
	if (kind != UDP_ECHO_SERVER && listen(server->socket_fd, 4) < 0)
		err = -errno;
	if (!err && pipe2(server->stop_pipe, O_CLOEXEC) < 0)
		err = -errno;
	if (!err) {
		err = -pthread_create(&server->thread, NULL, server_thread, server);
		if (err) {
			close(server->stop_pipe[0]);
			close(server->stop_pipe[1]);
		}
	}
	if (err) {
		close(server->socket_fd);
		return err;
	}
	server->running = true;
	return 0;
}

void loopback_server_stop(struct loopback_server *server)
{
	if (!server->running)
		return;
	char byte = 0;
	while (write(server->stop_pipe[1], &byte, 1) < 0 && errno == EINTR)
		continue;
	pthread_join(server->thread, NULL);
	close(server->stop_pipe[0]);
	close(server->stop_pipe[1]);
	close(server->socket_fd);
	server->running = false;
}

int refusing_port(int *holder_fd)
{
	int port = 0;
	int fd = bind_loopback(SOCK_STREAM, &port);
	if (fd < 0)
		return fd;
	*holder_fd = fd;
	return port;
}
