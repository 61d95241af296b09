/*
 * Who could have made st87d's socket file: st87d refuses to serve where
 * another user could take the name, and a program refuses a daemon that
 * could have taken it. libc only: st87d and the shim both link it.
 */
#ifndef ST87_DAEMON_SOCKET_TRUST_H
#define ST87_DAEMON_SOCKET_TRUST_H

#include <stddef.h>
#include <sys/types.h>

/*
 * 0 when only root and @owner can create or replace names in the directory
 * holding @socket_path (symbolic links resolved): that directory is owned
 * by root or @owner and writable by neither its group nor others; every
 * directory above it is owned by root or @owner and writable by others only
 * with the sticky bit. Otherwise -errno, and @why says which directory
 * fails and how.
 */
int st87d_socket_directory_private(const char *socket_path, uid_t owner, char *why, size_t why_len);

#endif
