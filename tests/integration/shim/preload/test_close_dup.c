/*
 * close, dup, dup2 and close_range on routed sockets (the shim's close.c
 * and dup.c): a copy carries the connection on, the last close gives the
 * modem's socket back, and a replaced or closed fd is no longer routed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload_support.h"

static void assert_closed(int fd)
{
	errno = 0;
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

TEST_CASE(test_close_twice_gives_ebadf)
{
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	assert_int_equal(close(fd), 0);
	errno = 0;
	assert_int_equal(close(fd), -1);
	assert_int_equal(errno, EBADF);
}

TEST_CASE(test_dup_keeps_the_connection_after_the_original_closes)
{
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	int copy = dup(fd);
	assert_true(copy >= 0);
	preload_assert_echo(fd, copy, 100, 20);
	assert_int_equal(close(fd), 0);
	preload_assert_echo(copy, copy, 3000, 21);
	assert_int_equal(close(copy), 0);
	/* The last close gave the modem's one TCP socket back. */
	preload_assert_tcp_socket_free();
}

TEST_CASE(test_dup2_makes_the_target_routed)
{
	(void)state;
	int target = open("/dev/null", O_RDONLY);
	assert_true(target >= 0);
	int fd = preload_tcp_connect(preload.tcp_echo);
	assert_int_equal(dup2(fd, target), target);
	assert_int_equal(close(fd), 0);
	preload_assert_echo(target, target, 2000, 23);
	/* dup2 onto itself changes nothing. */
	assert_int_equal(dup2(target, target), target);
	preload_assert_echo(target, target, 10, 24);
	assert_int_equal(close(target), 0);
}

TEST_CASE(test_dup2_over_a_routed_fd_forgets_its_socket)
{
	int type = 0;
	socklen_t len = sizeof(type);
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	int null = open("/dev/null", O_RDONLY);
	assert_true(null >= 0);
	assert_int_equal(dup2(null, fd), fd);
	/* fd is /dev/null now: no socket answers for it. */
	errno = 0;
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), -1);
	assert_int_equal(errno, ENOTSOCK);
	assert_int_equal(close(fd), 0);
	assert_int_equal(close(null), 0);
	preload_assert_tcp_socket_free();
}

TEST_CASE(test_close_range_closes_routed_fds_and_keeps_the_shims)
{
	(void)state;
	int tcp = preload_tcp_connect(preload.tcp_echo);
	int udp = preload_udp_socket();
	preload_udp_round_trip(udp);
	/* Every fd from the lowest up, as a program closes all but stdio: what the shim holds
	 * there (its modem port, its pipes) stays open for it. */
	int first = tcp < udp ? tcp : udp;
	assert_int_equal(close_range((unsigned)first, ~0U, 0), 0);
	assert_closed(tcp);
	assert_closed(udp);
	preload_assert_tcp_socket_free();
}

TEST_CASE(test_close_range_cloexec_leaves_the_fds_open)
{
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	assert_int_equal(close_range((unsigned)fd, (unsigned)fd, CLOSE_RANGE_CLOEXEC), 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	preload_assert_echo(fd, fd, 100, 27);
	assert_int_equal(close(fd), 0);
}

int main(void)
{
	return preload_run();
}
