/* IP address parsing and the loopback-only rule: the fake modem never sends
 * a byte to anything but 127.0.0.0/8 or ::1. */
#ifndef FM_ADDR_H
#define FM_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

/* Parses a numeric IPv4 or IPv6 address and a port into *ss. Returns the
 * family (AF_INET, AF_INET6) or 0 when text is not an address. */
int addr_parse(const char *text, unsigned port, struct sockaddr_storage *ss, socklen_t *sslen);
/* 127.0.0.0/8 or ::1. */
bool addr_is_loopback(const struct sockaddr_storage *ss);

#endif
