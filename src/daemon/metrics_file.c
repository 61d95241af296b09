#include "metrics_file.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "metrics_text.h"

static struct metrics_file_settings settings;

/*
 * Written beside the file, flushed to the disk, and renamed over it: a reader,
 * or the gateway after a power cut, finds the old text or the new, whole
 * (without the fsync the rename could reach the disk before the text). The
 * temporary file is removed on every failure.
 */
static int write_file(void)
{
	size_t len = strlen(settings.path);
	char *temporary = malloc(len + sizeof(".XXXXXX"));
	if (!temporary)
		return -ENOMEM;
	memcpy(temporary, settings.path, len);
	memcpy(temporary + len, ".XXXXXX", sizeof(".XXXXXX"));
	int fd = mkstemp(temporary);
	if (fd < 0) {
		int err = -errno;
		free(temporary);
		return err;
	}
	FILE *out = fdopen(fd, "w");
	if (!out) {
		int err = -errno;
		close(fd);
		unlink(temporary);
		free(temporary);
		return err;
	}
	fchmod(fd, 0644);
	metrics_text(out);
	int err = ferror(out) | fflush(out) ? -EIO : 0;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (fclose(out) != 0 && !err)
		err = -EIO;
	if (!err && rename(temporary, settings.path) < 0)
		err = -errno;
	if (err)
		unlink(temporary);
	free(temporary);
	return err;
}

static void *write_every_interval(void *unused)
{
	(void)unused;
	int last_err = 0;
	for (;;) {
		int err = write_file();
		/* One line when writing starts failing, and one when it works again. */
		if (err && err != last_err)
			st87_log(ST87_LOG_ERROR, "--metrics-file %s: %s", settings.path, strerror(-err));
		else if (!err && last_err)
			st87_log(ST87_LOG_INFO, "--metrics-file %s: written again", settings.path);
		last_err = err;
		struct timespec pause = {.tv_sec = settings.interval_s};
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int metrics_file_start(const struct metrics_file_settings *given)
{
	settings = *given;
	pthread_t thread;
	int err = pthread_create(&thread, NULL, write_every_interval, NULL);
	if (err)
		return -err;
	pthread_detach(thread);
	return 0;
}
