/*
 * st87d's SOCKS5 door: who is at the other end of a client's connection,
 * as the kernel says, never as the client says (there is no password).
 */
#ifndef ST87_DAEMON_SOCKS_PEER_H
#define ST87_DAEMON_SOCKS_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "serve.h"

struct socks_peer {
	uid_t uid;
	gid_t gid;      /* (gid_t)-1 when not known (a TCP peer: its uid's groups are asked instead) */
	pid_t pid;      /* 0 when not known (another user's process st87d may not look into) */
	bool uid_known; /* false: the connecting socket was not found (it went, or is not local) */
};

/*
 * Who is at the other end of @connection: SO_PEERCRED on a Unix socket; on
 * a loopback TCP connection the owner of the connecting socket, found by its
 * addresses in /proc/net/tcp or tcp6 (as `ss -e` shows it), and the process
 * holding it (any that st87d may look into). False with @why when not found.
 */
bool socks_peer_identify(int connection, struct socks_peer *peer, char *why, size_t why_len);

/* The owner of the local UDP socket bound to @source (a datagram's sender), from /proc/net/udp or udp6. */
bool socks_peer_udp_owner(const struct sockaddr_storage *source, uid_t *uid);

/* Whether @peer may use the door: root, st87d's own user, or a member of the policy's group. */
bool socks_peer_allowed(const struct socks_peer *peer, const struct access_policy *policy);

#endif
