/* st87d's SOCKS5 door: a name a client sends (socks5h), looked up as a program's lookup through st87d is. */
#ifndef ST87_DAEMON_SOCKS_NAMES_H
#define ST87_DAEMON_SOCKS_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "socks_parse.h"

struct shim_config;
/*
 * @name's first address (IPv4 first, then IPv6) with @port in @remote, by
 * st87d's resolver path (@config's ST87_DNS, the modem's DNS server,
 * AT#DNS; the one names cache): SOCKS_SUCCEEDED, else the reply code
 * (SOCKS_HOST_UNREACHABLE for a name not found) with @why.
 */
enum socks_reply_code socks_resolve(const struct shim_config *config, const char *name, uint16_t port,
				    struct sockaddr_storage *remote, socklen_t *remote_len, char *why,
				    size_t why_len);

#endif
