#include "pacing.h"

#include <stdint.h>
#include <sys/prctl.h>

/* Integer arithmetic in microseconds and bytes: a period of a day at
 * 4 Mbaud stays far from overflow. */

void tb_init(struct token_bucket *tb, unsigned long bytes_per_sec, int64_t now)
{
	tb->enabled = bytes_per_sec > 0;
	/* Paced wake-ups are due to the microsecond; the default timer slack
	 * (50 us) would make each one late, and at 921600 baud that is 5
	 * bytes of line time per wake. */
	if (tb->enabled)
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	tb->rate = bytes_per_sec;
	tb->busy = false;
	tb->start_us = now;
	tb->sent = 0;
	tb->free_us = now;
}

void tb_waiting(struct token_bucket *tb, int64_t since)
{
	if (!tb->enabled || tb->busy)
		return;
	tb->busy = true;
	tb->start_us = since > tb->free_us ? since : tb->free_us;
	tb->sent = 0;
}

int64_t tb_sent_at(const struct token_bucket *tb)
{
	if (!tb->enabled || !tb->busy)
		return 0;
	/* Rounded up to the microsecond. */
	return tb->start_us + (int64_t)((tb->sent * 1000000 + tb->rate - 1) / tb->rate);
}

void tb_idle(struct token_bucket *tb)
{
	if (!tb->enabled || !tb->busy)
		return;
	tb->free_us = tb_sent_at(tb);
	tb->busy = false;
}

size_t tb_available(const struct token_bucket *tb, int64_t now)
{
	uint64_t allowed;

	if (!tb->enabled)
		return SIZE_MAX;
	if (!tb->busy || now <= tb->start_us)
		return 0;
	allowed = (uint64_t)(now - tb->start_us) * tb->rate / 1000000;
	return allowed > tb->sent ? (size_t)(allowed - tb->sent) : 0;
}

void tb_take(struct token_bucket *tb, size_t n)
{
	if (tb->enabled)
		tb->sent += n;
}

size_t tb_batch(const struct token_bucket *tb, size_t pending)
{
	size_t batch = tb->enabled ? (size_t)(tb->rate / 1000) : SIZE_MAX;

	if (batch < 1)
		batch = 1;
	if (pending < batch)
		batch = pending ? pending : 1;
	return batch;
}

int64_t tb_ready_at(const struct token_bucket *tb, size_t want, int64_t now)
{
	int64_t t;

	if (!tb->enabled || tb_available(tb, now) >= want)
		return now;
	/* The first microsecond at which rate * (t - start) covers
	 * sent + want bytes. */
	t = tb->start_us + (int64_t)(((tb->sent + want) * 1000000 + tb->rate - 1) / tb->rate);
	return t > now ? t : now;
}
