/* st87d's own listening socket (when systemd does not pass one). */
#ifndef ST87_DAEMON_LISTEN_SOCKET_H
#define ST87_DAEMON_LISTEN_SOCKET_H

#include <sys/types.h>

#include "serve.h"

/*
 * Listens at @path with @mode and the policy's group, taking the name over
 * from a dead daemon but never from a live one, nor from a file that is not
 * a socket, nor in a directory another user could write. @type:
 * SOCK_SEQPACKET (st87d's own socket) or SOCK_STREAM (the SOCKS door). The
 * fd, or -1 after one line on stderr saying why.
 */
int listen_at(const char *path, const struct access_policy *policy, mode_t mode, int type);

#endif
