/*
 * Fuzz target: st87d's SOCKS5 door's messages (src/daemon/socks_parse.c).
 *
 * Input: a client's bytes, greeting then request, as they would arrive;
 * the whole input is also read as one datagram to the UDP relay.
 *
 * Invariants checked besides the sanitizers:
 *  - a parse is SOCKS_NEED_MORE, a length within the input and the RFC's
 *    bounds, or an error with a reason; a greeting error is -EPROTO, a
 *    request error a reply code RFC 1928 defines;
 *  - every prefix of a whole message needs more;
 *  - a parsed name is NUL-terminated and has no NUL inside; a parsed address
 *    carries the parsed port;
 *  - a reply built for any code is 10 or 22 bytes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz.h"
#include "socks_parse.h"

/* A request or datagram header naming a one-byte name: 4 bytes, the length, the name, the port. */
#define SOCKS_SHORTEST_MESSAGE 8

static void check_request(const uint8_t *data, size_t size)
{
	struct socks_request request;
	const char *why = NULL;
	int len = socks_parse_request(data, size, &request, &why);
	if (len == SOCKS_NEED_MORE)
		return;
	if (len < 0) {
		FUZZ_CHECK(-len >= SOCKS_GENERAL_FAILURE && -len <= SOCKS_ADDRESS_TYPE_NOT_SUPPORTED);
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK((size_t)len <= size && len <= SOCKS_REQUEST_MAX && len >= SOCKS_SHORTEST_MESSAGE);
	for (size_t prefix = 0; prefix < (size_t)len; prefix++) {
		struct socks_request partial;
		FUZZ_CHECK(socks_parse_request(data, prefix, &partial, &why) == SOCKS_NEED_MORE);
	}
	if (request.address_type == SOCKS_DOMAIN) {
		size_t name_len = strnlen(request.name, sizeof(request.name));
		FUZZ_CHECK(name_len > 0 && name_len < sizeof(request.name) && name_len == data[4]);
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&request.address;
		FUZZ_CHECK(ntohs(in->sin_port) == request.port);
	}
	uint8_t reply[SOCKS_REPLY_MAX];
	size_t reply_len = socks_build_reply((enum socks_reply_code)(data[1] % 9),
					     request.address_len
						     ? (const struct sockaddr *)&request.address
						     : NULL,
					     reply);
	FUZZ_CHECK(reply_len == 10 || reply_len == 22);
}

static void check_datagram(const uint8_t *data, size_t size)
{
	struct socks_request target;
	const char *why = NULL;
	int len = socks_parse_udp_header(data, size, &target, &why);
	FUZZ_CHECK(len != SOCKS_NEED_MORE);
	if (len < 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK((size_t)len <= size && len >= SOCKS_SHORTEST_MESSAGE);
	if (target.address_type != SOCKS_DOMAIN) {
		uint8_t header[SOCKS_REPLY_MAX];
		size_t header_len = socks_build_udp_header((const struct sockaddr *)&target.address,
							   header);
		FUZZ_CHECK(header_len == (size_t)len && memcmp(header, data, header_len) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_datagram(data, size);
	int no_auth = -1;
	const char *why = NULL;
	int len = socks_parse_greeting(data, size, &no_auth, &why);
	FUZZ_CHECK(no_auth == 0 || no_auth == 1);
	if (len < 0) {
		FUZZ_CHECK(len == -EPROTO && why != NULL);
		return 0;
	}
	if (len == SOCKS_NEED_MORE)
		return 0;
	FUZZ_CHECK((size_t)len <= size && len <= SOCKS_GREETING_MAX);
	check_request(data + len, size - (size_t)len);
	return 0;
}
