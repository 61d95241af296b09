/*
 * The serial port: libserialport for real UARTs, termios for pseudo-terminals
 * (libserialport 0.1.x looks ports up in sysfs and refuses /dev/pts/N).
 * After open, all I/O goes through the port's fd with poll(), so deadlines
 * hold whichever way the port was opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"
#include "st87/st87.h"
#include "libc_calls.h"

/* STMicroelectronics' USB vendor id, used by the ST87 evaluation boards' bridges. */
#define ST_USB_VENDOR_ID 0x0483

struct st87_serial {
	int fd;
	char path[PATH_MAX];
};

static bool is_pseudo_terminal(const char *resolved_path)
{
	return strncmp(resolved_path, "/dev/pts/", 9) == 0;
}

static int open_with_termios(struct st87_serial *serial, speed_t speed, bool rtscts)
{
	serial->fd = open(serial->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (serial->fd < 0)
		return -errno;
	struct termios tio;
	if (tcgetattr(serial->fd, &tio) < 0)
		return -errno == -ENOTTY ? -EINVAL : -errno;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB);
	if (rtscts)
		tio.c_cflag |= CRTSCTS;
	else
		tio.c_cflag &= ~(tcflag_t)CRTSCTS;
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	if (tcsetattr(serial->fd, TCSANOW, &tio) < 0)
		return -errno;
	return 0;
}

static int sp_result_errno(enum sp_return result)
{
	switch (result) {
	case SP_OK:
		return 0;
	case SP_ERR_ARG:
		return -EINVAL;
	case SP_ERR_MEM:
		return -ENOMEM;
	case SP_ERR_SUPP:
		return -EOPNOTSUPP;
	case SP_ERR_FAIL:
	default: {
		int err = sp_last_error_code();
		return err > 0 ? -err : -EIO;
	}
	}
}

static int configure_with_libserialport(struct sp_port *port, int baud, bool rtscts)
{
	int err = sp_result_errno(sp_set_baudrate(port, baud));
	if (!err)
		err = sp_result_errno(sp_set_bits(port, 8));
	if (!err)
		err = sp_result_errno(sp_set_parity(port, SP_PARITY_NONE));
	if (!err)
		err = sp_result_errno(sp_set_stopbits(port, 1));
	if (!err)
		err = sp_result_errno(
			sp_set_flowcontrol(port, rtscts ? SP_FLOWCONTROL_RTSCTS : SP_FLOWCONTROL_NONE));
	return err;
}

/*
 * libserialport configures the port; we then keep a duplicate of its fd and
 * let libserialport go. Line settings belong to the tty, not to the fd, so
 * they stay; and the fd can be placed where the caller wants it.
 */
static int open_with_libserialport(struct st87_serial *serial, int baud, bool rtscts, int min_fd)
{
	struct sp_port *port = NULL;
	int err = sp_result_errno(sp_get_port_by_name(serial->path, &port));
	if (!err)
		err = sp_result_errno(sp_open(port, SP_MODE_READ_WRITE));
	if (!err)
		err = configure_with_libserialport(port, baud, rtscts);
	int port_fd = -1;
	if (!err && sp_get_port_handle(port, &port_fd) != SP_OK)
		err = -EIO;
	if (!err) {
		serial->fd = libc_fcntl(port_fd, F_DUPFD_CLOEXEC, min_fd);
		if (serial->fd < 0)
			err = -errno;
	}
	if (port) {
		sp_close(port);
		sp_free_port(port);
	}
	if (err)
		return err;
	/* libserialport opens blocking; our reads and writes wait in poll() instead. */
	int flags = libc_fcntl(serial->fd, F_GETFL, 0);
	if (flags < 0 || libc_fcntl(serial->fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int move_fd_up(struct st87_serial *serial, int min_fd)
{
	if (serial->fd >= min_fd)
		return 0;
	int moved = libc_fcntl(serial->fd, F_DUPFD_CLOEXEC, min_fd);
	if (moved < 0)
		return -errno;
	libc_close(serial->fd);
	serial->fd = moved;
	return 0;
}

/*
 * Two locks. An open file description lock (F_OFD_SETLK) makes the port
 * exclusive: it belongs to this open of the port, so closing another fd of
 * the same file in this process cannot drop it, and a second open in the same
 * process is refused too. A POSIX record lock beside it records our pid,
 * because F_GETLK names a POSIX lock's holder and never an OFD lock's. A
 * forked child shares the open (and its lock) but cannot open the port anew.
 */
#define EXCLUSIVE_BYTE 0 /* the OFD lock */
#define OWNER_BYTE 1     /* the POSIX lock that names the pid */

static int lock_port(struct st87_serial *serial)
{
	struct flock exclusive = {.l_type = F_WRLCK,
				  .l_whence = SEEK_SET,
				  .l_start = EXCLUSIVE_BYTE,
				  .l_len = 1};
	if (libc_fcntl_lock(serial->fd, F_OFD_SETLK, &exclusive) < 0) {
		if (errno != EAGAIN && errno != EACCES)
			return st87_fail(-errno, "%s: cannot lock: %s", serial->path, strerror(errno));
		struct flock holder = {.l_type = F_WRLCK,
				       .l_whence = SEEK_SET,
				       .l_start = OWNER_BYTE,
				       .l_len = 1};
		if (libc_fcntl_lock(serial->fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK) {
			char program[ST87_PROCESS_NAME_SIZE];
			st87_process_name((long)holder.l_pid, program, sizeof(program));
			bool daemon = strcmp(program, "st87d") == 0;
			return st87_fail(
				-EBUSY, "%s: port busy (pid %ld%s%s)%s", serial->path,
				(long)holder.l_pid, program[0] ? ", " : "", program,
				daemon ? ": st87d serves the modem; programs use it through the shim"
				       : "");
		}
		return st87_fail(-EBUSY, "%s: port busy (pid %ld, this process)", serial->path,
				 (long)getpid());
	}
	struct flock owner = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = OWNER_BYTE, .l_len = 1};
	libc_fcntl_lock(serial->fd, F_SETLK, &owner);
	return 0;
}

int st87_serial_open(const char *path, const struct st87_serial_options *options,
		     struct st87_serial **out)
{
	int baud = options && options->baud ? options->baud : ST87_DEFAULT_BAUD;
	bool rtscts = options && options->rtscts;
	speed_t speed;
	if (!path || !*path)
		return st87_fail(-EINVAL, "no serial port given");
	if (st87_baud_speed(baud, &speed) < 0)
		return st87_fail(-EINVAL, "unsupported baud rate %d", baud);

	struct st87_serial *serial = calloc(1, sizeof(*serial));
	if (!serial)
		return st87_fail(-ENOMEM, "out of memory");
	serial->fd = -1;
	if (!realpath(path, serial->path)) {
		int err = -errno;
		free(serial);
		return st87_fail(err, "%s: %s", path, strerror(-err));
	}

	int min_fd = options && options->min_fd > 0 ? options->min_fd : 0;
	int err = is_pseudo_terminal(serial->path)
		? open_with_termios(serial, speed, rtscts)
		: open_with_libserialport(serial, baud, rtscts, min_fd);
	if (!err)
		err = move_fd_up(serial, min_fd);
	if (err) {
		st87_fail(err, "%s: cannot open: %s", path,
			  err == -EINVAL ? "not a serial port" : strerror(-err));
		goto fail;
	}
	err = lock_port(serial);
	if (err)
		goto fail;
	tcflush(serial->fd, TCIOFLUSH);
	if (rtscts)
		st87_info("%s: RTS/CTS flow control on", path);
	*out = serial;
	return 0;
fail:
	st87_serial_close(serial);
	return err;
}

void st87_serial_close(struct st87_serial *serial)
{
	if (!serial)
		return;
	if (serial->fd >= 0)
		libc_close(serial->fd);
	free(serial);
}

int st87_serial_fd(const struct st87_serial *serial)
{
	return serial->fd;
}

const char *st87_serial_path(const struct st87_serial *serial)
{
	return serial->path;
}

static int wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);
		if (n > 0)
			return (pfd.revents & (POLLERR | POLLNVAL)) ? -EIO : 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int st87_serial_write_all(struct st87_serial *serial, const void *data, size_t len, int timeout_ms)
{
	const char *bytes = data;
	long long deadline = st87_now_ms() + timeout_ms;
	while (len > 0) {
		ssize_t n = write(serial->fd, bytes, len);
		if (n > 0) {
			bytes += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return st87_fail(-EIO, "%s: write failed: %s", serial->path, strerror(errno));
		int ready = wait_for(serial->fd, POLLOUT, st87_ms_until(deadline));
		if (ready < 0)
			return st87_fail(-EIO, "%s: port failed", serial->path);
		if (ready == 0)
			return st87_fail(-ETIMEDOUT, "%s: write timed out (flow control?)",
					 serial->path);
	}
	return 0;
}

ssize_t st87_serial_read(struct st87_serial *serial, void *buf, size_t len, int timeout_ms)
{
	for (;;) {
		ssize_t n = read(serial->fd, buf, len);
		if (n > 0)
			return n;
		if (n == 0)
			return st87_fail(-EIO, "%s: port closed", serial->path);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return st87_fail(-EIO, "%s: read failed: %s", serial->path, strerror(errno));
		if (timeout_ms == 0)
			return 0; /* nothing waits; a poll() would only say so again */
		int ready = wait_for(serial->fd, POLLIN, timeout_ms);
		if (ready < 0)
			return st87_fail(-EIO, "%s: port failed", serial->path);
		if (ready == 0)
			return 0;
		timeout_ms = 0;
	}
}

static bool looks_like_modem(int vid, const char *description)
{
	return vid == ST_USB_VENDOR_ID || (description && strstr(description, "ST87"));
}

int st87_serial_list(struct st87_port_info *ports, size_t max)
{
	struct sp_port **list = NULL;
	int err = sp_result_errno(sp_list_ports(&list));
	if (err)
		return st87_fail(err, "cannot list serial ports: %s", strerror(-err));
	int count = 0;
	for (struct sp_port **port = list; *port; port++, count++) {
		if ((size_t)count >= max)
			continue;
		struct st87_port_info *info = &ports[count];
		memset(info, 0, sizeof(*info));
		snprintf(info->path, sizeof(info->path), "%s", sp_get_port_name(*port));
		const char *description = sp_get_port_description(*port);
		snprintf(info->description, sizeof(info->description), "%s",
			 description ? description : "");
		info->usb_vid = info->usb_pid = -1;
		if (sp_get_port_transport(*port) == SP_TRANSPORT_USB)
			sp_get_port_usb_vid_pid(*port, &info->usb_vid, &info->usb_pid);
		info->looks_like_modem = looks_like_modem(info->usb_vid, description);
	}
	sp_free_port_list(list);
	return count;
}

int st87_serial_find_modem(char *path, size_t path_len)
{
	struct st87_port_info ports[32];
	int count = st87_serial_list(ports, 32);
	if (count < 0)
		return count;
	int found = -1, matches = 0;
	for (int i = 0; i < count && i < 32; i++) {
		if (ports[i].looks_like_modem) {
			matches++;
			if (found < 0)
				found = i;
		}
	}
	if (matches == 0)
		return st87_fail(-ENODEV, "no serial port looks like an ST87 modem (see st87ctl ports)");
	if (matches > 1)
		return st87_fail(-EEXIST,
				 "%d ports look like an ST87 modem; set ST87_PORT to one of them",
				 matches);
	snprintf(path, path_len, "%s", ports[found].path);
	return 0;
}
