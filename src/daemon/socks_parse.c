/* st87d's SOCKS5 door: RFC 1928's messages (socks_parse.h). */
#include "socks_parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int socks_parse_greeting(const uint8_t *bytes, size_t len, int *no_auth_offered, const char **why)
{
	*no_auth_offered = 0;
	if (len >= 1 && bytes[0] != SOCKS_VERSION) {
		*why = "not a SOCKS5 greeting (version byte is not 5)";
		return -EPROTO;
	}
	if (len < 2 || len < 2 + (size_t)bytes[1])
		return SOCKS_NEED_MORE;
	for (size_t i = 0; i < bytes[1]; i++)
		if (bytes[2 + i] == SOCKS_NO_AUTHENTICATION)
			*no_auth_offered = 1;
	return 2 + bytes[1];
}

/* The address part after the request's four fixed bytes: its length, SOCKS_NEED_MORE, or -code. */
static int parse_address(const uint8_t *at, size_t len, struct socks_request *request, const char **why)
{
	size_t address_len;
	switch (request->address_type) {
	case SOCKS_IPV4:
		address_len = 4;
		break;
	case SOCKS_IPV6:
		address_len = 16;
		break;
	case SOCKS_DOMAIN:
		if (len < 1)
			return SOCKS_NEED_MORE;
		if (at[0] == 0) {
			*why = "an empty domain name";
			return -SOCKS_GENERAL_FAILURE;
		}
		address_len = 1 + (size_t)at[0];
		break;
	default:
		*why = "an address type RFC 1928 does not define";
		return -SOCKS_ADDRESS_TYPE_NOT_SUPPORTED;
	}
	if (len < address_len + 2)
		return SOCKS_NEED_MORE;
	request->port = (uint16_t)(at[address_len] << 8 | at[address_len + 1]);
	memset(&request->address, 0, sizeof(request->address));
	request->name[0] = '\0';
	if (request->address_type == SOCKS_IPV4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&request->address;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, at, 4);
		in->sin_port = htons(request->port);
		request->address_len = sizeof(*in);
	} else if (request->address_type == SOCKS_IPV6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&request->address;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, at, 16);
		in6->sin6_port = htons(request->port);
		request->address_len = sizeof(*in6);
	} else {
		size_t name_len = at[0];
		if (memchr(at + 1, '\0', name_len)) {
			*why = "a domain name with a NUL byte in it";
			return -SOCKS_GENERAL_FAILURE;
		}
		memcpy(request->name, at + 1, name_len);
		request->name[name_len] = '\0';
		request->address_len = 0;
	}
	return (int)(address_len + 2);
}

int socks_parse_request(const uint8_t *bytes, size_t len, struct socks_request *request,
			const char **why)
{
	if (len >= 1 && bytes[0] != SOCKS_VERSION) {
		*why = "not a SOCKS5 request (version byte is not 5)";
		return -SOCKS_GENERAL_FAILURE;
	}
	if (len < 4)
		return SOCKS_NEED_MORE;
	request->command = (enum socks_command)bytes[1];
	request->address_type = (enum socks_address_type)bytes[3];
	int address_len = parse_address(bytes + 4, len - 4, request, why);
	return address_len <= 0 ? address_len : 4 + address_len;
}

int socks_parse_udp_header(const uint8_t *bytes, size_t len, struct socks_request *target,
			   const char **why)
{
	if (len < 4 || bytes[0] != 0 || bytes[1] != 0) {
		*why = "not a SOCKS5 datagram (short, or reserved bytes set)";
		return -SOCKS_GENERAL_FAILURE;
	}
	if (bytes[2] != 0) {
		*why = "a fragment: st87d does not reassemble datagrams";
		return -SOCKS_COMMAND_NOT_SUPPORTED;
	}
	target->command = SOCKS_UDP_ASSOCIATE;
	target->address_type = (enum socks_address_type)bytes[3];
	int address_len = parse_address(bytes + 4, len - 4, target, why);
	if (address_len == SOCKS_NEED_MORE) {
		*why = "a datagram shorter than its header";
		return -SOCKS_GENERAL_FAILURE;
	}
	return address_len < 0 ? address_len : 4 + address_len;
}

size_t socks_build_udp_header(const struct sockaddr *source, uint8_t out[SOCKS_REPLY_MAX])
{
	/* The same address and port as a reply's, after RSV RSV FRAG instead of VER REP RSV. */
	size_t len = socks_build_reply(SOCKS_SUCCEEDED, source, out);
	out[0] = out[1] = out[2] = 0;
	return len;
}

size_t socks_build_reply(enum socks_reply_code code, const struct sockaddr *bound,
			 uint8_t out[SOCKS_REPLY_MAX])
{
	out[0] = SOCKS_VERSION;
	out[1] = (uint8_t)code;
	out[2] = 0;
	size_t len;
	const uint8_t *port;
	if (bound && bound->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)bound;
		out[3] = SOCKS_IPV6;
		memcpy(out + 4, &in6->sin6_addr, 16);
		port = (const uint8_t *)&in6->sin6_port;
		len = 4 + 16;
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)bound;
		out[3] = SOCKS_IPV4;
		memset(out + 4, 0, 4);
		if (in)
			memcpy(out + 4, &in->sin_addr, 4);
		port = in ? (const uint8_t *)&in->sin_port : NULL;
		len = 4 + 4;
	}
	out[len] = port ? port[0] : 0;
	out[len + 1] = port ? port[1] : 0;
	return len + 2;
}

enum socks_reply_code socks_reply_for_errno(int err)
{
	switch (err) {
	case ENETDOWN:
	case ENETUNREACH:
		return SOCKS_NETWORK_UNREACHABLE;
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ETIMEDOUT:
	case ENOENT:
		return SOCKS_HOST_UNREACHABLE;
	case ECONNREFUSED:
		return SOCKS_CONNECTION_REFUSED;
	case EACCES:
	case EPERM:
		return SOCKS_NOT_ALLOWED;
	case EAFNOSUPPORT:
		return SOCKS_ADDRESS_TYPE_NOT_SUPPORTED;
	default:
		return SOCKS_GENERAL_FAILURE;
	}
}

const char *socks_command_name(int command, char text[16])
{
	switch (command) {
	case SOCKS_CONNECT:
		return "CONNECT";
	case SOCKS_BIND:
		return "BIND";
	case SOCKS_UDP_ASSOCIATE:
		return "UDP ASSOCIATE";
	default:
		snprintf(text, 16, "command %d", command & 0xff);
		return text;
	}
}
