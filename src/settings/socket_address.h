/* A socket address made from an address's bytes, for the settings that name a server. */
#ifndef ST87_SETTINGS_SOCKET_ADDRESS_H
#define ST87_SETTINGS_SOCKET_ADDRESS_H

#include <stdint.h>
#include <sys/socket.h>

/*
 * Fills @storage and @storage_len with @family's (AF_INET or AF_INET6) socket
 * address for @address (4 or 16 bytes, network order) and @port (host order).
 */
void shim_socket_address(int family, const uint8_t *address, uint16_t port,
			 struct sockaddr_storage *storage, socklen_t *storage_len);

#endif
