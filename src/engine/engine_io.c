/*
 * Data between a routed socket's pair and its modem socket.
 *
 * The peer's close is the subtle part (the most common bug of AT socket
 * drivers is a recv() that never returns 0): the modem may say nothing when
 * a peer closes, or send #IPRECV, or #SOCKETCLOSED. So when a read comes
 * back empty after an #IPRECV, the link status is asked; a closed link, after
 * every byte before it, becomes EOF on the pair.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine_io.h"
#include "engine_metrics.h"
#include "engine_modem.h"
#include "st87/st87shim.h"
#include "internal.h"
#include "libc_calls.h"
#include "routed_address.h"
#include "socket_outcome.h"

#define TCP_BURST (4 * ST87_PROBE_SEND)
#define TCP_STATUS_NOT_CONNECTED 3
#define TCP_STATUS_CLOSING 6
#define DNS_PORT 53

/* A failed command on one socket: that socket's failure, unless the modem or its link went with it. */
static void modem_failed(struct routed_socket *s, int err)
{
	st87_log(ST87_LOG_ERROR, "modem socket %d: %s", s->modem_socket, st87_last_error());
	if (engine_modem_trouble(err))
		return;
	engine_close_modem_socket(s);
	engine_fail(s, err == -EPIPE || err == -EBADF ? ECONNRESET : -err);
}

/* Nothing more is queued and the program's end is closed: this datagram is its last. */
static bool program_closed_after(const struct routed_socket *s)
{
	char next;
	return libc_recv(s->engine_fd, &next, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* <rai> of AT#IPSENDUDP (docs/PROTOCOL.md §13): what the socket or ST87_UDP_RAI asked for. */
static int datagram_rai(const struct routed_socket *s, int port)
{
	/* A DNS query is one uplink and one downlink: the network may release the radio after the answer. */
	if (s->dns_queries || port == DNS_PORT)
		return ST87_RAI_ONE_DOWNLINK;
	int asked = __atomic_load_n(&s->rai, __ATOMIC_RELAXED);
	if (asked < 0)
		asked = engine_settings_given.udp_rai;
	if (asked != ST87_RAI_NONE && program_closed_after(s))
		return ST87_RAI_NO_DOWNLINK;
	return asked;
}

/* What the shim's send_framed() (src/shim/io.c) puts in front of each datagram: an IPv4 or IPv6 address of a plausible length. */
static bool is_destination(const struct datagram_header *header)
{
	socklen_t least = routed_address_size(header->address.ss_family);
	return least && header->address_len >= least && header->address_len <= sizeof(header->address);
}

static int send_datagram(struct st87_modem *modem, struct routed_socket *s, const uint8_t *data,
			 size_t len)
{
	const struct sockaddr_storage *to = &s->remote;
	if (s->framed) {
		struct datagram_header header;
		if (len >= sizeof(header))
			memcpy(&header, data, sizeof(header));
		if (len < sizeof(header) || !is_destination(&header)) {
			/* The program wrote without sendto() (write(), say): no header, no destination. */
			st87_log(ST87_LOG_ERROR,
				 "modem socket %d: an unconnected UDP socket's datagram without a "
				 "destination (written, not sent with sendto?): dropped",
				 s->modem_socket);
			return 0;
		}
		/* The engine's own copy: program threads read s->remote without the engine. */
		memcpy(&s->last_destination, &header.address, sizeof(s->last_destination));
		s->last_destination_len = header.address_len;
		to = &s->last_destination;
		data += sizeof(header);
		len -= sizeof(header);
	}
	char address[64];
	int port, ip_version;
	engine_format_address(to, address, sizeof(address), &port, &ip_version);
	ssize_t sent = st87_send_udp(modem, s->modem_socket, address, port, datagram_rai(s, port), data,
				     len);
	if (sent == -EMSGSIZE) {
		st87_log(ST87_LOG_ERROR, "datagram of %zu bytes dropped: %s", len, st87_last_error());
		return 0;
	}
	return sent < 0 ? (int)sent : (int)len;
}

/* True when the program's end of the pair is closed (not merely empty). */
static bool pair_hung_up(int fd)
{
	struct pollfd pair = {.fd = fd, .events = POLLIN};
	return poll(&pair, 1, 0) == 1 && (pair.revents & (POLLHUP | POLLERR));
}

int engine_pump_outbound(struct st87_modem *modem, struct routed_socket *s)
{
	return engine_pump_outbound_up_to(modem, s, TCP_BURST);
}

int engine_pump_outbound_up_to(struct st87_modem *modem, struct routed_socket *s, size_t tcp_most)
{
	uint8_t buffer[sizeof(struct datagram_header) + 65536];
	size_t want = s->type == SOCK_STREAM ? (tcp_most < TCP_BURST ? tcp_most : TCP_BURST)
					     : sizeof(buffer);
	/* MSG_DONTWAIT, not the fd's flag: through st87d the program holds the same file and may clear it. */
	ssize_t n = libc_recv(s->engine_fd, buffer, want, MSG_DONTWAIT);
	if (n == 0 && s->type != SOCK_STREAM && !pair_hung_up(s->engine_fd)) {
		/* An empty datagram (a keep-alive, say): the modem sends none, and the socket lives on. */
		st87_log(ST87_LOG_DEBUG, "modem socket %d: an empty datagram is not sent",
			 s->modem_socket);
		return 0;
	}
	if (n == 0) {
		/* TCP: the program shut its writing side; the link stays up for the answer
		 * (engine.c, finish_half_closed). */
		s->program_eof = true;
		st87_log(ST87_LOG_DEBUG, "modem socket %d: end of the program's data", s->modem_socket);
		if (s->type != SOCK_STREAM)
			s->program_done = true;
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0) {
		/* Left alone, an end that keeps failing (st87d was handed something odd) keeps polling
		 * readable and holds the modem socket for ever: the socket is done. */
		int err = errno;
		st87_log(ST87_LOG_WARN,
			 "modem socket %d: the program's end cannot be read (%s): closing",
			 s->modem_socket, strerror(err));
		s->program_done = true;
		return -err;
	}
	s->last_traffic_ms = st87_now_ms();
	if (s->peer_closed)
		return (int)n; /* the peer is gone: like a kernel socket, drop it */
	int err;
	size_t payload;
	if (s->type == SOCK_STREAM) {
		ssize_t sent = st87_send_tcp(modem, s->modem_socket, buffer, (size_t)n);
		err = sent < 0 ? (int)sent : (sent < n ? -EPIPE : 0);
		payload = (size_t)n;
	} else {
		int sent = send_datagram(modem, s, buffer, (size_t)n);
		err = sent < 0 ? sent : 0;
		payload = sent > 0 ? (size_t)sent : 0; /* a dropped datagram reached no one */
	}
	if (err) {
		modem_failed(s, err);
		return err;
	}
	engine_metrics_count_sent(s, payload);
	s->carried_out = true;
	return (int)n;
}

void engine_flush_inbound(struct routed_socket *s)
{
	while (s->inbound_sent < s->inbound_len) {
		ssize_t n;
		if (s->type == SOCK_STREAM)
			n = libc_send(s->engine_fd, s->inbound + s->inbound_sent,
				      s->inbound_len - s->inbound_sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = libc_send(s->engine_fd, s->inbound, s->inbound_len,
				      MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				return;
			/* The program closed its end: what it wrote before may still wait in the
			 * pair, so the socket is done only at POLLHUP with nothing left to read. */
			s->inbound_len = s->inbound_sent = 0;
			return;
		}
		s->inbound_sent = s->type == SOCK_STREAM ? s->inbound_sent + (size_t)n : s->inbound_len;
	}
	s->inbound_len = s->inbound_sent = 0;
}

void engine_check_link(struct st87_modem *modem, struct routed_socket *s, enum link_check_cause cause)
{
	s->urc_since_status = false;
	/* Not traffic: half-close and eviction measure the peer's quiet, which a question does not end. */
	s->link_checked_ms = st87_now_ms();
	int status = st87_tcp_status(modem, s->modem_socket);
	if (status < 0) {
		modem_failed(s, status);
		return;
	}
	if (status == TCP_STATUS_NOT_CONNECTED || status == TCP_STATUS_CLOSING) {
		/* Whatever arrived before the close is still in the modem: read it first. */
		ssize_t n = st87_read(modem, s->modem_socket, s->inbound, ST87_MAX_READ);
		if (n < 0) {
			modem_failed(s, (int)n);
			return;
		}
		if (n > 0) {
			engine_metrics_count_received(s, (size_t)n);
			s->inbound_len = (size_t)n;
			s->inbound_sent = 0;
			s->data_waiting = true;
			s->peer_closed = true;
			engine_flush_inbound(s);
			return;
		}
		st87_log(ST87_LOG_INFO, "modem socket %d: the peer closed the connection",
			 s->modem_socket);
		if (cause == LINK_CHECK_URC_WITHOUT_DATA)
			engine_closes_are_announced("#IPRECV");
		engine_give_eof(s);
		return;
	}
	/* Still connected. After a quiet spell, read once anyway, in case the modem's #IPRECV went missing;
	 * right after an empty read that would only cost a command per arrival of data. */
	if (cause == LINK_CHECK_IDLE)
		s->data_waiting = true;
}

void engine_pump_inbound(struct st87_modem *modem, struct routed_socket *s)
{
	size_t header = s->framed ? sizeof(struct datagram_header) : 0;
	/* Cleared before the read: an #IPRECV that arrives while it runs must set it again, not be lost. */
	s->data_waiting = false;
	/* An #IPRECV answered by nothing at all announced the peer's close (not data with a close behind it). */
	bool urc_without_data = s->urc_unread;
	s->urc_unread = false;
	ssize_t n = st87_read(modem, s->modem_socket, s->inbound + header, ST87_MAX_READ);
	if (n < 0) {
		modem_failed(s, (int)n);
		return;
	}
	if (n == 0) {
		if (s->type == SOCK_STREAM && s->peer_closed)
			engine_give_eof(s);
		else if (s->type == SOCK_STREAM && s->urc_since_status)
			engine_check_link(modem, s,
					  urc_without_data ? LINK_CHECK_URC_WITHOUT_DATA
							   : LINK_CHECK_EMPTY_READ);
		return;
	}
	s->data_waiting = true; /* read until the modem is empty */
	s->carried_in = true;
	engine_metrics_count_received(s, (size_t)n);
	s->last_traffic_ms = st87_now_ms();
	if (s->framed) {
		/* The modem does not say where a datagram came from: the last destination is the best guess. */
		struct datagram_header source;
		memset(&source, 0, sizeof(source)); /* its tail padding goes to the program too */
		bool sent_any = s->last_destination_len > 0;
		source.address = sent_any ? s->last_destination : s->remote;
		source.address_len = sent_any ? s->last_destination_len : s->remote_len;
		memcpy(s->inbound, &source, sizeof(source));
	}
	s->inbound_len = header + (size_t)n;
	s->inbound_sent = 0;
	engine_flush_inbound(s);
}
