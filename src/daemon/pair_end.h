/* st87d: whether what a client passed as the engine's end of its pair may be taken over. */
#ifndef ST87_DAEMON_PAIR_END_H
#define ST87_DAEMON_PAIR_END_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * True when @fd is one end of a connected Unix pair of the type a routed
 * socket of @routed_type needs, whose other end was made by @requester (the
 * pid on the request's connection) and already holds @filler bytes. False
 * with @why (one phrase) otherwise.
 */
bool pair_end_acceptable(int fd, int routed_type, uint32_t filler, pid_t requester, char *why,
			 size_t why_len);

#endif
