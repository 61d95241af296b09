/* connect(): routed destinations go over the modem, the rest to libc. */
#include <errno.h>
#include <stdbool.h>

#include "daemon_client.h"
#include "real.h"
#include "shim.h"

/* The answer a kernel TCP socket gives to a second connect(). */
static int connect_again(int fd, struct routed_socket *s)
{
	daemon_take_reports(s, fd, false);
	pthread_mutex_lock(&shim.lock);
	int err = 0;
	switch (s->state) {
	case ROUTED_CONNECTING:
		err = -EALREADY;
		break;
	case ROUTED_CONNECTED:
		err = -EISCONN;
		break;
	case ROUTED_FAILED:
	case ROUTED_CLOSED:
		err = -(s->error && !s->error_reported ? s->error : ECONNABORTED);
		s->error_reported = true;
		break;
	}
	pthread_mutex_unlock(&shim.lock);
	return err;
}

/* glibc declares the address as a transparent union; take it the same way. */
int connect(int fd, __CONST_SOCKADDR_ARG address, socklen_t addr_len)
{
	const struct sockaddr *addr = address.__sockaddr__;
	shim_init();
	if (shim_internal_call)
		return real.connect(fd, addr, addr_len);
	struct routed_socket *s = shim_lookup(fd);
	if (s) {
		int err = connect_again(fd, s);
		shim_release(s);
		errno = -err;
		return -1;
	}
	if (!shim_routes(addr, addr_len))
		return real.connect(fd, addr, addr_len);
	int err = shim_route_connect(fd, addr, addr_len, 0);
	if (err == 1)
		return real.connect(fd, addr, addr_len);
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}
