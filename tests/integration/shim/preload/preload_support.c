#include "preload_support.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LARGEST_ECHO 65536

struct preload_ports preload;

static int port_from_environment(const char *variable)
{
	const char *text = getenv(variable);
	if (!text)
		fail_msg("%s is not set: run this test through run_preloaded.py", variable);
	int port = atoi(text);
	assert_in_range(port, 1, 65535);
	return port;
}

int preload_setup(void **state)
{
	(void)state;
	preload.tcp_echo = port_from_environment("ST87_TEST_TCP_ECHO_PORT");
	preload.udp_echo = port_from_environment("ST87_TEST_UDP_ECHO_PORT");
	preload.closed = port_from_environment("ST87_TEST_CLOSED_PORT");
	return 0;
}

struct sockaddr_in preload_loopback(int port)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return address;
}

int preload_tcp_connect(int port)
{
	struct sockaddr_in address = preload_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0)
		fail_msg("connect to 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

int preload_udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	return fd;
}

void preload_fill(unsigned char *data, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)((i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

void preload_send_all(int fd, const void *data, size_t len)
{
	const unsigned char *bytes = data;
	while (len > 0) {
		ssize_t n = send(fd, bytes, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_msg("send on fd %d: %s", fd, n < 0 ? strerror(errno) : "sent nothing");
		bytes += n;
		len -= (size_t)n;
	}
}

void preload_recv_exactly(int fd, void *data, size_t len)
{
	unsigned char *bytes = data;
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, bytes + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_msg("recv on fd %d after %zu of %zu bytes: %s", fd, got, len,
				 n < 0 ? strerror(errno) : "the peer closed");
		got += (size_t)n;
	}
}

void preload_assert_echo(int send_fd, int recv_fd, size_t len, unsigned seed)
{
	static unsigned char sent[LARGEST_ECHO], echoed[LARGEST_ECHO];
	assert_true(len <= sizeof(sent));
	preload_fill(sent, len, seed);
	memset(echoed, 0, len);
	preload_send_all(send_fd, sent, len);
	preload_recv_exactly(recv_fd, echoed, len);
	assert_memory_equal(echoed, sent, len);
}

void preload_udp_round_trip(int fd)
{
	static const char datagram[] = "round trip";
	char got[sizeof(datagram)];
	struct sockaddr_in echo = preload_loopback(preload.udp_echo);
	assert_int_equal(sendto(fd, datagram, sizeof(datagram), 0, (struct sockaddr *)&echo,
				sizeof(echo)),
			 (ssize_t)sizeof(datagram));
	assert_int_equal(recv(fd, got, sizeof(got), 0), (ssize_t)sizeof(got));
	assert_memory_equal(got, datagram, sizeof(got));
}

void preload_assert_tcp_socket_free(void)
{
	int fd = preload_tcp_connect(preload.tcp_echo);
	preload_assert_echo(fd, fd, 10, 99);
	assert_int_equal(close(fd), 0);
}
