/*
 * sendto, recvfrom, send and recv on routed UDP sockets, connected and not
 * (the shim's connect.c and io.c): each datagram whole, from its sender.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload_support.h"

/* The largest datagram every reading of the firmware takes at once (the note's 512-byte sends). */
#define DATAGRAM_MAX 512

/* recvfrom one datagram of @len bytes, equal to @expected, from the echo server. */
static void assert_datagram_from_echo(int fd, const void *expected, size_t len)
{
	unsigned char got[2048];
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	memset(&from, 0, sizeof(from));
	assert_int_equal(recvfrom(fd, got, sizeof(got), 0, (struct sockaddr *)&from, &from_len),
			 (ssize_t)len);
	assert_memory_equal(got, expected, len);
	assert_int_equal(from_len, sizeof(struct sockaddr_in));
	struct sockaddr_in source, echo = preload_loopback(preload.udp_echo);
	memcpy(&source, &from, sizeof(source));
	assert_int_equal(source.sin_family, AF_INET);
	assert_int_equal(source.sin_port, echo.sin_port);
	assert_int_equal(source.sin_addr.s_addr, echo.sin_addr.s_addr);
}

TEST_CASE(test_unconnected_sendto_then_recvfrom_names_the_sender)
{
	unsigned char datagram[DATAGRAM_MAX];
	(void)state;
	preload_fill(datagram, sizeof(datagram), 5);
	struct sockaddr_in echo = preload_loopback(preload.udp_echo);
	int fd = preload_udp_socket();
	assert_int_equal(sendto(fd, datagram, sizeof(datagram), 0, (struct sockaddr *)&echo,
				sizeof(echo)),
			 (ssize_t)sizeof(datagram));
	assert_datagram_from_echo(fd, datagram, sizeof(datagram));
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_datagrams_keep_their_sizes_and_order)
{
	static const size_t sizes[] = {1, 300, DATAGRAM_MAX};
	unsigned char datagram[DATAGRAM_MAX];
	(void)state;
	struct sockaddr_in echo = preload_loopback(preload.udp_echo);
	int fd = preload_udp_socket();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		preload_fill(datagram, sizes[i], 10 + (unsigned)i);
		assert_int_equal(sendto(fd, datagram, sizes[i], 0, (struct sockaddr *)&echo,
					sizeof(echo)),
				 (ssize_t)sizes[i]);
		assert_datagram_from_echo(fd, datagram, sizes[i]);
	}
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_connected_send_then_recv)
{
	char got[16];
	(void)state;
	struct sockaddr_in echo = preload_loopback(preload.udp_echo);
	int fd = preload_udp_socket();
	assert_int_equal(connect(fd, (struct sockaddr *)&echo, sizeof(echo)), 0);
	assert_int_equal(send(fd, "connected", 9, 0), 9);
	assert_int_equal(recv(fd, got, sizeof(got), 0), 9);
	assert_memory_equal(got, "connected", 9);
	/* recvfrom on a connected socket names the peer too. */
	assert_int_equal(send(fd, "again", 5, 0), 5);
	assert_datagram_from_echo(fd, "again", 5);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_sendmsg_makes_one_datagram_of_its_pieces)
{
	char head[] = "head:", body[] = "body";
	char got[16];
	struct sockaddr_in echo = preload_loopback(preload.udp_echo);
	struct iovec pieces[] = {{head, 5}, {body, 4}};
	struct msghdr message = {.msg_name = &echo,
				 .msg_namelen = sizeof(echo),
				 .msg_iov = pieces,
				 .msg_iovlen = 2};
	(void)state;
	int fd = preload_udp_socket();
	assert_int_equal(sendmsg(fd, &message, 0), 9);
	struct iovec in = {got, sizeof(got)};
	struct msghdr reply = {.msg_iov = &in, .msg_iovlen = 1};
	assert_int_equal(recvmsg(fd, &reply, 0), 9);
	assert_memory_equal(got, "head:body", 9);
	assert_int_equal(reply.msg_flags & MSG_TRUNC, 0);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_unconnected_send_needs_a_destination)
{
	(void)state;
	int fd = preload_udp_socket();
	/* Routed by a first sendto, still not connected: send() has nowhere to go. */
	preload_udp_round_trip(fd);
	errno = 0;
	assert_int_equal(send(fd, "y", 1, 0), -1);
	assert_int_equal(errno, EDESTADDRREQ);
	assert_int_equal(close(fd), 0);
}

int main(void)
{
	return preload_run();
}
