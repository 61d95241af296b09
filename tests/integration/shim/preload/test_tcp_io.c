/*
 * connect, send and recv on a routed TCP socket (the shim's connect.c and
 * io.c): the bytes come back exact, the errors are the kernel's.
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

TEST_CASE(test_send_then_recv_is_byte_exact)
{
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	preload_assert_echo(fd, fd, 1, 1);
	preload_assert_echo(fd, fd, 5000, 2);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_shutdown_then_recv_gives_the_rest_and_the_end)
{
	unsigned char sent[3000], got[3000], more;
	(void)state;
	preload_fill(sent, sizeof(sent), 3);
	int fd = preload_tcp_connect(preload.tcp_echo);
	preload_send_all(fd, sent, sizeof(sent));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	preload_recv_exactly(fd, got, sizeof(got));
	assert_memory_equal(got, sent, sizeof(sent));
	/* The echo server closes once it has seen the end: recv says so with 0. */
	assert_int_equal(recv(fd, &more, 1, 0), 0);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_sendmsg_and_recvmsg_keep_the_order_of_the_pieces)
{
	char first[] = "first piece,", second[] = "second piece";
	char got[sizeof(first) + sizeof(second) - 2];
	struct iovec out[] = {{first, strlen(first)}, {second, strlen(second)}};
	struct msghdr message = {.msg_iov = out, .msg_iovlen = 2};
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	assert_int_equal(sendmsg(fd, &message, 0), (ssize_t)sizeof(got));
	size_t received = 0;
	while (received < sizeof(got)) {
		struct iovec in = {got + received, sizeof(got) - received};
		struct msghdr reply = {.msg_iov = &in, .msg_iovlen = 1};
		ssize_t n = recvmsg(fd, &reply, 0);
		assert_true(n > 0);
		received += (size_t)n;
	}
	assert_memory_equal(got, "first piece,second piece", sizeof(got));
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_peek_leaves_the_data_for_the_next_recv)
{
	unsigned char sent[64], peeked[64], got[64];
	(void)state;
	preload_fill(sent, sizeof(sent), 4);
	int fd = preload_tcp_connect(preload.tcp_echo);
	preload_send_all(fd, sent, sizeof(sent));
	ssize_t n = recv(fd, peeked, sizeof(peeked), MSG_PEEK);
	assert_true(n > 0);
	assert_memory_equal(peeked, sent, (size_t)n);
	preload_recv_exactly(fd, got, sizeof(got));
	assert_memory_equal(got, sent, sizeof(got));
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_recv_with_nothing_waiting_gives_eagain)
{
	char byte;
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	errno = 0;
	assert_int_equal(recv(fd, &byte, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_names_are_the_tcp_peer_not_the_pair)
{
	struct sockaddr_storage peer, own;
	socklen_t peer_len = sizeof(peer), own_len = sizeof(own);
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	assert_int_equal(getpeername(fd, (struct sockaddr *)&peer, &peer_len), 0);
	assert_int_equal(peer_len, sizeof(struct sockaddr_in));
	struct sockaddr_in expected = preload_loopback(preload.tcp_echo), got;
	memcpy(&got, &peer, sizeof(got));
	assert_int_equal(got.sin_family, AF_INET);
	assert_int_equal(got.sin_port, expected.sin_port);
	assert_int_equal(got.sin_addr.s_addr, expected.sin_addr.s_addr);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&own, &own_len), 0);
	assert_int_equal(own.ss_family, AF_INET);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_connect_to_a_closed_port_is_refused)
{
	(void)state;
	struct sockaddr_in address = preload_loopback(preload.closed);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof(address)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(close(fd), 0);
}

int main(void)
{
	return preload_run();
}
