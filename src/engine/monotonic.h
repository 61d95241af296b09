/* Timed waits on CLOCK_MONOTONIC: a step of the wall clock must not stretch or cut a timeout. */
#ifndef ST87_ENGINE_MONOTONIC_H
#define ST87_ENGINE_MONOTONIC_H

#include <pthread.h>
#include <time.h>

/* A condition variable whose timed waits use CLOCK_MONOTONIC (every one of the engine's and the shim's). */
void monotonic_cond_init(pthread_cond_t *cond);
/* The absolute CLOCK_MONOTONIC time @p ms from now, for pthread_cond_timedwait on those. */
struct timespec monotonic_deadline_after(int ms);

#endif
