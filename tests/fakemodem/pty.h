/* The pseudo-terminal the fake modem serves. */
#ifndef FM_PTY_H
#define FM_PTY_H

struct fm_pty {
	int master;     /* the modem's end: non-blocking */
	int slave;      /* held open so the master never reads EIO */
	char path[128]; /* the slave's name, e.g. /dev/pts/3 */
	char *link;     /* symlink made by pty_link(), or NULL */
};

/* Opens a pty with its slave in raw mode. Returns 0, or -errno with a reason
 * written to err. */
int pty_open(struct fm_pty *p, char *err, unsigned errlen);
/* Makes `link` a symlink to the slave, replacing an existing symlink (never
 * a regular file). Returns 0 or -errno with a reason in err. */
int pty_link(struct fm_pty *p, const char *link, char *err, unsigned errlen);
/* Closes both ends and removes the symlink if it still points to the slave. */
void pty_close(struct fm_pty *p);

#endif
