/* Who could have made st87d's socket file (socket_trust.h). */
#include "socket_trust.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * @innermost: the socket's own directory, where a sticky bit is no excuse
 * (another user may still create the name before st87d does, or after).
 * Above it a sticky directory is safe: its entries owned by root or @owner
 * cannot be renamed or removed by others.
 */
static int check_directory(const char *directory, uid_t owner, bool innermost, char *why, size_t why_len)
{
	struct stat status;
	if (stat(directory, &status) < 0) {
		int err = errno;
		snprintf(why, why_len, "directory %s: %s", directory, strerror(err));
		return -err;
	}
	if (status.st_uid != 0 && status.st_uid != owner) {
		snprintf(why, why_len, "directory %s is owned by uid %d, not by root or uid %d",
			 directory, (int)status.st_uid, (int)owner);
		return -EPERM;
	}
	bool others_may_write = status.st_mode & (S_IWGRP | S_IWOTH);
	if (others_may_write && (innermost || !(status.st_mode & S_ISVTX))) {
		snprintf(why, why_len, "directory %s is writable by %s (mode %04o)", directory,
			 innermost ? "its group or others"
				   : "its group or others, without the sticky bit",
			 (unsigned)(status.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int st87d_socket_directory_private(const char *socket_path, uid_t owner, char *why, size_t why_len)
{
	char named[PATH_MAX];
	snprintf(named, sizeof(named), "%s", socket_path);
	char *slash = strrchr(named, '/');
	if (!slash)
		snprintf(named, sizeof(named), ".");
	else if (slash == named)
		named[1] = '\0';
	else
		*slash = '\0';
	char resolved[PATH_MAX];
	if (!realpath(named, resolved)) {
		int err = errno;
		snprintf(why, why_len, "directory %s: %s", named, strerror(err));
		return -err;
	}
	int err = check_directory(resolved, owner, true, why, why_len);
	/* Each directory above, from the innermost up to "/": cut the path at its last slash. */
	for (char *end = strrchr(resolved, '/'); !err && end; end = strrchr(resolved, '/')) {
		if (end == resolved) {
			err = strcmp(resolved, "/") == 0
				? 0
				: check_directory("/", owner, false, why, why_len);
			break;
		}
		*end = '\0';
		err = check_directory(resolved, owner, false, why, why_len);
	}
	return err;
}
