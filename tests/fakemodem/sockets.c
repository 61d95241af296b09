#include "sockets.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/* Send buffer of the host TCP sockets (the kernel doubles it). */
#define TCP_SNDBUF 16384

/* One fake modem per process: connection numbers for the air model. */
static uint32_t last_epoch;

void socktab_init(struct socket_table *t, size_t rx_limit, void (*notify)(void *, int, enum sock_event),
		  void *ctx)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < FM_MAX_SOCKETS; i++)
		t->s[i].fd = -1;
	t->rx_limit = rx_limit;
	t->notify = notify;
	t->ctx = ctx;
}

struct msock *socktab_get(struct socket_table *t, long sid)
{
	if (sid < 0 || sid >= FM_MAX_SOCKETS || !t->s[sid].used)
		return NULL;
	return &t->s[sid];
}

int socktab_open_count(const struct socket_table *t)
{
	int n = 0;

	for (int i = 0; i < FM_MAX_SOCKETS; i++)
		n += t->s[i].used;
	return n;
}

static int open_udp(const struct sock_params *p)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family = p->ipver ? AF_INET6 : AF_INET;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons((uint16_t)p->udp_port);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons((uint16_t)p->udp_port);
		len = sizeof(*s6);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

int sock_create(struct socket_table *t, const struct sock_params *p, int *sid)
{
	int tcp = 0, udp = 0, free_id = -1;
	struct msock *s;

	for (int i = FM_MAX_SOCKETS - 1; i >= 0; i--) {
		if (!t->s[i].used)
			free_id = i; /* the loop runs down: lowest free wins */
		else if (t->s[i].p.tcp)
			tcp++;
		else
			udp++;
	}
	if (free_id < 0 || (p->tcp && tcp >= FM_MAX_TCP) || (!p->tcp && udp >= FM_MAX_UDP))
		return 2150;
	s = &t->s[free_id];
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->p = *p;
	s->link = TCP_IDLE;
	if (!p->tcp) {
		s->fd = open_udp(p);
		if (s->fd < 0)
			return 2155;
	}
	bytebuf_init(&s->rx);
	bytebuf_init(&s->tx);
	s->epoch = ++last_epoch;
	s->used = true;
	*sid = free_id;
	return 0;
}

void sock_disconnect(struct msock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->link = TCP_IDLE;
	s->broken = false;
	s->rx_bytes = 0;
	s->air_bytes = 0;
	s->eof_on_air = false;
	bytebuf_clear(&s->rx);
	bytebuf_clear(&s->tx);
}

void sock_close(struct socket_table *t, int sid)
{
	struct msock *s = socktab_get(t, sid);

	if (!s)
		return;
	sock_disconnect(s);
	bytebuf_free(&s->rx);
	bytebuf_free(&s->tx);
	s->used = false;
}

void socktab_close_all(struct socket_table *t)
{
	for (int i = 0; i < FM_MAX_SOCKETS; i++)
		sock_close(t, i);
}

int sock_connect(struct msock *s, const struct sockaddr_storage *to, socklen_t tolen)
{
	int fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int sndbuf = TCP_SNDBUF;
	int e;

	if (fd < 0)
		return -errno;
	/* A modem has little memory; without a cap the kernel's autotuned
	 * buffer would take megabytes and hide a peer that does not read. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (connect(fd, (const struct sockaddr *)to, tolen) == 0) {
		s->link = TCP_CONNECTED;
	} else if (errno == EINPROGRESS) {
		s->link = TCP_CONNECTING;
	} else {
		e = errno;
		close(fd);
		return -e;
	}
	s->fd = fd;
	s->broken = false;
	s->epoch = ++last_epoch;
	return 0;
}

int sock_tcp_status(const struct msock *s)
{
	switch (s->link) {
	case TCP_CONNECTING:
		return 4;
	case TCP_CONNECTED:
		return 5;
	case TCP_PEER_CLOSED:
		return s->rx_bytes ? 5 : 3;
	case TCP_IDLE:
		break;
	}
	return 3;
}

int sock_list_status(const struct msock *s)
{
	if (!s->p.tcp)
		return 4;
	return sock_tcp_status(s) == 5 ? 7 : 6;
}

/* Pushes queued TCP bytes into the host socket. Returns 0 or -errno. */
static int flush_tx(struct msock *s)
{
	while (s->tx.len) {
		ssize_t n = send(s->fd, bytebuf_peek(&s->tx), s->tx.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			/* The bytes cannot reach the peer any more. */
			s->broken = true;
			bytebuf_clear(&s->tx);
			return -errno;
		}
		bytebuf_consume(&s->tx, (size_t)n);
	}
	return 0;
}

int sock_send(struct msock *s, const void *data, size_t len, const struct sockaddr_storage *to,
	      socklen_t tolen)
{
	if (!s->p.tcp) {
		ssize_t n = sendto(s->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (const struct sockaddr *)to, tolen);

		return n < 0 ? -errno : 0;
	}
	/* Queue first, then flush: keeps the order when earlier bytes are
	 * still waiting for room in the host socket. */
	bytebuf_append(&s->tx, data, len);
	return flush_tx(s);
}

size_t sock_read_peek(const struct msock *s, size_t max, const uint8_t **data)
{
	const uint8_t *p = bytebuf_peek(&s->rx);

	if (!s->rx_bytes)
		return 0;
	if (s->p.tcp) {
		*data = p;
		return s->rx_bytes < max ? s->rx_bytes : max;
	}
	*data = p + 2;
	return (size_t)p[0] << 8 | p[1];
}

void sock_read_done(struct msock *s, size_t n)
{
	if (!n)
		return;
	bytebuf_consume(&s->rx, s->p.tcp ? n : n + 2);
	s->rx_bytes -= n;
}

size_t socktab_pollfds(struct socket_table *t, struct pollfd *fds, int *sids)
{
	size_t n = 0;

	for (int i = 0; i < FM_MAX_SOCKETS; i++) {
		struct msock *s = &t->s[i];
		short ev = 0;

		if (!s->used || s->fd < 0)
			continue;
		if (!s->p.tcp) {
			/* Always read UDP: a datagram that does not fit in the
			 * buffer is dropped, as on the modem. */
			ev = POLLIN;
		} else if (s->link == TCP_CONNECTING) {
			ev = POLLOUT;
		} else {
			/* TCP flow control: leave bytes in the host socket
			 * while our buffer is full. */
			if (s->link == TCP_CONNECTED && !s->eof_on_air &&
			    s->rx_bytes + s->air_bytes < t->rx_limit)
				ev |= POLLIN;
			if (s->tx.len)
				ev |= POLLOUT;
		}
		if (!ev)
			continue;
		fds[n].fd = s->fd;
		fds[n].events = ev;
		fds[n].revents = 0;
		sids[n++] = i;
	}
	return n;
}

static void finish_connect(struct msock *s)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		/* Refused or unreachable: back to "not connected"; the
		 * pending AT#TCPCONNECT sees TCP_IDLE and answers 2152. */
		sock_disconnect(s);
		return;
	}
	s->link = TCP_CONNECTED;
}

static void peer_closed(struct socket_table *t, int sid)
{
	t->s[sid].link = TCP_PEER_CLOSED;
	t->notify(t->ctx, sid, SOCK_EV_PEER_CLOSED);
}

/* Appends what came from the peer to the receive buffer and tells of it. */
static void store_rx(struct socket_table *t, int sid, const uint8_t *data, size_t n)
{
	struct msock *s = &t->s[sid];
	bool was_empty = s->rx_bytes == 0;

	if (!s->p.tcp) {
		uint8_t hdr[2] = {(uint8_t)(n >> 8), (uint8_t)n};

		bytebuf_append(&s->rx, hdr, 2);
	}
	bytebuf_append(&s->rx, data, n);
	s->rx_bytes += n;
	if (was_empty)
		t->notify(t->ctx, sid, SOCK_EV_DATA);
}

void sock_air_arrive(struct socket_table *t, int sid, const uint8_t *data, size_t n)
{
	struct msock *s = &t->s[sid];

	s->air_bytes -= n;
	/* A TCP peer's bytes are read while connected; a reconnect has
	 * another epoch, so these are this connection's. */
	store_rx(t, sid, data, n);
}

void sock_air_peer_closed(struct socket_table *t, int sid)
{
	if (t->s[sid].link == TCP_CONNECTED)
		peer_closed(t, sid);
}

/* The air model: the peer's bytes go to the air first, in pieces of at
 * most a TCP segment, still counted against the receive buffer. */
static void read_tcp_to_air(struct socket_table *t, int sid, size_t room)
{
	static uint8_t segment[1460];
	struct msock *s = &t->s[sid];
	ssize_t n;

	if (s->eof_on_air)
		return;
	if (room > sizeof(segment))
		room = sizeof(segment);
	n = recv(s->fd, segment, room, MSG_DONTWAIT);
	if (n > 0) {
		s->air_bytes += (size_t)n;
		t->divert(t->ctx, sid, segment, (size_t)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		s->eof_on_air = true;
		t->divert(t->ctx, sid, NULL, 0);
	}
}

static void read_tcp(struct socket_table *t, int sid)
{
	struct msock *s = &t->s[sid];
	size_t room = t->rx_limit - s->rx_bytes - s->air_bytes;
	bool was_empty = s->rx_bytes == 0;
	ssize_t n;

	if (!room)
		return;
	if (t->divert) {
		read_tcp_to_air(t, sid, room);
		return;
	}
	n = recv(s->fd, bytebuf_reserve(&s->rx, room), room, MSG_DONTWAIT);
	if (n > 0) {
		bytebuf_commit(&s->rx, (size_t)n);
		s->rx_bytes += (size_t)n;
		if (was_empty)
			t->notify(t->ctx, sid, SOCK_EV_DATA);
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		/* End of stream or reset: both end the link. */
		peer_closed(t, sid);
	}
}

static void read_udp(struct socket_table *t, int sid)
{
	static uint8_t dgram[65536];
	struct msock *s = &t->s[sid];

	/* A few datagrams per wake-up, so a flood cannot starve the pty. */
	for (int k = 0; k < 16; k++) {
		ssize_t n = recv(s->fd, dgram, sizeof(dgram), MSG_DONTWAIT);

		if (n < 0)
			return;
		/* An empty datagram would read as "buffer empty": drop it. */
		if (n == 0)
			continue;
		if (s->rx_bytes + s->air_bytes + (size_t)n > t->rx_limit) {
			t->udp_dropped++;
			continue;
		}
		if (t->divert) {
			s->air_bytes += (size_t)n;
			t->divert(t->ctx, sid, dgram, (size_t)n);
		} else {
			store_rx(t, sid, dgram, (size_t)n);
		}
	}
}

void socktab_handle(struct socket_table *t, const struct pollfd *fds, const int *sids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct msock *s = &t->s[sids[i]];
		short re = fds[i].revents;

		/* A notify callback may not close sockets, so s stays valid;
		 * still, re-check the fd in case a step above closed it. */
		if (!re || !s->used || s->fd != fds[i].fd)
			continue;
		if (!s->p.tcp) {
			read_udp(t, sids[i]);
			continue;
		}
		if (s->link == TCP_CONNECTING) {
			finish_connect(s);
			continue;
		}
		if ((re & POLLOUT) && s->tx.len)
			flush_tx(s);
		if ((re & (POLLIN | POLLHUP | POLLERR)) && s->link == TCP_CONNECTED)
			read_tcp(t, sids[i]);
	}
}
