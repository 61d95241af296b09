#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int addr_parse(const char *text, unsigned port, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(family, text,
		      family == AF_INET6 ? (void *)&s6->sin6_addr : (void *)&s4->sin_addr) != 1)
		return 0;
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET6)
		s6->sin6_port = htons((uint16_t)port);
	else
		s4->sin_port = htons((uint16_t)port);
	*sslen = family == AF_INET6 ? sizeof(*s6) : sizeof(*s4);
	return family;
}

bool addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		/* Only ::1; a v4-mapped ::ffff:127.x is refused like any
		 * other non-loopback destination, to keep the rule simple. */
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	}
	return false;
}
