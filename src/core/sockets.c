/* Modem sockets: AT#SOCKETCREATE, AT#TCPCONNECT, AT#IPSEND*, AT#IPREAD, AT#SOCKETCLOSE. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "internal.h"
#include "modem_internal.h"

/* Send and receive timeouts handed to AT#SOCKETCREATE, in seconds. */
#define SOCKET_SEND_TIMEOUT_S 10
#define SOCKET_RECEIVE_TIMEOUT_S 10

static struct st87_socket_slot *slot(struct st87_modem *modem, int socket_id)
{
	if (socket_id < 0 || socket_id >= ST87_MAX_SOCKET_ID)
		return NULL;
	return &modem->sockets[socket_id];
}

int st87_socket_create(struct st87_modem *modem, int ip_version, enum st87_proto proto,
		       int udp_port)
{
	char text[128];
	snprintf(text, sizeof(text), "AT#SOCKETCREATE=%d,%d,%s,%d,%d,%d,1", modem->cid, ip_version,
		 proto == ST87_TCP ? "TCP" : "UDP", udp_port, SOCKET_SEND_TIMEOUT_S,
		 SOCKET_RECEIVE_TIMEOUT_S);
	struct st87_at_command command = {.text = text, .info_prefix = "#SOCKETCREATE:"};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_CREATE, &reply);
	if (err == -EMFILE)
		return st87_fail(err, "no free modem %s socket (the modem has 1 TCP and 2 UDP sockets)",
				 proto == ST87_TCP ? "TCP" : "UDP");
	if (err)
		return err;
	struct st87_fields fields;
	int socket_id;
	if (reply.n_lines < 1 || st87_fields_split(reply.lines[0], true, &fields) < 1 ||
	    st87_fields_int(&fields, 0, &socket_id) || !slot(modem, socket_id))
		return st87_fail(-EPROTO, "malformed AT#SOCKETCREATE answer");
	struct st87_socket_slot *socket = slot(modem, socket_id);
	socket->open = true;
	socket->proto = proto;
	socket->leftover_len = 0;
	return socket_id;
}

int st87_socket_list(struct st87_modem *modem, struct st87_socket_info *sockets, size_t max)
{
	struct st87_at_command command = {.text = "AT#SOCKETCREATE?", .info_prefix = "#SOCKETCREATE:"};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_CREATE, &reply);
	if (err)
		return err;
	for (size_t i = 0; i < reply.n_lines && i < max; i++) {
		struct st87_fields fields;
		struct st87_socket_info *info = &sockets[i];
		memset(info, 0, sizeof(*info));
		if (st87_fields_split(reply.lines[i], true, &fields) < 5 ||
		    st87_fields_int(&fields, 0, &info->cid) ||
		    st87_fields_int(&fields, 1, &info->socket_id) ||
		    st87_fields_int(&fields, 2, &info->status))
			return st87_fail(-EPROTO, "malformed \"%s\"", reply.lines[i]);
		snprintf(info->type, sizeof(info->type), "%.7s", fields.value[3]);
		st87_fields_int(&fields, 4, &info->udp_port);
	}
	return (int)reply.n_lines;
}

int st87_tcp_connect(struct st87_modem *modem, int socket_id, const char *address, int port)
{
	char text[160];
	snprintf(text, sizeof(text), "AT#TCPCONNECT=%d,%d,%s,%d", modem->cid, socket_id, address,
		 port);
	struct st87_at_command command = {.text = text};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_SEND, &reply);
	if (err == -ECONNREFUSED)
		return st87_fail(err, "connection to %s port %d refused or unreachable (+CME ERROR: 2152)",
				 address, port);
	return err;
}

int st87_tcp_status(struct st87_modem *modem, int socket_id)
{
	struct st87_at_command command = {.text = "AT#TCPCONNECT?", .info_prefix = "#TCPCONNECT:"};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_SEND, &reply);
	if (err)
		return err;
	for (size_t i = 0; i < reply.n_lines; i++) {
		struct st87_fields fields;
		int cid, sid, status;
		if (st87_fields_split(reply.lines[i], true, &fields) < 3 ||
		    st87_fields_int(&fields, 0, &cid) || st87_fields_int(&fields, 1, &sid) ||
		    st87_fields_int(&fields, 2, &status))
			return st87_fail(-EPROTO, "malformed \"%s\"", reply.lines[i]);
		if (cid == modem->cid && sid == socket_id)
			return status;
	}
	return 3;
}

static const char hex_digits[] = "0123456789ABCDEF";

/* Runs one send command: binary payload after the line, or hex text on it. */
static int send_chunk(struct st87_modem *modem, const char *head, const uint8_t *data, size_t len)
{
	char text[64 + 160 + 2 * ST87_MAX_SEND + 1];
	struct st87_at_command command = {.text = text};
	if (modem->options.hex_send) {
		int n = snprintf(text, sizeof(text), "%s,2,%zu,", head, len);
		for (size_t i = 0; i < len; i++) {
			text[n++] = hex_digits[data[i] >> 4];
			text[n++] = hex_digits[data[i] & 15];
		}
		text[n] = '\0';
	} else {
		snprintf(text, sizeof(text), "%s,1,%zu", head, len);
		command.payload = data;
		command.payload_len = len;
	}
	struct st87_at_reply reply;
	return st87_modem_run(modem, &command, ST87_DEADLINE_SEND, &reply);
}

ssize_t st87_send_tcp(struct st87_modem *modem, int socket_id, const void *data, size_t len)
{
	char head[64];
	snprintf(head, sizeof(head), "AT#IPSENDTCP=%d,%d", modem->cid, socket_id);
	size_t sent = 0;
	while (sent < len) {
		size_t chunk = len - sent < modem->options.max_send ? len - sent : modem->options.max_send;
		int err = send_chunk(modem, head, (const uint8_t *)data + sent, chunk);
		/* A failure mid-way is the link's or the modem's: a short count would hide it. */
		if (err)
			return err;
		sent += chunk;
	}
	return (ssize_t)sent;
}

ssize_t st87_send_udp(struct st87_modem *modem, int socket_id, const char *address, int port,
		      int rai, const void *data, size_t len)
{
	if (len == 0 || len > modem->options.max_send)
		return st87_fail(-EMSGSIZE, "a datagram through the modem holds 1 to %zu bytes, not %zu",
				 modem->options.max_send, len);
	char head[160];
	snprintf(head, sizeof(head), "AT#IPSENDUDP=%d,%d,%s,%d,%d", modem->cid, socket_id, address,
		 port, rai);
	int err = send_chunk(modem, head, data, len);
	return err ? err : (ssize_t)len;
}

static size_t take_leftover(struct st87_socket_slot *socket, void *buf, size_t cap)
{
	size_t n = socket->leftover_len < cap ? socket->leftover_len : cap;
	memcpy(buf, socket->leftover + socket->leftover_start, n);
	socket->leftover_start += n;
	socket->leftover_len -= n;
	return n;
}

ssize_t st87_read(struct st87_modem *modem, int socket_id, void *buf, size_t cap)
{
	struct st87_socket_slot *socket = slot(modem, socket_id);
	if (!socket)
		return st87_fail(-EBADF, "no modem socket %d", socket_id);
	if (socket->leftover_len)
		return (ssize_t)take_leftover(socket, buf, cap);

	char text[48];
	snprintf(text, sizeof(text), "AT#IPREAD=%d,%d", modem->cid, socket_id);
	struct st87_at_command command = {
		.text = text, .info_prefix = "#IPREAD:", .binary_block = true};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_READ, &reply);
	if (err)
		return err;
	if (reply.n_lines < 1)
		return st87_fail(-EPROTO, "AT#IPREAD answered OK without #IPREAD");
	size_t n = reply.block_len < cap ? reply.block_len : cap;
	if (n > 0)
		memcpy(buf, reply.block, n);
	if (n < reply.block_len && socket->proto == ST87_TCP) {
		socket->leftover_start = 0;
		socket->leftover_len = reply.block_len - n;
		memcpy(socket->leftover, reply.block + n, socket->leftover_len);
	}
	return (ssize_t)n;
}

int st87_socket_close(struct st87_modem *modem, int socket_id)
{
	int err = st87_modem_simple(modem, ST87_DEADLINE_CLOSE, "AT#SOCKETCLOSE=%d,%d", modem->cid,
				    socket_id);
	struct st87_socket_slot *socket = slot(modem, socket_id);
	if (socket && (err == 0 || err == -EBADF)) {
		socket->open = false;
		socket->leftover_len = 0;
	}
	return err;
}
