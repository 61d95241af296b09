/*
 * getaddrinfo and freeaddrinfo under the shim (its resolve.c): numeric
 * hosts and /etc/hosts names as libc answers them, a name only the modem's
 * resolvers know (ST87_TEST_MODEM_NAME, 127.0.0.1) over the modem.
 * run_preloaded.py checks that the /etc/hosts name never reached the modem.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload_support.h"

static struct addrinfo *look_up(const char *node, const char *service, int family, int flags)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = flags};
	struct addrinfo *list = NULL;
	int result = getaddrinfo(node, service, &hints, &list);
	if (result != 0)
		fail_msg("getaddrinfo(%s, %s): %s", node, service, gai_strerror(result));
	assert_non_null(list);
	return list;
}

/* @entry is @text:@port, in its own family. */
static void assert_address(const struct addrinfo *entry, const char *text, int port)
{
	char got[INET6_ADDRSTRLEN];
	assert_int_equal(entry->ai_socktype, SOCK_STREAM);
	if (entry->ai_family == AF_INET) {
		struct sockaddr_in in;
		assert_int_equal(entry->ai_addrlen, sizeof(in));
		memcpy(&in, entry->ai_addr, sizeof(in));
		assert_int_equal(ntohs(in.sin_port), port);
		assert_non_null(inet_ntop(AF_INET, &in.sin_addr, got, sizeof(got)));
	} else {
		struct sockaddr_in6 in6;
		assert_int_equal(entry->ai_family, AF_INET6);
		assert_int_equal(entry->ai_addrlen, sizeof(in6));
		memcpy(&in6, entry->ai_addr, sizeof(in6));
		assert_int_equal(ntohs(in6.sin6_port), port);
		assert_non_null(inet_ntop(AF_INET6, &in6.sin6_addr, got, sizeof(got)));
	}
	assert_string_equal(got, text);
}

TEST_CASE(test_numeric_hosts_are_answered_as_written)
{
	(void)state;
	struct addrinfo *four = look_up("127.0.0.1", "4242", AF_UNSPEC, 0);
	assert_int_equal(four->ai_family, AF_INET);
	assert_address(four, "127.0.0.1", 4242);
	assert_null(four->ai_next);
	freeaddrinfo(four);

	struct addrinfo *six = look_up("::1", "53", AF_UNSPEC, AI_NUMERICHOST);
	assert_int_equal(six->ai_family, AF_INET6);
	assert_address(six, "::1", 53);
	assert_null(six->ai_next);
	freeaddrinfo(six);
}

TEST_CASE(test_hosts_file_name_then_connect)
{
	char port[8];
	(void)state;
	snprintf(port, sizeof(port), "%d", preload.tcp_echo);
	struct addrinfo *list = look_up("localhost", port, AF_INET, 0);
	assert_address(list, "127.0.0.1", preload.tcp_echo);
	int fd = socket(list->ai_family, list->ai_socktype, list->ai_protocol);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, list->ai_addr, list->ai_addrlen), 0);
	freeaddrinfo(list);
	preload_assert_echo(fd, fd, 1000, 50);
	assert_int_equal(close(fd), 0);
}

TEST_CASE(test_numeric_only_refuses_a_name)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *list = NULL;
	(void)state;
	assert_int_equal(getaddrinfo("localhost", NULL, &hints, &list), EAI_NONAME);
	assert_null(list);
}

TEST_CASE(test_a_name_only_the_modem_knows)
{
	(void)state;
	const char *name = getenv("ST87_TEST_MODEM_NAME");
	assert_non_null(name);
	struct addrinfo *list = look_up(name, "80", AF_INET, AI_CANONNAME);
	assert_address(list, "127.0.0.1", 80);
	assert_non_null(list->ai_canonname);
	assert_null(list->ai_next);
	freeaddrinfo(list);
}

int main(void)
{
	return preload_run();
}
