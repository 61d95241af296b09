/* connect(): routed destinations go over the modem, the rest to libc. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "daemon_client.h"
#include "real.h"
#include "shim.h"

/* The answer a kernel TCP socket gives to a second connect(). */
static int connect_again(int fd, struct routed_socket *s)
{
	daemon_take_reports(s, fd, false);
	pthread_mutex_lock(&engine_lock);
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
	pthread_mutex_unlock(&engine_lock);
	return err;
}

/*
 * connect() on an unconnected UDP socket already routed by sendto(): as on a
 * kernel socket, the address becomes where send() goes (AF_UNSPEC forgets
 * it). The datagrams keep their headers: the engine's end does not change.
 */
static int connect_unconnected_udp(struct routed_socket *s, const struct sockaddr *addr,
				   socklen_t addr_len)
{
	if (addr_len < sizeof(sa_family_t))
		return -EINVAL;
	socklen_t least = routed_address_size(addr->sa_family);
	if (addr->sa_family != AF_UNSPEC && (!least || addr_len < least))
		return addr->sa_family == AF_INET || addr->sa_family == AF_INET6 ? -EINVAL
										 : -EAFNOSUPPORT;
	if (addr_len > sizeof(s->default_destination))
		return -EINVAL;
	pthread_mutex_lock(&engine_lock);
	s->default_destination_len = addr->sa_family == AF_UNSPEC ? 0 : addr_len;
	memcpy(&s->default_destination, addr, s->default_destination_len);
	pthread_mutex_unlock(&engine_lock);
	return 0;
}

/* glibc declares the address as a transparent union; take it the same way. */
int connect(int fd, __CONST_SOCKADDR_ARG address, socklen_t addr_len)
{
	const struct sockaddr *addr = address.__sockaddr__;
	shim_init();
	if (on_engine_thread)
		return real.connect(fd, addr, addr_len);
	struct routed_socket *s = shim_lookup(fd);
	if (s) {
		int err = s->framed ? connect_unconnected_udp(s, addr, addr_len) : connect_again(fd, s);
		shim_release(s);
		if (!err)
			return 0;
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
