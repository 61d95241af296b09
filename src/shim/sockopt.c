/*
 * getsockopt/setsockopt on a routed socket: answered as the TCP or UDP
 * socket the program thinks it has, not as the Unix socket it holds.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon_client.h"
#include "real.h"
#include "shim.h"
#include "st87/st87shim.h"

static int answer_int(void *value, socklen_t *len, int answer)
{
	if (!value || !len || *len < sizeof(int)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(value, &answer, sizeof(answer));
	*len = sizeof(answer);
	return 0;
}

/* SO_ERROR: the connect's outcome, once. Also gives the program's end its send buffer back. */
static int take_error(int fd, struct routed_socket *s)
{
	daemon_take_reports(s, fd, false);
	pthread_mutex_lock(&engine_lock);
	int err = 0;
	if (s->state == ROUTED_FAILED && !s->error_reported) {
		err = s->error;
		s->error_reported = true;
	}
	int sndbuf = s->state == ROUTED_CONNECTED ? s->sndbuf_to_restore : 0;
	if (sndbuf > 0)
		s->sndbuf_to_restore = 0;
	pthread_mutex_unlock(&engine_lock);
	if (sndbuf > 0) {
		int half = sndbuf / 2; /* the kernel doubles what it is given */
		real.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &half, sizeof(half));
	}
	return err;
}

/* The value of an ST87_SO_RAI setsockopt, or -1 with errno EINVAL. */
static int rai_value(const void *value, socklen_t len)
{
	int rai;
	if (!value || len < sizeof(rai)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&rai, value, sizeof(rai));
	if (rai < ST87_RAI_NONE || rai > ST87_RAI_ONE_DOWNLINK) {
		errno = EINVAL;
		return -1;
	}
	return rai;
}

/*
 * ST87_SO_RAI on a UDP socket not routed yet (a program sets its options
 * before its first sendto): kept, and given to the socket when it is routed.
 * Only while routes exist; otherwise the kernel answers, as without the shim.
 */
static int set_pending_rai(int fd, const void *value, socklen_t len)
{
	int type = 0, domain = 0;
	socklen_t size = sizeof(type);
	bool inet_udp = real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 &&
		type == SOCK_DGRAM &&
		(size = sizeof(domain),
		 real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0) &&
		(domain == AF_INET || domain == AF_INET6);
	if (shim.config.inert || !inet_udp)
		return real.setsockopt(fd, SOL_ST87, ST87_SO_RAI, value, len);
	int rai = rai_value(value, len);
	if (rai < 0)
		return -1;
	int err = shim_set_pending_rai(fd, rai);
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* ST87_SO_RAI on a routed UDP socket (st87/st87shim.h). */
static int set_rai(struct routed_socket *s, const void *value, socklen_t len)
{
	if (s->type == SOCK_STREAM) {
		errno = ENOPROTOOPT;
		return -1;
	}
	int rai = rai_value(value, len);
	if (rai < 0)
		return -1;
	/* Read by the engine thread for each datagram; through st87d, by the daemon's. */
	__atomic_store_n(&s->rai, rai, __ATOMIC_RELAXED);
	if (s->daemon_fd >= 0 && daemon_set_rai(s, rai) < 0) {
		errno = ENETDOWN;
		return -1;
	}
	return 0;
}

static int routed_getsockopt(int fd, struct routed_socket *s, int level, int name, void *value,
			     socklen_t *len)
{
	bool tcp = s->type == SOCK_STREAM;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			return answer_int(value, len, take_error(fd, s));
		case SO_TYPE:
			return answer_int(value, len, s->type);
		case SO_DOMAIN:
			return answer_int(value, len, s->domain);
		case SO_PROTOCOL:
			return answer_int(value, len, tcp ? IPPROTO_TCP : IPPROTO_UDP);
		case SO_ACCEPTCONN:
			return answer_int(value, len, 0);
		default:
			return real.getsockopt(fd, level, name, value, len);
		}
	}
	if (level == SOL_ST87 && name == ST87_SO_RAI && !tcp) {
		int rai = __atomic_load_n(&s->rai, __ATOMIC_RELAXED);
		return answer_int(value, len, rai < 0 ? shim.config.udp_rai : rai);
	}
	if ((level == IPPROTO_TCP && tcp) || level == IPPROTO_IP || level == IPPROTO_IPV6)
		return answer_int(value, len, 0); /* the modem has no such knobs: report them off */
	errno = ENOPROTOOPT;
	return -1;
}

int getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	struct routed_socket *s = shim_routed(fd);
	if (!s && level == SOL_ST87 && name == ST87_SO_RAI && shim_pending_rai(fd) >= 0)
		return answer_int(value, len, shim_pending_rai(fd));
	if (!s)
		return real.getsockopt(fd, level, name, value, len);
	int result = routed_getsockopt(fd, s, level, name, value, len);
	shim_release(s);
	return result;
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	struct routed_socket *s = shim_routed(fd);
	if (!s && level == SOL_ST87 && name == ST87_SO_RAI && !on_engine_thread)
		return set_pending_rai(fd, value, len);
	if (!s)
		return real.setsockopt(fd, level, name, value, len);
	if (level == SOL_ST87 && name == ST87_SO_RAI) {
		int result = set_rai(s, value, len);
		shim_release(s);
		return result;
	}
	shim_release(s);
	if (level != SOL_SOCKET)
		return 0; /* TCP_NODELAY, IP_TOS, ...: accepted; the modem decides */
	int result = real.setsockopt(fd, level, name, value, len);
	if (result < 0 && (errno == ENOPROTOOPT || errno == EOPNOTSUPP))
		return 0;
	return result;
}
