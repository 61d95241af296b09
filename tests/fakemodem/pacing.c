#include "pacing.h"

#include <stdint.h>

void tb_init(struct token_bucket *tb, unsigned long bytes_per_sec, int64_t now)
{
	tb->enabled = bytes_per_sec > 0;
	tb->rate = (double)bytes_per_sec;
	/* About 10 ms worth of bytes: enough that the poll loop need not wake
	 * for every byte, small enough that the line still looks slow. */
	tb->burst = tb->rate / 100.0;
	if (tb->burst < 1.0)
		tb->burst = 1.0;
	tb->tokens = tb->burst;
	tb->last_us = now;
}

size_t tb_available(struct token_bucket *tb, int64_t now)
{
	if (!tb->enabled)
		return SIZE_MAX;
	if (now > tb->last_us) {
		tb->tokens += (double)(now - tb->last_us) * tb->rate / 1e6;
		if (tb->tokens > tb->burst)
			tb->tokens = tb->burst;
		tb->last_us = now;
	}
	return (size_t)tb->tokens;
}

void tb_take(struct token_bucket *tb, size_t n)
{
	if (tb->enabled)
		tb->tokens -= (double)n;
}

int64_t tb_ready_at(const struct token_bucket *tb, int64_t now)
{
	double missing;

	if (!tb->enabled || tb->tokens >= 1.0)
		return now;
	missing = 1.0 - tb->tokens;
	return tb->last_us + (int64_t)(missing * 1e6 / tb->rate) + 1;
}
