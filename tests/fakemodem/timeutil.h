/* Monotonic time in microseconds: every deadline in the fake modem uses it. */
#ifndef FM_TIMEUTIL_H
#define FM_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

/* A deadline that never comes. */
#define FM_NEVER INT64_MAX

static inline int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Keeps the earlier of two deadlines in *acc. */
static inline void deadline_min(int64_t *acc, int64_t t)
{
	if (t < *acc)
		*acc = t;
}

#endif
