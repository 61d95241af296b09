/*
 * isolate: a network namespace with only loopback, for st87run --isolate
 * (isolate.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "isolate.h"

/* Writes @text to the /proc file @path; 0 or -errno. */
static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int err = n < 0 ? -errno : (size_t)n == strlen(text) ? 0 : -EIO;
	close(fd);
	return err;
}

/*
 * Without CAP_SYS_ADMIN: a user namespace of our own, in which we hold the
 * capabilities a network namespace needs, our uid and gid mapped to
 * themselves so that files and st87d see the same user (the capabilities
 * end at exec, as the program is not root).
 */
static int unprivileged_namespace(char *why, size_t len)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		snprintf(why, len,
			 "cannot make a network namespace: not root, and the kernel refuses this user a "
			 "user namespace (%s; see /proc/sys/user/max_user_namespaces)",
			 strerror(errno));
		return -1;
	}
	char map[64];
	int err = write_proc("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (!err || err == -ENOENT)
		err = write_proc("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if (!err)
		err = write_proc("/proc/self/gid_map", map);
	if (err) {
		snprintf(why, len, "cannot map this user into its user namespace (%s)", strerror(-err));
		return -1;
	}
	return 0;
}

/* A new network namespace has loopback down: up it goes, so the program's own loopback works. */
static int loopback_up(char *why, size_t len)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq request = {0};
	snprintf(request.ifr_name, sizeof(request.ifr_name), "lo");
	int ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &request) == 0;
	request.ifr_flags |= IFF_UP;
	ok = ok && ioctl(fd, SIOCSIFFLAGS, &request) == 0;
	if (!ok)
		snprintf(why, len, "cannot bring up loopback in the new network namespace (%s)",
			 strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int isolate_network(char *why, size_t len)
{
	if (unshare(CLONE_NEWNET) < 0) {
		if (errno != EPERM) {
			snprintf(why, len, "cannot make a network namespace (%s)", strerror(errno));
			return -1;
		}
		if (unprivileged_namespace(why, len) < 0)
			return -1;
	}
	return loopback_up(why, len);
}
