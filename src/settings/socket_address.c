/* A socket address made from an address's bytes (socket_address.h). */
#include "socket_address.h"

#include <netinet/in.h>
#include <string.h>

void shim_socket_address(int family, const uint8_t *address, uint16_t port,
			 struct sockaddr_storage *storage, socklen_t *storage_len)
{
	memset(storage, 0, sizeof *storage);
	storage->ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)storage;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, address, sizeof in->sin_addr);
		*storage_len = sizeof *in;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)storage;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, address, sizeof in6->sin6_addr);
		*storage_len = sizeof *in6;
	}
}
