/* Output to the pty: a queue drained as fast as --baud allows, in random
 * small pieces with tiny pauses under --fragment. */
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
	int64_t not_before;  /* end of the pause after a fragment */
	uint64_t *counter;   /* incremented by every byte written */
};

void writer_init(struct writer *w, unsigned long bytes_per_sec, bool fragment,
		 struct rng *rng, uint64_t *counter, int64_t now);
void writer_free(struct writer *w);
void writer_put(struct writer *w, const void *p, size_t n);
static inline size_t writer_pending(const struct writer *w)
{
	return w->q.len;
}
/* Writes what pacing and fragmenting allow now to the non-blocking fd. */
void writer_flush(struct writer *w, int fd, int64_t now);
/* Whether the writer waits for the fd to take bytes (poll POLLOUT), and
 * otherwise when it can write next (FM_NEVER when the queue is empty). */
bool writer_wants_pollout(struct writer *w, int64_t now);
int64_t writer_wake_at(struct writer *w, int64_t now);

#endif
