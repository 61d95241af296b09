/*
 * Test helper, preloaded before the shim: the wall clock (CLOCK_REALTIME)
 * reads an hour behind, as after a clock step. Deadlines taken from it are
 * an hour in the kernel's past, so any wait measured on it ends at once.
 */
#include <dlfcn.h>
#include <string.h>
#include <time.h>

#define STEP_SECONDS 3600

int clock_gettime(clockid_t clock, struct timespec *now)
{
	static int (*next)(clockid_t, struct timespec *);
	if (!next) {
		void *found = dlsym(RTLD_NEXT, "clock_gettime");
		memcpy(&next, &found, sizeof(next));
	}
	int result = next(clock, now);
	if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE))
		now->tv_sec -= STEP_SECONDS;
	return result;
}
