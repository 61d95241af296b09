/* getpeername/getsockname on a routed socket: the destination, and the modem's own address. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "real.h"
#include "shim.h"

static int copy_out(const void *address, socklen_t address_len, struct sockaddr *out, socklen_t *out_len)
{
	if (!out || !out_len) {
		errno = EFAULT;
		return -1;
	}
	socklen_t copy = *out_len < address_len ? *out_len : address_len;
	memcpy(out, address, copy);
	*out_len = address_len;
	return 0;
}

int getpeername(int fd, __SOCKADDR_ARG peer, socklen_t *len)
{
	struct sockaddr *address = peer.__sockaddr__;
	struct routed_socket *s = shim_routed(fd);
	if (!s)
		return real.getpeername(fd, address, len);
	int result;
	if (s->framed) {
		struct sockaddr_storage connected;
		socklen_t connected_len = shim_connected_destination(s, &connected);
		errno = ENOTCONN;
		result = connected_len ? copy_out(&connected, connected_len, address, len) : -1;
	} else {
		result = copy_out(&s->remote, s->remote_len, address, len);
	}
	shim_release(s);
	return result;
}

/* The modem's address in the socket's family (IPv4 as IPv4-mapped on an IPv6 socket). */
static socklen_t local_address(int domain, struct sockaddr_storage *out)
{
	char text[64];
	memset(out, 0, sizeof(*out));
	if (domain == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
		in6->sin6_family = AF_INET6;
		shim_modem_address(AF_INET6, text, sizeof(text));
		if (!text[0] || inet_pton(AF_INET6, text, &in6->sin6_addr) != 1) {
			shim_modem_address(AF_INET, text, sizeof(text));
			char mapped[80];
			snprintf(mapped, sizeof(mapped), "::ffff:%s", text);
			if (inet_pton(AF_INET6, mapped, &in6->sin6_addr) != 1)
				in6->sin6_addr = in6addr_any;
		}
		return sizeof(*in6);
	}
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	in->sin_family = AF_INET;
	shim_modem_address(AF_INET, text, sizeof(text));
	if (!text[0] || inet_pton(AF_INET, text, &in->sin_addr) != 1)
		in->sin_addr.s_addr = htonl(INADDR_ANY);
	return sizeof(*in);
}

int getsockname(int fd, __SOCKADDR_ARG local_end, socklen_t *len)
{
	struct sockaddr *address = local_end.__sockaddr__;
	struct routed_socket *s = shim_routed(fd);
	if (!s)
		return real.getsockname(fd, address, len);
	struct sockaddr_storage local;
	socklen_t local_len = local_address(s->domain, &local);
	shim_release(s);
	return copy_out(&local, local_len, address, len);
}
