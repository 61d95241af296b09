/* A routed socket's address in words: for the modem's commands, and for a person reading a log line. */
#ifndef ST87_ENGINE_ROUTED_ADDRESS_H
#define ST87_ENGINE_ROUTED_ADDRESS_H

#include <stddef.h>
#include <sys/socket.h>

#include "routed_socket.h"

/* "TCP 1.2.3.4:80" (and st87d's client). */
void engine_describe(const struct routed_socket *s, char *text, size_t len);

/* The destination for the modem: text address and port; IPv4-mapped IPv6 as IPv4 (@ip_version 0). */
void engine_format_address(const struct sockaddr_storage *address, char *text, size_t len, int *port,
			   int *ip_version);

#endif
