/* Token bucket that paces bytes at a serial line's speed (baud / 10 bytes per
 * second: 8 data bits plus start and stop bit). One bucket per direction. */
#ifndef FM_PACING_H
#define FM_PACING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct token_bucket {
	bool enabled;
	double rate;   /* bytes per second */
	double burst;  /* most tokens that can pile up while idle */
	double tokens;
	int64_t last_us;
};

/* bytes_per_sec 0 disables pacing: every query then answers "unlimited". */
void tb_init(struct token_bucket *tb, unsigned long bytes_per_sec, int64_t now);
/* Whole bytes that may pass now (SIZE_MAX when pacing is off). */
size_t tb_available(struct token_bucket *tb, int64_t now);
void tb_take(struct token_bucket *tb, size_t n);
/* When at least one byte may pass (now if one already may). */
int64_t tb_ready_at(const struct token_bucket *tb, int64_t now);

#endif
