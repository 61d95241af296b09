#include "rng.h"

void rng_seed(struct rng *r, uint64_t seed)
{
	/* xorshift must never hold 0; mix the seed so small seeds differ. */
	r->state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	if (!r->state)
		r->state = 1;
}

uint32_t rng_next(struct rng *r)
{
	uint64_t x = r->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

unsigned rng_range(struct rng *r, unsigned lo, unsigned hi)
{
	return lo + rng_next(r) % (hi - lo + 1);
}

bool rng_chance(struct rng *r, unsigned one_in)
{
	return rng_next(r) % one_in == 0;
}
