/* Output to the pty: a queue drained as fast as --baud allows (a strict
 * UART, see pacing.h), in random small pieces with tiny pauses under
 * --fragment. */
#ifndef FM_WRITER_H
#define FM_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "pacing.h"
#include "rng.h"

struct writer {
	struct bytebuf q;
	struct token_bucket pace;
	bool fragment;
	struct rng *rng;
	int64_t not_before; /* end of the pause after a fragment */
	/* The pty took no more (the host does not read): like a UART held by
	 * flow control, the line restarts at line rate once there is room. */
	bool blocked;
	int64_t since;     /* writer_since() */
	uint64_t *counter; /* incremented by every byte written */
};

void writer_init(struct writer *w, unsigned long bytes_per_sec, bool fragment, struct rng *rng,
		 uint64_t *counter, int64_t now);
void writer_free(struct writer *w);
/* Queues bytes; into an empty queue they start the line's busy period now
 * (or at the writer_since() time). */
void writer_put(struct writer *w, const void *p, size_t n);
/* Until called again with 0: bytes put into an empty queue wait since t (a
 * past moment), not since now. The modem answers a command as if at the
 * moment its last byte came off the line, so its own wake-up latency does
 * not count as line time. */
void writer_since(struct writer *w, int64_t t);
static inline size_t writer_pending(const struct writer *w)
{
	return w->q.len;
}
/* Writes what pacing and fragmenting allow now to the non-blocking fd. */
void writer_flush(struct writer *w, int fd, int64_t now);
/* Whether the writer waits for the fd to take bytes (poll POLLOUT), and
 * otherwise when it can write next (FM_NEVER when the queue is empty):
 * once about 1 ms of bytes may pass, or all that wait if fewer. */
bool writer_wants_pollout(struct writer *w, int64_t now);
int64_t writer_wake_at(struct writer *w, int64_t now);

#endif
