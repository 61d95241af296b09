/*
 * st87d's own listening socket (listen_socket.h). Whoever can create a name
 * in the socket's directory can take it first and be handed every program's
 * pair ends, or swap in a link for a chmod to follow: so the directory must
 * be one only root and st87d's user can write (socket_trust.c), and the
 * socket file has its mode from the moment bind creates it.
 */
#include "listen_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "socket_trust.h"

static int make_parent_directory(const char *path)
{
	char directory[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(directory, sizeof(directory), "%s", path);
	char *slash = strrchr(directory, '/');
	if (!slash || slash == directory)
		return 0;
	*slash = '\0';
	if (mkdir(directory, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Removes what a dead daemon left at @path; 0, or -errno with @why. */
static int clear_name(const char *path, char *why, size_t why_len)
{
	struct stat status;
	if (lstat(path, &status) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(status.st_mode)) {
		snprintf(why, why_len,
			 "it exists and is not a socket (st87d replaces only a dead daemon's)");
		return -EEXIST;
	}
	return unlink(path) < 0 ? -errno : 0;
}

/* Binds @fd to @address with exactly @mode: set by the umask, so no wider mode is ever seen. */
static int bind_with_mode(int fd, const struct sockaddr_un *address, mode_t mode)
{
	/* st87d has one thread here (the engine's starts later), so the process-wide umask is ours. */
	mode_t before = umask(~mode & 0777);
	int err = bind(fd, (const struct sockaddr *)address, sizeof(*address)) < 0 ? -errno : 0;
	umask(before);
	return err;
}

/* A live listener of @type at @address: a daemon still serving there. */
static bool someone_listens(const struct sockaddr_un *address, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	bool live = fd >= 0 && connect(fd, (const struct sockaddr *)address, sizeof(*address)) == 0;
	if (fd >= 0)
		close(fd);
	return live;
}

int listen_at(const char *path, const struct access_policy *policy, mode_t mode, int type)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (path[0] != '/' || strlen(path) >= sizeof(address.sun_path)) {
		fprintf(stderr, "st87d: %s: expected an absolute path shorter than %zu bytes\n", path,
			sizeof(address.sun_path));
		return -1;
	}
	memcpy(address.sun_path, path, strlen(path) + 1);
	if (someone_listens(&address, type)) {
		fprintf(stderr, "st87d: another st87d already serves %s\n", path);
		return -1;
	}
	char why[PATH_MAX + 128] = "";
	int err = make_parent_directory(path);
	if (!err && st87d_socket_directory_private(path, geteuid(), why, sizeof(why)) < 0) {
		fprintf(stderr, "st87d: will not serve on %s: %s, so another user could take its name\n",
			path, why);
		return -1;
	}
	if (!err)
		err = clear_name(path, why, sizeof(why));
	int fd = err ? -1 : socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (!err && fd < 0)
		err = -errno;
	if (!err)
		err = bind_with_mode(fd, &address, mode);
	bool bound = !err;
	if (!err && listen(fd, 64) < 0)
		err = -errno;
	if (!err && !policy->any_group &&
	    fchownat(AT_FDCWD, path, (uid_t)-1, policy->group, AT_SYMLINK_NOFOLLOW) < 0)
		err = -errno;
	if (err) {
		fprintf(stderr, "st87d: cannot serve on %s: %s\n", path, why[0] ? why : strerror(-err));
		if (bound)
			unlink(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
