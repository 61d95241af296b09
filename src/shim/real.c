#include "real.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct real_libc real;

/* dlsym returns void *; converting it to a function pointer is what POSIX asks for. */
#define LOOK_UP(name) memcpy(&real.name, &(void *){dlsym(RTLD_NEXT, #name)}, sizeof(real.name))

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
	LOOK_UP(getaddrinfo);
	LOOK_UP(freeaddrinfo);
	if (!real.connect || !real.close || !real.dup3 || !real.fcntl) {
		fputs("st87shim: cannot find libc's socket calls; is this a glibc program?\n", stderr);
		abort();
	}
}
