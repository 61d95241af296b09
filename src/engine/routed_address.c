/* A routed socket's address in words (routed_address.h). */
#include "routed_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

void engine_format_address(const struct sockaddr_storage *address, char *text, size_t len, int *port,
			   int *ip_version)
{
	if (address->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
		*port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, (socklen_t)len);
			*ip_version = 0;
		} else {
			inet_ntop(AF_INET6, &in6->sin6_addr, text, (socklen_t)len);
			*ip_version = 1;
		}
		return;
	}
	const struct sockaddr_in *in = (const struct sockaddr_in *)address;
	*port = ntohs(in->sin_port);
	inet_ntop(AF_INET, &in->sin_addr, text, (socklen_t)len);
	*ip_version = 0;
}

void engine_describe(const struct routed_socket *s, char *text, size_t len)
{
	char address[64];
	int port, ip_version;
	engine_format_address(&s->remote, address, sizeof(address), &port, &ip_version);
	int used = snprintf(text, len, "%s %s%s%s:%d", s->type == SOCK_STREAM ? "TCP" : "UDP",
			    ip_version ? "[" : "", address, ip_version ? "]" : "", port);
	if (s->client_pid > 0 && used > 0 && (size_t)used < len)
		snprintf(text + used, len - (size_t)used, " of pid %d (%s)", s->client_pid,
			 s->client_program);
}
