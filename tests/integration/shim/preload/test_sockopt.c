/*
 * getsockopt and setsockopt on routed sockets (the shim's sockopt.c): the
 * answers of the TCP or UDP socket the program asked for, SO_ERROR once,
 * and the shim's own ST87_SO_RAI (st87/st87shim.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload_support.h"
#include "st87/st87shim.h"

static int int_option(int fd, int level, int name)
{
	int value = -1;
	socklen_t len = sizeof(value);
	assert_int_equal(getsockopt(fd, level, name, &value, &len), 0);
	assert_int_equal(len, sizeof(value));
	return value;
}

static int set_int_option(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/*
 * A non-blocking connect to 127.0.0.1:@port, waited for as a program waits (poll for POLLOUT);
 * *@error gets SO_ERROR's first answer. The modem's one TCP socket may still be being given back
 * by the test before: the connect waits in line for it.
 */
static int connect_without_blocking(int port, int *error)
{
	struct sockaddr_in address = preload_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	*error = 0;
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		*error = errno;
		if (*error == EINPROGRESS) {
			struct pollfd waiting = {.fd = fd, .events = POLLOUT};
			assert_int_equal(poll(&waiting, 1, -1), 1);
			*error = int_option(fd, SOL_SOCKET, SO_ERROR);
		}
	}
	return fd;
}

TEST_CASE(test_so_error_is_zero_after_a_connect_that_worked)
{
	int error;
	(void)state;
	int fd = connect_without_blocking(preload.tcp_echo, &error);
	assert_int_equal(error, 0);
	assert_int_equal(int_option(fd, SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
	preload_assert_echo(fd, fd, 100, 40);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_so_error_says_refused_once)
{
	int error;
	(void)state;
	int fd = connect_without_blocking(preload.closed, &error);
	assert_int_equal(error, ECONNREFUSED);
	assert_int_equal(int_option(fd, SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_type_domain_and_protocol_are_the_ones_asked_for)
{
	(void)state;
	int tcp = preload_tcp_connect(preload.tcp_echo);
	assert_int_equal(int_option(tcp, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	assert_int_equal(int_option(tcp, SOL_SOCKET, SO_DOMAIN), AF_INET);
	assert_int_equal(int_option(tcp, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	assert_int_equal(int_option(tcp, SOL_SOCKET, SO_ACCEPTCONN), 0);
	/* TCP knobs are taken (the modem decides) and read back as off. */
	assert_int_equal(set_int_option(tcp, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	assert_int_equal(int_option(tcp, IPPROTO_TCP, TCP_NODELAY), 0);
	assert_int_equal(close(tcp), 0);

	int udp = preload_udp_socket();
	struct sockaddr_in echo = preload_loopback(preload.udp_echo);
	assert_int_equal(connect(udp, (struct sockaddr *)&echo, sizeof(echo)), 0);
	assert_int_equal(int_option(udp, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	assert_int_equal(int_option(udp, SOL_SOCKET, SO_DOMAIN), AF_INET);
	assert_int_equal(int_option(udp, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
	assert_int_equal(close(udp), 0);
}

TEST_CASE(test_so_linger_reads_back_as_set)
{
	struct linger set = {.l_onoff = 1, .l_linger = 0}, got = {0};
	socklen_t len = sizeof(got);
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	preload_assert_echo(fd, fd, 100, 41);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &set, sizeof(set)), 0);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	assert_int_equal(len, sizeof(got));
	assert_int_not_equal(got.l_onoff, 0);
	assert_int_equal(got.l_linger, 0);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_rai_set_before_the_first_datagram_stays)
{
	(void)state;
	int fd = preload_udp_socket();
	assert_int_equal(set_int_option(fd, SOL_ST87, ST87_SO_RAI, ST87_RAI_ONE_DOWNLINK), 0);
	assert_int_equal(int_option(fd, SOL_ST87, ST87_SO_RAI), ST87_RAI_ONE_DOWNLINK);
	preload_udp_round_trip(fd);
	assert_int_equal(int_option(fd, SOL_ST87, ST87_SO_RAI), ST87_RAI_ONE_DOWNLINK);
	assert_int_equal(set_int_option(fd, SOL_ST87, ST87_SO_RAI, ST87_RAI_NO_DOWNLINK), 0);
	assert_int_equal(int_option(fd, SOL_ST87, ST87_SO_RAI), ST87_RAI_NO_DOWNLINK);
	errno = 0;
	assert_int_equal(set_int_option(fd, SOL_ST87, ST87_SO_RAI, 3), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(int_option(fd, SOL_ST87, ST87_SO_RAI), ST87_RAI_NO_DOWNLINK);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_rai_of_a_routed_udp_socket_defaults_to_none)
{
	(void)state;
	int fd = preload_udp_socket();
	preload_udp_round_trip(fd);
	assert_int_equal(int_option(fd, SOL_ST87, ST87_SO_RAI), ST87_RAI_NONE);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_rai_is_not_for_tcp)
{
	(void)state;
	int fd = preload_tcp_connect(preload.tcp_echo);
	errno = 0;
	assert_int_equal(set_int_option(fd, SOL_ST87, ST87_SO_RAI, ST87_RAI_NO_DOWNLINK), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	assert_int_equal(close(fd), 0);
}

int main(void)
{
	return preload_run();
}
