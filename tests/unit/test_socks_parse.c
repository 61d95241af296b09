/* st87d's SOCKS5 door: RFC 1928's messages, whole, cut short and malformed (src/daemon/socks_parse.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "socks_parse.h"
#include "test_cases.h"

TEST_CASE(greeting_with_no_authentication)
{
	(void)state;
	const uint8_t greeting[] = {5, 2, 2, 0};
	int no_auth = -1;
	const char *why = NULL;
	assert_int_equal(socks_parse_greeting(greeting, sizeof(greeting), &no_auth, &why), 4);
	assert_int_equal(no_auth, 1);
}

TEST_CASE(greeting_with_passwords_only)
{
	(void)state;
	const uint8_t greeting[] = {5, 1, 2};
	int no_auth = -1;
	const char *why = NULL;
	assert_int_equal(socks_parse_greeting(greeting, sizeof(greeting), &no_auth, &why), 3);
	assert_int_equal(no_auth, 0);
}

TEST_CASE(greeting_needs_every_method)
{
	(void)state;
	const uint8_t greeting[] = {5, 3, 2, 1, 0};
	int no_auth;
	const char *why = NULL;
	for (size_t len = 0; len < sizeof(greeting) - 1; len++)
		assert_int_equal(socks_parse_greeting(greeting, len, &no_auth, &why), SOCKS_NEED_MORE);
}

TEST_CASE(greeting_of_socks4_refused)
{
	(void)state;
	const uint8_t greeting[] = {4, 1, 0, 80, 127, 0, 0, 1, 0};
	int no_auth;
	const char *why = NULL;
	assert_int_equal(socks_parse_greeting(greeting, sizeof(greeting), &no_auth, &why), -EPROTO);
	assert_non_null(why);
}

TEST_CASE(connect_to_ipv4)
{
	(void)state;
	const uint8_t request[] = {5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90};
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why), 10);
	assert_int_equal(parsed.command, SOCKS_CONNECT);
	assert_int_equal(parsed.port, 8080);
	const struct sockaddr_in *in = (const struct sockaddr_in *)&parsed.address;
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(ntohs(in->sin_port), 8080);
	assert_int_equal(parsed.address_len, sizeof(*in));
}

TEST_CASE(connect_to_ipv6)
{
	(void)state;
	uint8_t request[22] = {5, 1, 0, 4};
	request[4 + 15] = 1; /* ::1 */
	request[20] = 0;
	request[21] = 80;
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why), 22);
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&parsed.address;
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_memory_equal(&in6->sin6_addr, &in6addr_loopback, 16);
	assert_int_equal(ntohs(in6->sin6_port), 80);
}

TEST_CASE(connect_to_a_name)
{
	(void)state;
	const uint8_t request[] = {5,   1,   0,   3,   11,  'e', 'x', 'a', 'm',
				   'p', 'l', 'e', '.', 'o', 'r', 'g', 1,   187};
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why),
			 (int)sizeof(request));
	assert_string_equal(parsed.name, "example.org");
	assert_int_equal(parsed.port, 443);
	assert_int_equal(parsed.address_len, 0);
	for (size_t len = 0; len < sizeof(request); len++)
		assert_int_equal(socks_parse_request(request, len, &parsed, &why), SOCKS_NEED_MORE);
}

TEST_CASE(longest_name_fits)
{
	(void)state;
	uint8_t request[SOCKS_REQUEST_MAX] = {5, 1, 0, 3, 255};
	memset(request + 5, 'a', 255);
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why),
			 SOCKS_REQUEST_MAX);
	assert_int_equal(strlen(parsed.name), 255);
}

TEST_CASE(name_with_nul_refused)
{
	(void)state;
	const uint8_t request[] = {5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80};
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why),
			 -SOCKS_GENERAL_FAILURE);
	assert_non_null(why);
}

TEST_CASE(empty_name_refused)
{
	(void)state;
	const uint8_t request[] = {5, 1, 0, 3, 0, 0, 80};
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why),
			 -SOCKS_GENERAL_FAILURE);
}

TEST_CASE(unknown_address_type_refused)
{
	(void)state;
	const uint8_t request[] = {5, 1, 0, 2, 1, 2, 3, 4, 0, 80};
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why),
			 -SOCKS_ADDRESS_TYPE_NOT_SUPPORTED);
}

TEST_CASE(other_commands_parsed_whole)
{
	(void)state;
	const uint8_t request[] = {5, 3, 0, 1, 0, 0, 0, 0, 0, 0};
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why), 10);
	assert_int_equal(parsed.command, SOCKS_UDP_ASSOCIATE);
	char text[16];
	assert_string_equal(socks_command_name(parsed.command, text), "UDP ASSOCIATE");
	assert_string_equal(socks_command_name(9, text), "command 9");
}

TEST_CASE(request_of_another_version_refused)
{
	(void)state;
	const uint8_t request[] = {4};
	struct socks_request parsed;
	const char *why = NULL;
	assert_int_equal(socks_parse_request(request, sizeof(request), &parsed, &why),
			 -SOCKS_GENERAL_FAILURE);
}

TEST_CASE(reply_with_ipv4_and_ipv6)
{
	(void)state;
	uint8_t out[SOCKS_REPLY_MAX];
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(1234)};
	in.sin_addr.s_addr = htonl(0x0a000001);
	const uint8_t ipv4[] = {5, 0, 0, 1, 10, 0, 0, 1, 0x04, 0xd2};
	assert_int_equal(socks_build_reply(SOCKS_SUCCEEDED, (struct sockaddr *)&in, out), sizeof(ipv4));
	assert_memory_equal(out, ipv4, sizeof(ipv4));
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	assert_int_equal(socks_build_reply(SOCKS_SUCCEEDED, (struct sockaddr *)&in6, out), 22);
	assert_int_equal(out[3], SOCKS_IPV6);
	assert_int_equal(out[19], 1);
	const uint8_t refused[] = {5, 2, 0, 1, 0, 0, 0, 0, 0, 0};
	assert_int_equal(socks_build_reply(SOCKS_NOT_ALLOWED, NULL, out), sizeof(refused));
	assert_memory_equal(out, refused, sizeof(refused));
}

TEST_CASE(udp_header_to_an_address)
{
	(void)state;
	const uint8_t datagram[] = {0, 0, 0, 1, 127, 0, 0, 1, 0, 53, 'h', 'i'};
	struct socks_request target;
	const char *why = NULL;
	assert_int_equal(socks_parse_udp_header(datagram, sizeof(datagram), &target, &why), 10);
	assert_int_equal(target.port, 53);
	assert_int_equal(target.address.ss_family, AF_INET);
	uint8_t back[SOCKS_REPLY_MAX];
	assert_int_equal(socks_build_udp_header((struct sockaddr *)&target.address, back), 10);
	assert_memory_equal(back, datagram, 10);
}

TEST_CASE(udp_header_to_a_name)
{
	(void)state;
	const uint8_t datagram[] = {0, 0, 0, 3, 4, 'n', 'a', 'm', 'e', 0, 53, 'x'};
	struct socks_request target;
	const char *why = NULL;
	assert_int_equal(socks_parse_udp_header(datagram, sizeof(datagram), &target, &why), 11);
	assert_string_equal(target.name, "name");
}

TEST_CASE(udp_fragment_and_short_header_refused)
{
	(void)state;
	const uint8_t fragment[] = {0, 0, 1, 1, 127, 0, 0, 1, 0, 53};
	const uint8_t cut[] = {0, 0, 0, 1, 127, 0};
	const uint8_t reserved[] = {1, 0, 0, 1, 127, 0, 0, 1, 0, 53};
	struct socks_request target;
	const char *why = NULL;
	assert_int_equal(socks_parse_udp_header(fragment, sizeof(fragment), &target, &why),
			 -SOCKS_COMMAND_NOT_SUPPORTED);
	assert_int_equal(socks_parse_udp_header(cut, sizeof(cut), &target, &why),
			 -SOCKS_GENERAL_FAILURE);
	assert_int_equal(socks_parse_udp_header(reserved, sizeof(reserved), &target, &why),
			 -SOCKS_GENERAL_FAILURE);
	assert_non_null(why);
}

TEST_CASE(errnos_to_reply_codes)
{
	(void)state;
	assert_int_equal(socks_reply_for_errno(ECONNREFUSED), SOCKS_CONNECTION_REFUSED);
	assert_int_equal(socks_reply_for_errno(ENETDOWN), SOCKS_NETWORK_UNREACHABLE);
	assert_int_equal(socks_reply_for_errno(ETIMEDOUT), SOCKS_HOST_UNREACHABLE);
	assert_int_equal(socks_reply_for_errno(EMFILE), SOCKS_GENERAL_FAILURE);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
