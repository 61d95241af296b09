/*
 * close(), close_range(), closefrom(), and fclose() of a FILE made with
 * fdopen() (libc closes its fd inside, out of our reach): forget routed fds; keep the shim's own
 * fds (serial port, engine ends, wake-up) open under programs that close
 * every fd they do not know, as daemons and ssh do.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"
#include "shim.h"

/* Forgets @fd if routed. True when it is one of the shim's own fds: do not close it. */
static bool forget(int fd)
{
	if (!shim_fd_maybe_mapped(fd))
		return false;
	pthread_mutex_lock(&shim.lock);
	bool was_private;
	shim_map_remove_locked(fd, &was_private);
	pthread_mutex_unlock(&shim.lock);
	return was_private;
}

int close(int fd)
{
	shim_init();
	if (on_engine_thread)
		return real.close(fd);
	if (forget(fd))
		return 0; /* the program thinks it closed a stray fd; the shim needs it */
	return real.close(fd);
}

int fclose(FILE *stream)
{
	shim_init();
	if (!real.fclose) {
		/* Called while the shim is still finding libc (by dlsym itself, say). */
		void *found = dlsym(RTLD_NEXT, "fclose");
		if (!found) {
			errno = ENOSYS;
			return EOF;
		}
		int (*libc_fclose)(FILE *);
		memcpy(&libc_fclose, &found, sizeof(libc_fclose));
		return libc_fclose(stream);
	}
	/* Forgotten before libc closes it: another thread may get the number back at once. */
	int fd = stream && !on_engine_thread ? fileno(stream) : -1;
	if (fd >= 0 && shim_fd_maybe_mapped(fd) && !shim_is_private_fd(fd))
		forget(fd);
	return real.fclose(stream);
}

static int close_range_raw(unsigned int first, unsigned int last, int flags)
{
	if (real.close_range)
		return real.close_range(first, last, flags);
	return (int)syscall(SYS_close_range, first, last, flags);
}

static int compare_fds(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes [first, last] around the shim's own fds, forgetting the routed ones in it. */
static int close_range_keeping_ours(unsigned int first, unsigned int last, int flags)
{
	size_t kept = 0, dropped = 0;
	pthread_mutex_lock(&shim.lock);
	size_t entries = HASH_COUNT(shim.fds) + 1;
	int *keep = malloc(entries * sizeof(*keep));
	int *drop = malloc(entries * sizeof(*drop));
	if (!keep || !drop) {
		pthread_mutex_unlock(&shim.lock);
		free(keep);
		free(drop);
		errno = ENOMEM; /* nothing closed: better than closing the shim's own fds */
		return -1;
	}
	struct fd_entry *entry, *next;
	HASH_ITER(hh, shim.fds, entry, next)
	{
		unsigned int fd = (unsigned int)entry->fd;
		if (fd < first || fd > last)
			continue;
		if (shim_entry_is_private(entry))
			keep[kept++] = entry->fd;
		else if (!(flags & CLOSE_RANGE_CLOEXEC))
			drop[dropped++] = entry->fd;
	}
	/* Not while iterating: forgetting a routed fd may free its record, which drops other entries (its st87d connection). */
	for (size_t i = 0; i < dropped; i++) {
		bool was_private;
		shim_map_remove_locked(drop[i], &was_private);
	}
	pthread_mutex_unlock(&shim.lock);
	free(drop);
	qsort(keep, kept, sizeof(keep[0]), compare_fds);
	/* 64 bits: the fd after the last one kept may be one past UINT_MAX. */
	unsigned long long start = first;
	int result = 0;
	for (size_t i = 0; i < kept && result == 0; i++) {
		unsigned long long fd = (unsigned int)keep[i];
		if (fd > start)
			result = close_range_raw((unsigned int)start, (unsigned int)(fd - 1), flags);
		start = fd + 1;
	}
	free(keep);
	if (result == 0 && start <= last)
		result = close_range_raw((unsigned int)start, last, flags);
	return result;
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	shim_init();
	if (on_engine_thread || atomic_load(&shim.fd_count) == 0 || first > last)
		return close_range_raw(first, last, flags);
	return close_range_keeping_ours(first, last, flags);
}

void closefrom(int lowest)
{
	shim_init();
	if (lowest < 0)
		lowest = 0;
	if (on_engine_thread || atomic_load(&shim.fd_count) == 0) {
		if (real.closefrom)
			real.closefrom(lowest);
		else
			close_range_raw((unsigned int)lowest, ~0u, 0);
		return;
	}
	close_range_keeping_ours((unsigned int)lowest, ~0u, 0);
}
