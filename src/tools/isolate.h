/*
 * isolate: st87run --isolate. The calling process (single-threaded, about to
 * exec the program) enters a network namespace of its own whose only
 * interface is loopback, up: a socket the shim does not route reaches
 * nothing beyond the host's loopback of that namespace (ENETUNREACH),
 * while the shim's own paths are files and stay reachable: the serial
 * port, and st87d's socket, which is bound to a path (an abstract Unix
 * socket would not be).
 */
#ifndef ST87_ISOLATE_H
#define ST87_ISOLATE_H

#include <stddef.h>

/*
 * As root, unshare(CLONE_NEWNET); otherwise a user namespace too, mapping
 * only the caller's own uid and gid, where the kernel allows one. Returns 0,
 * or -1 with @why saying what failed and what to do, in one line.
 */
int isolate_network(char *why, size_t len);

#endif
