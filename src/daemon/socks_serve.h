/*
 * st87d's SOCKS5 door (RFC 1928, no authentication, CONNECT): for programs
 * the shim cannot reach (static, Go). Each connection's bytes go the engine
 * path a preloaded program's take: a routed socket whose pair the session
 * relays to the client's connection.
 */
#ifndef ST87_DAEMON_SOCKS_SERVE_H
#define ST87_DAEMON_SOCKS_SERVE_H

#include <stddef.h>
#include <sys/types.h>

#include "serve.h"

/* Most SOCKS connections open at once: each holds a thread and a routed socket. */
#define SOCKS_SESSIONS_MAX 64

/*
 * Listens on 127.0.0.1 and ::1 at @port (1 to 65535) into @fds (-1 where a
 * family is missing on this host). 0, or -1 after one line on stderr.
 */
int socks_listen_port(int port, int fds[2]);

/* Serves SOCKS5 on @listener from a thread of its own, under @policy; @config: st87d's settings. */
int socks_serve(int listener, const struct access_policy *policy, const struct shim_config *config);

#endif
