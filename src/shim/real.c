#include "real.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libc_calls.h"

/*
 * Until dlsym() has answered, calls go straight to the kernel: a sanitizer
 * runtime or dlsym itself may call close() or fcntl() while the shim is
 * still finding libc, and those calls land here.
 */
static int early_connect(int fd, const struct sockaddr *a, socklen_t l)
{
	return (int)syscall(SYS_connect, fd, a, l);
}
static int early_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}
static int early_close_range(unsigned int f, unsigned int l, int flags)
{
	return (int)syscall(SYS_close_range, f, l, flags);
}
static int early_dup(int fd)
{
	return (int)syscall(SYS_dup, fd);
}
static int early_dup2(int a, int b)
{
	return a == b ? a : (int)syscall(SYS_dup3, a, b, 0);
}
static int early_dup3(int a, int b, int flags)
{
	return (int)syscall(SYS_dup3, a, b, flags);
}
static int early_fcntl(int fd, int command, ...)
{
	va_list args;
	va_start(args, command);
	void *argument = va_arg(args, void *);
	va_end(args);
	return (int)syscall(SYS_fcntl, fd, command, argument);
}
static ssize_t early_sendto(int fd, const void *b, size_t n, int f, const struct sockaddr *a,
			    socklen_t l)
{
	return syscall(SYS_sendto, fd, b, n, f, a, l);
}
static ssize_t early_send(int fd, const void *b, size_t n, int f)
{
	return early_sendto(fd, b, n, f, NULL, 0);
}
static ssize_t early_sendmsg(int fd, const struct msghdr *m, int f)
{
	return syscall(SYS_sendmsg, fd, m, f);
}
static ssize_t early_recvfrom(int fd, void *b, size_t n, int f, struct sockaddr *a, socklen_t *l)
{
	return syscall(SYS_recvfrom, fd, b, n, f, a, l);
}
static ssize_t early_recv(int fd, void *b, size_t n, int f)
{
	return early_recvfrom(fd, b, n, f, NULL, NULL);
}
static ssize_t early_recvmsg(int fd, struct msghdr *m, int f)
{
	return syscall(SYS_recvmsg, fd, m, f);
}
static int early_getsockopt(int fd, int lv, int nm, void *v, socklen_t *l)
{
	return (int)syscall(SYS_getsockopt, fd, lv, nm, v, l);
}
static int early_setsockopt(int fd, int lv, int nm, const void *v, socklen_t l)
{
	return (int)syscall(SYS_setsockopt, fd, lv, nm, v, l);
}
static int early_getpeername(int fd, struct sockaddr *a, socklen_t *l)
{
	return (int)syscall(SYS_getpeername, fd, a, l);
}
static int early_getsockname(int fd, struct sockaddr *a, socklen_t *l)
{
	return (int)syscall(SYS_getsockname, fd, a, l);
}
static int early_shutdown(int fd, int how)
{
	return (int)syscall(SYS_shutdown, fd, how);
}

struct real_libc real = {
	.connect = early_connect,
	.close = early_close,
	.close_range = early_close_range,
	.dup = early_dup,
	.dup2 = early_dup2,
	.dup3 = early_dup3,
	.fcntl = early_fcntl,
	.fcntl64 = early_fcntl,
	.send = early_send,
	.sendto = early_sendto,
	.sendmsg = early_sendmsg,
	.recv = early_recv,
	.recvfrom = early_recvfrom,
	.recvmsg = early_recvmsg,
	.getsockopt = early_getsockopt,
	.setsockopt = early_setsockopt,
	.getpeername = early_getpeername,
	.getsockname = early_getsockname,
	.shutdown = early_shutdown,
};

/* dlsym returns void *; converting it to a function pointer is what POSIX asks for. Keeps the early version when libc lacks one. */
#define LOOK_UP(name)                                                  \
	do {                                                           \
		void *found = dlsym(RTLD_NEXT, #name);                 \
		if (found)                                             \
			memcpy(&real.name, &found, sizeof(real.name)); \
	} while (0)

void real_libc_init(void)
{
	LOOK_UP(connect);
	LOOK_UP(close);
	LOOK_UP(close_range);
	LOOK_UP(closefrom);
	LOOK_UP(dup);
	LOOK_UP(dup2);
	LOOK_UP(dup3);
	LOOK_UP(fcntl);
	LOOK_UP(fcntl64);
	LOOK_UP(send);
	LOOK_UP(sendto);
	LOOK_UP(sendmsg);
	LOOK_UP(recv);
	LOOK_UP(recvfrom);
	LOOK_UP(recvmsg);
	LOOK_UP(getsockopt);
	LOOK_UP(setsockopt);
	LOOK_UP(getpeername);
	LOOK_UP(getsockname);
	LOOK_UP(shutdown);
	LOOK_UP(fclose);
	LOOK_UP(getaddrinfo);
	LOOK_UP(freeaddrinfo);
	LOOK_UP(gethostbyname);
	LOOK_UP(gethostbyname2);
	if (!real.getaddrinfo || !real.freeaddrinfo || !real.gethostbyname || !real.gethostbyname2 ||
	    !real.fclose) {
		fputs("st87shim: cannot find libc's getaddrinfo or fclose; is this a glibc program?\n",
		      stderr);
		abort();
	}
	/* The engine, the core, the wire and the settings call libc itself, never the interposers above them. */
	const struct libc_calls libc_own = {
		.close_fn = real.close,
		.fclose_fn = real.fclose,
		/* With _FILE_OFFSET_BITS=64 the core's struct flock is fcntl64's (32-bit hosts); libc's
		 * "fcntl" there takes the old layout. */
		.fcntl_fn = real.fcntl64 ? real.fcntl64 : real.fcntl,
		.connect_fn = real.connect,
		.send_fn = real.send,
		.sendto_fn = real.sendto,
		.sendmsg_fn = real.sendmsg,
		.recv_fn = real.recv,
		.recvmsg_fn = real.recvmsg,
		.getsockopt_fn = real.getsockopt,
	};
	libc_calls_set(&libc_own);
}
