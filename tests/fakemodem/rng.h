/* A small seeded pseudo-random generator (xorshift64*), so a run with
 * --seed N fragments and injects noise the same way every time. */
#ifndef FM_RNG_H
#define FM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t state;
};

void rng_seed(struct rng *r, uint64_t seed);
uint32_t rng_next(struct rng *r);
/* Uniform in [lo, hi]. */
unsigned rng_range(struct rng *r, unsigned lo, unsigned hi);
/* True once in `one_in` calls on average. */
bool rng_chance(struct rng *r, unsigned one_in);

#endif
