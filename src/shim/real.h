/*
 * libc's own versions of the calls the shim intercepts, found with
 * dlsym(RTLD_NEXT), for the interposers: until dlsym has answered they go
 * straight to the kernel. The rest of the shim, and everything beneath it,
 * calls libc_calls.h, which real_libc_init() points at these.
 */
#ifndef ST87_SHIM_REAL_H
#define ST87_SHIM_REAL_H

#include <netdb.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

struct real_libc {
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*close)(int);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*shutdown)(int, int);
	int (*fclose)(FILE *);
	int (*getaddrinfo)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	void (*freeaddrinfo)(struct addrinfo *);
	struct hostent *(*gethostbyname)(const char *);
	struct hostent *(*gethostbyname2)(const char *, int);
};

extern struct real_libc real;

/* Looks every function up; called once, before anything else in the shim. */
void real_libc_init(void);

#endif
