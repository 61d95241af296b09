/*
 * libc's own fd and socket calls, for the code beneath the shim (the core,
 * the settings, the wire and the engine) and for the shim's own code outside
 * its interposers (which call real.h's table: they may run while the shim
 * is still finding libc).
 *
 * In a program that preloads libst87shim.so, close(), send(), fcntl() and
 * the like are the shim's interposers, which look every fd up in the map of
 * the program's routed sockets. The driver's fds (the serial port, the
 * engine's ends of the pairs, its lookups' sockets) are not the program's,
 * so the code beneath the shim calls these instead: libc's definitions in
 * the shim (which points them there, libc_calls_set(), before anything else
 * runs), and in every other program simply the functions of those names.
 */
#ifndef ST87_LIBC_CALLS_H
#define ST87_LIBC_CALLS_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

int libc_close(int fd);
int libc_fclose(FILE *stream);
/* fcntl() with an int argument (0 where the command takes none). */
int libc_fcntl(int fd, int command, int argument);
/* fcntl() with a struct flock: F_GETLK, F_SETLK, F_OFD_SETLK and the like. */
int libc_fcntl_lock(int fd, int command, struct flock *lock);
int libc_connect(int fd, const struct sockaddr *address, socklen_t length);
ssize_t libc_send(int fd, const void *buffer, size_t length, int flags);
ssize_t libc_sendto(int fd, const void *buffer, size_t length, int flags, const struct sockaddr *address,
		    socklen_t address_length);
ssize_t libc_sendmsg(int fd, const struct msghdr *message, int flags);
ssize_t libc_recv(int fd, void *buffer, size_t length, int flags);
ssize_t libc_recvmsg(int fd, struct msghdr *message, int flags);
int libc_getsockopt(int fd, int level, int name, void *value, socklen_t *length);

/* Where each of the calls above goes. */
struct libc_calls {
	int (*close_fn)(int);
	int (*fclose_fn)(FILE *);
	int (*fcntl_fn)(int, int, ...);
	int (*connect_fn)(int, const struct sockaddr *, socklen_t);
	ssize_t (*send_fn)(int, const void *, size_t, int);
	ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
	ssize_t (*recv_fn)(int, void *, size_t, int);
	ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
	int (*getsockopt_fn)(int, int, int, void *, socklen_t *);
};

/* Points the calls elsewhere (the shim: at libc's own definitions), before any thread uses them. */
void libc_calls_set(const struct libc_calls *calls);

#endif
