/*
 * fcntl and dup3 on routed sockets (the shim's dup.c): F_DUPFD copies are
 * routed like dup's, flags go to the fd the program holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload_support.h"

/* Above the fds a test program has open. */
#define HIGH_FD 200

TEST_CASE(test_dup3_with_cloexec_carries_the_connection)
{
	(void)state;
	int target = open("/dev/null", O_RDONLY);
	assert_true(target >= 0);
	int fd = preload_tcp_connect(preload.tcp_echo);
	assert_int_equal(dup3(fd, target, O_CLOEXEC), target);
	assert_int_equal(fcntl(target, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(close(fd), 0);
	preload_assert_echo(target, target, 2000, 30);
	assert_int_equal(close(target), 0);
}

TEST_CASE(test_dup3_onto_itself_is_einval)
{
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	errno = 0;
	assert_int_equal(dup3(fd, fd, 0), -1);
	assert_int_equal(errno, EINVAL);
	preload_assert_echo(fd, fd, 10, 31);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_f_dupfd_copies_are_routed)
{
	static const int commands[] = {F_DUPFD, F_DUPFD_CLOEXEC};
	(void)state;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		int fd = preload_tcp_connect(preload.tcp_echo);
		int copy = fcntl(fd, commands[i], HIGH_FD);
		assert_true(copy >= HIGH_FD);
		assert_int_equal(fcntl(copy, F_GETFD) & FD_CLOEXEC,
				 commands[i] == F_DUPFD_CLOEXEC ? FD_CLOEXEC : 0);
		assert_int_equal(close(fd), 0);
		preload_assert_echo(copy, copy, 1000, 32 + (unsigned)i);
		assert_int_equal(close(copy), 0);
	}
}

TEST_CASE(test_nonblocking_flag_is_the_programs)
{
	char byte;
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	int flags = fcntl(fd, F_GETFL);
	assert_true(flags >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	errno = 0;
	assert_int_equal(recv(fd, &byte, 1, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fcntl(fd, F_SETFL, flags), 0);
	preload_assert_echo(fd, fd, 10, 34);
	assert_int_equal(close(fd), 0);
}

int main(void)
{
	return preload_run();
}
