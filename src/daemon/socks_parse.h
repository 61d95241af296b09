/*
 * st87d's SOCKS5 door: the messages of RFC 1928, parsed from bytes and
 * built into bytes, with no socket in sight (unit-tested and fuzzable).
 */
#ifndef ST87_DAEMON_SOCKS_PARSE_H
#define ST87_DAEMON_SOCKS_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SOCKS_VERSION 5
#define SOCKS_NO_AUTHENTICATION 0x00
#define SOCKS_NO_ACCEPTABLE_METHOD 0xff
/* The longest greeting (2 + 255 methods) and request (4 + 1 + 255 name bytes + 2). */
#define SOCKS_GREETING_MAX 257
#define SOCKS_REQUEST_MAX 262
/* The longest reply: an IPv6 address. */
#define SOCKS_REPLY_MAX 22

enum socks_command { SOCKS_CONNECT = 1, SOCKS_BIND = 2, SOCKS_UDP_ASSOCIATE = 3 };
enum socks_address_type { SOCKS_IPV4 = 1, SOCKS_DOMAIN = 3, SOCKS_IPV6 = 4 };

/* RFC 1928 §6's reply codes. */
enum socks_reply_code {
	SOCKS_SUCCEEDED = 0x00,
	SOCKS_GENERAL_FAILURE = 0x01,
	SOCKS_NOT_ALLOWED = 0x02,
	SOCKS_NETWORK_UNREACHABLE = 0x03,
	SOCKS_HOST_UNREACHABLE = 0x04,
	SOCKS_CONNECTION_REFUSED = 0x05,
	SOCKS_TTL_EXPIRED = 0x06,
	SOCKS_COMMAND_NOT_SUPPORTED = 0x07,
	SOCKS_ADDRESS_TYPE_NOT_SUPPORTED = 0x08,
};

/* A parse: the message is whole (its length), needs more bytes, or cannot be one. */
#define SOCKS_NEED_MORE 0

/*
 * The client's greeting in @bytes (@len so far): its length once whole,
 * SOCKS_NEED_MORE, or -EPROTO (not version 5) with @why. *@no_auth_offered
 * says whether "no authentication" is among its methods.
 */
int socks_parse_greeting(const uint8_t *bytes, size_t len, int *no_auth_offered, const char **why);

struct socks_request {
	enum socks_command command;
	enum socks_address_type address_type;
	struct sockaddr_storage
		address; /* IPv4 or IPv6 with the port; for a name, its family is AF_UNSPEC */
	socklen_t address_len;
	char name[256]; /* SOCKS_DOMAIN: the name, NUL-terminated */
	uint16_t port;  /* host order */
};

/*
 * The client's request in @bytes (@len so far): its length once whole,
 * SOCKS_NEED_MORE, or a negative reply code (-SOCKS_...) with @why: the
 * refusal to send. A command st87d does not serve is still parsed whole:
 * the caller refuses it by name.
 */
int socks_parse_request(const uint8_t *bytes, size_t len, struct socks_request *request,
			const char **why);

/*
 * The header of a datagram to the UDP relay (RFC 1928 §7: RSV RSV FRAG ATYP
 * DST.ADDR DST.PORT) in @bytes: its length with the destination in
 * @target, or a negative reply code with @why (a fragment, FRAG not 0, is
 * -SOCKS_COMMAND_NOT_SUPPORTED: st87d does not reassemble). Never
 * SOCKS_NEED_MORE: a datagram is whole or nothing.
 */
int socks_parse_udp_header(const uint8_t *bytes, size_t len, struct socks_request *target,
			   const char **why);

/* The header of a datagram from @source (AF_INET or AF_INET6) back to the client into @out: its length. */
size_t socks_build_udp_header(const struct sockaddr *source, uint8_t out[SOCKS_REPLY_MAX]);

/* The reply with @code and @bound (AF_INET or AF_INET6; NULL: 0.0.0.0:0) into @out: its length. */
size_t socks_build_reply(enum socks_reply_code code, const struct sockaddr *bound,
			 uint8_t out[SOCKS_REPLY_MAX]);

/* The reply code that says @err (positive errno) best. */
enum socks_reply_code socks_reply_for_errno(int err);

/* "CONNECT", "BIND", "UDP ASSOCIATE", "command 9". @text has room for 16. */
const char *socks_command_name(int command, char text[16]);

#endif
