/*
 * A program's side of st87d: routed sockets and AT#DNS lookups go to the
 * daemon that owns the modem instead of the port (docs/DESIGN.md, "st87d").
 * The program's end of each pair stays in the program as in-process; the
 * engine's end goes to the daemon with the request, and the connection that
 * carried it brings the daemon's reports back. They are taken when the
 * program asks (connect's wait, SO_ERROR, an EOF): no thread of our own.
 */
#ifndef ST87_SHIM_DAEMON_CLIENT_H
#define ST87_SHIM_DAEMON_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "dns_message.h"
#include "shim.h"

/*
 * A connection to st87d for one request, as a private fd in @connection, or
 * -1 there when routed calls use the port (no daemon, ST87_DAEMON=off).
 * 0, or -errno when the daemon is required (ST87_DAEMON) or refuses us;
 * a line on stderr says why.
 */
int daemon_dial(int *connection);

/* Hands @s (its daemon_fd set) and the engine's end of its pair to the daemon. 0 or -errno. */
int daemon_open_socket(struct routed_socket *s, int engine_end);

/* Tells the daemon that the program set ST87_SO_RAI on @s. 0 or -errno. */
int daemon_set_rai(struct routed_socket *s, int rai);

/* Waits up to @timeout_ms for the daemon's answer to the connect of @s: 0 or -errno. */
int daemon_wait_connected(struct routed_socket *s, int timeout_ms);

/*
 * Takes what the daemon reported on @s (program end @fd) so far: connected,
 * failed, the peer's close, its death. @at_eof: the program just read EOF.
 */
void daemon_take_reports(struct routed_socket *s, int fd, bool at_eof);

/*
 * One name of @family through the daemon, which asks ST87_DNS when it is
 * set, else its own choice (engine_resolve): an enum shim_dns_outcome and
 * @answer (its ttl: how long it may be kept here, no longer than st87d
 * keeps it), -ENOSYS (no AT#DNS and no resolver), -EPROTONOSUPPORT (an
 * st87d of another release), or another -errno; @error says why.
 */
int daemon_resolve(int connection, const char *name, int family, struct shim_dns_answer *answer,
		   char *error, size_t error_len);

#endif
