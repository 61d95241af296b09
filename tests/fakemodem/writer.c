#include "writer.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "timeutil.h"

void writer_init(struct writer *w, unsigned long bytes_per_sec, bool fragment, struct rng *rng,
		 uint64_t *counter, int64_t now)
{
	bytebuf_init(&w->q);
	tb_init(&w->pace, bytes_per_sec, now);
	w->fragment = fragment;
	w->rng = rng;
	w->not_before = 0;
	w->blocked = false;
	w->since = 0;
	w->counter = counter;
}

void writer_free(struct writer *w)
{
	bytebuf_free(&w->q);
}

void writer_put(struct writer *w, const void *p, size_t n)
{
	/* The bytes wait from this moment, not from the loop turn's clock. */
	if (n && !w->q.len)
		tb_waiting(&w->pace, w->since ? w->since : now_us());
	bytebuf_append(&w->q, p, n);
}

void writer_since(struct writer *w, int64_t t)
{
	w->since = t;
}

/* Everything is written (or dropped): the line's busy period ends. */
static void drained(struct writer *w)
{
	w->blocked = false;
	tb_idle(&w->pace);
}

void writer_flush(struct writer *w, int fd, int64_t now)
{
	if (w->blocked && w->q.len) {
		struct pollfd p = {.fd = fd, .events = POLLOUT, .revents = 0};

		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLOUT))
			return;
		/* Room again: a new busy period from now, no credit for the
		 * time the host held the line. */
		w->blocked = false;
		tb_waiting(&w->pace, now_us());
	}
	while (w->q.len && now >= w->not_before) {
		size_t n = w->q.len;
		size_t allowed = tb_available(&w->pace, now);
		ssize_t done;

		if (w->fragment) {
			size_t piece = rng_range(w->rng, 1, 7);

			if (n > piece)
				n = piece;
		}
		if (n > allowed)
			n = allowed;
		if (!n)
			return; /* not yet: writer_wake_at() says when */
		done = write(fd, bytebuf_peek(&w->q), n);
		if (done < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				tb_idle(&w->pace);
				w->blocked = true;
				return;
			}
			bytebuf_clear(&w->q); /* cannot happen with the
					       * slave held open */
			drained(w);
			return;
		}
		bytebuf_consume(&w->q, (size_t)done);
		tb_take(&w->pace, (size_t)done);
		*w->counter += (uint64_t)done;
		if (!w->q.len)
			drained(w);
		if (w->fragment && rng_range(w->rng, 0, 3) == 0) {
			/* Now and then 0..200 us between pieces, so the host
			 * sees them in separate reads; a pause after every
			 * piece would make a 1 MiB transfer take a minute. */
			w->not_before = now + rng_range(w->rng, 0, 200);
		}
	}
}

bool writer_wants_pollout(struct writer *w, int64_t now)
{
	if (!w->q.len || now < w->not_before)
		return false;
	return w->blocked || tb_available(&w->pace, now) >= tb_batch(&w->pace, w->q.len);
}

int64_t writer_wake_at(struct writer *w, int64_t now)
{
	if (!w->q.len)
		return FM_NEVER;
	if (now < w->not_before)
		return w->not_before; /* then asked again */
	if (w->blocked)
		return FM_NEVER; /* POLLOUT says when */
	return tb_ready_at(&w->pace, tb_batch(&w->pace, w->q.len), now);
}
