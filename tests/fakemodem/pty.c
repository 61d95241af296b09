#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "die.h"

static int fail(char *err, unsigned errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -e;
}

int pty_open(struct fm_pty *p, char *err, unsigned errlen)
{
	struct termios tio;
	int flags;
	int e;

	p->slave = -1;
	p->link = NULL;
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0)
		return fail(err, errlen, "posix_openpt", errno);
	if (grantpt(p->master) || unlockpt(p->master)) {
		e = errno;
		goto fail_master;
	}
	e = ptsname_r(p->master, p->path, sizeof(p->path));
	if (e)
		goto fail_master;
	/* Our own slave fd: without it the master reads EIO (and poll reports
	 * POLLHUP in a loop) whenever no client has the slave open, e.g. while
	 * the driver closes and reopens the port. */
	p->slave = open(p->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0) {
		e = errno;
		goto fail_master;
	}
	if (tcgetattr(p->slave, &tio)) {
		e = errno;
		goto fail_slave;
	}
	/* Raw: no echo by the line discipline, no CR/LF translation, no
	 * signals from control characters; binary payloads pass untouched. */
	cfmakeraw(&tio);
	if (tcsetattr(p->slave, TCSANOW, &tio)) {
		e = errno;
		goto fail_slave;
	}
	flags = fcntl(p->master, F_GETFL);
	if (flags < 0 || fcntl(p->master, F_SETFL, flags | O_NONBLOCK)) {
		e = errno;
		goto fail_slave;
	}
	return 0;

fail_slave:
	close(p->slave);
	p->slave = -1;
fail_master:
	close(p->master);
	p->master = -1;
	return fail(err, errlen, "opening a pseudo-terminal", e);
}

int pty_link(struct fm_pty *p, const char *link, char *err, unsigned errlen)
{
	struct stat st;

	if (lstat(link, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			snprintf(err, errlen, "--link %s: exists and is not a symlink", link);
			return -EEXIST;
		}
		if (unlink(link))
			return fail(err, errlen, link, errno);
	}
	if (symlink(p->path, link))
		return fail(err, errlen, link, errno);
	p->link = fm_strdup(link);
	return 0;
}

void pty_close(struct fm_pty *p)
{
	if (p->link) {
		char target[sizeof(p->path)];
		ssize_t n = readlink(p->link, target, sizeof(target) - 1);

		/* Someone may have pointed the link elsewhere since: leave it. */
		if (n >= 0) {
			target[n] = '\0';
			if (!strcmp(target, p->path))
				unlink(p->link);
		}
		free(p->link);
		p->link = NULL;
	}
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	p->slave = p->master = -1;
}
