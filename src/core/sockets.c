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
/* The modem's answer to a line alone, beyond its time on the wire; silence then means one-step. */
#define HANDSHAKE_DETECT_MS 150
/* The detection's wait from what the modem's own answers took: DETECT_FLOOR_MS + factor x slowest. */
#define DETECT_FLOOR_MS 30
#define LOCAL_ANSWER_FACTOR 5
/*
 * The highest local port the host names in AT#SOCKETCREATE; above it the
 * maker's Mbed driver sends 0 and lets the modem choose.
 */
#define HIGHEST_NAMED_UDP_PORT 49407
/* Length errors shrink the send size down to this, no further. */
#define MIN_SEND 64

/* A pause before each retry of a connect the modem refused with 2152 (docs/PROTOCOL.md §6). */
static const int connect_retry_pause_ms[] = {500, 1000};

struct st87_socket_slot *st87_socket_slot(struct st87_modem *modem, int socket_id)
{
	for (int i = 0; i < ST87_MAX_SOCKETS; i++)
		if (modem->sockets[i].open && modem->sockets[i].id == socket_id)
			return &modem->sockets[i];
	return NULL;
}

static struct st87_socket_slot *free_slot(struct st87_modem *modem, int socket_id)
{
	struct st87_socket_slot *same = st87_socket_slot(modem, socket_id);
	if (same)
		return same; /* the modem reuses an id we thought open: its old socket is gone */
	for (int i = 0; i < ST87_MAX_SOCKETS; i++)
		if (!modem->sockets[i].open)
			return &modem->sockets[i];
	return NULL;
}

/* Milliseconds @bytes take on the line at the port's rate (10 bits each). */
static int line_ms(const struct st87_modem *modem, size_t bytes)
{
	return (int)(bytes * 10 * 1000 / (size_t)modem->options.baud);
}

/*
 * What the modem itself took to answer @text: @took_ms less the time the
 * command and its answer (information lines, OK) spent on the line. At a
 * low rate that time is most of an answer's, and it is no part of the
 * modem's turn to answer another line.
 */
static int modem_turn_ms(const struct st87_modem *modem, int took_ms, const char *text,
			 const struct st87_at_reply *reply)
{
	size_t bytes = strlen(text) + 1 + sizeof("\r\nOK\r\n") - 1;
	for (size_t i = 0; i < reply->n_lines; i++)
		bytes += strlen(reply->lines[i]) + 4;
	int on_the_line = line_ms(modem, bytes);
	return took_ms > on_the_line ? took_ms - on_the_line : 0;
}

/*
 * The <udp_port> field as the maker's drivers write it: empty for TCP and for
 * a UDP socket on any port (firmware may refuse 0 there), 0 for a bound port
 * above HIGHEST_NAMED_UDP_PORT, else the port.
 */
static void udp_port_field(enum st87_proto proto, int udp_port, char *field, size_t len)
{
	if (proto == ST87_TCP || udp_port <= 0)
		field[0] = '\0';
	else if (udp_port > HIGHEST_NAMED_UDP_PORT)
		snprintf(field, len, "0");
	else
		snprintf(field, len, "%d", udp_port);
}

int st87_socket_create(struct st87_modem *modem, int ip_version, enum st87_proto proto, int udp_port)
{
	char port_field[8];
	udp_port_field(proto, udp_port, port_field, sizeof(port_field));
	char text[128];
	snprintf(text, sizeof(text), "AT#SOCKETCREATE=%d,%d,%s,%s,%d,%d,1", modem->cid, ip_version,
		 proto == ST87_TCP ? "TCP" : "UDP", port_field, SOCKET_SEND_TIMEOUT_S,
		 SOCKET_RECEIVE_TIMEOUT_S);
	struct st87_at_command command = {.text = text, .info_prefix = "#SOCKETCREATE:"};
	struct st87_at_reply reply;
	long long started = st87_now_ms();
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_CREATE, &reply);
	int turn_ms = modem_turn_ms(modem, (int)(st87_now_ms() - started), text, &reply);
	if (reply.answered && turn_ms + 1 > modem->slowest_local_answer_ms)
		modem->slowest_local_answer_ms = turn_ms +
			1; /* +1: a sub-millisecond answer still counts */
	if (err == -EMFILE)
		return st87_fail(err, "no free modem %s socket (the modem has 1 TCP and 2 UDP sockets)",
				 proto == ST87_TCP ? "TCP" : "UDP");
	if (err)
		return err;
	struct st87_fields fields;
	int socket_id;
	if (reply.n_lines < 1 || st87_fields_split(reply.lines[0], true, &fields) < 1 ||
	    st87_fields_int(&fields, 0, &socket_id) || socket_id < 0)
		return st87_fail(-EPROTO, "malformed AT#SOCKETCREATE answer");
	struct st87_socket_slot *socket = free_slot(modem, socket_id);
	if (!socket) {
		/* Not a socket we could track: give it back rather than leak it. */
		st87_modem_simple(modem, ST87_DEADLINE_CLOSE, "AT#SOCKETCLOSE=%d,%d", modem->cid,
				  socket_id);
		return st87_fail(-EMFILE, "the modem gave socket %d while %d are open", socket_id,
				 ST87_MAX_SOCKETS);
	}
	socket->open = true;
	socket->id = socket_id;
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
	snprintf(text, sizeof(text), "AT#TCPCONNECT=%d,%d,%s,%d", modem->cid, socket_id, address, port);
	size_t retries = sizeof(connect_retry_pause_ms) / sizeof(connect_retry_pause_ms[0]);
	for (size_t attempt = 0;; attempt++) {
		struct st87_at_command command = {.text = text};
		struct st87_at_reply reply;
		int err = st87_modem_run(modem, &command, ST87_DEADLINE_CONNECT, &reply);
		if (err != -ECONNREFUSED)
			return err;
		if (attempt == retries)
			return st87_fail(err,
					 "connection to %s port %d refused or unreachable "
					 "(+CME ERROR: 2152, %zu tries)",
					 address, port, retries + 1);
		/* A radio still waking up refuses too: the maker's application tries again. */
		st87_debug("AT#TCPCONNECT refused; trying again in %d ms",
			   connect_retry_pause_ms[attempt]);
		long long until = st87_now_ms() + connect_retry_pause_ms[attempt];
		while (st87_ms_until(until) > 0 && st87_modem_poll(modem, st87_ms_until(until)) >= 0)
			;
		if (modem->needs_start)
			return st87_fail(-ENETDOWN, "the modem lost its IP link while connecting");
	}
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

/*
 * One-step firmware that refuses a length reads the bytes after the line as
 * AT commands: line and data go in one write only up to a length it took in
 * this session; a longer one waits for the line's refusal first.
 */
static enum st87_send_handshake handshake_for(const struct st87_modem *modem, size_t len)
{
	if (modem->handshake == ST87_SEND_ONE_STEP && len > modem->send_proven)
		return ST87_SEND_ANSWER_FIRST;
	return modem->handshake;
}

static bool is_length_error(int cme)
{
	return cme == 2146 || cme == 50;
}

/*
 * How long the line's own answer may take: the line and an OK on the wire,
 * and the modem's turn. A modem's OK to a send line is an answer of its own,
 * like AT#SOCKETCREATE's (which always came first): a few times the slowest
 * turn those took (their own time on the line left out), and never more than
 * HANDSHAKE_DETECT_MS. Each wait is for silence, so it is paid in full on
 * one-step firmware, once per session.
 */
static int detect_wait_ms(const struct st87_modem *modem, size_t line_len)
{
	int turn = HANDSHAKE_DETECT_MS;
	if (modem->slowest_local_answer_ms > 0) {
		int scaled = DETECT_FLOOR_MS + LOCAL_ANSWER_FACTOR * modem->slowest_local_answer_ms;
		if (scaled < turn)
			turn = scaled;
	}
	return turn + line_ms(modem, line_len + 2 + sizeof("\r\nOK\r\n") - 1);
}

/* Runs one send command: binary payload after the line, or hex text on it (no length field). */
static int send_chunk(struct st87_modem *modem, const char *head, const uint8_t *data, size_t len)
{
	char text[64 + 160 + 2 * ST87_MAX_SEND + 1], shown[64 + 160 + 32];
	struct st87_at_command command = {.text = text};
	if (modem->options.hex_send) {
		snprintf(shown, sizeof(shown), "%s,2,[hex %zu bytes]", head, len);
		command.shown_text = shown;
		int n = snprintf(text, sizeof(text), "%s,2,", head);
		if ((size_t)n + 2 * len > ST87_MAX_LINE)
			return st87_fail(-EMSGSIZE, "%zu bytes as hex do not fit one command line", len);
		for (size_t i = 0; i < len; i++) {
			text[n++] = hex_digits[data[i] >> 4];
			text[n++] = hex_digits[data[i] & 15];
		}
		text[n] = '\0';
	} else {
		snprintf(text, sizeof(text), "%s,1,%zu", head, len);
		command.payload = data;
		command.payload_len = len;
		command.handshake = handshake_for(modem, len);
		command.detect_ms = detect_wait_ms(modem, strlen(text));
	}
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_SEND, &reply);
	/* Only an answered exchange tells: a timeout or an abort says nothing about the firmware. */
	if (command.payload_len && reply.answered && reply.handshake != ST87_SEND_DETECT &&
	    modem->handshake == ST87_SEND_DETECT) {
		modem->handshake = reply.handshake;
		st87_info("the modem takes binary sends in %s",
			  reply.handshake == ST87_SEND_TWO_STEP ? "two steps (line, OK, data)"
								: "one step (line and data)");
		/* One-step firmware follows the note: 512 unless configured (its refusal of a new length is
		 * only waited for, and one that comes late has taken the data as text). */
		if (reply.handshake == ST87_SEND_ONE_STEP && !modem->options.max_send &&
		    modem->send_cap > ST87_NOTE_SEND) {
			modem->send_cap = ST87_NOTE_SEND;
			if (modem->send_limit > ST87_NOTE_SEND)
				modem->send_limit = ST87_NOTE_SEND;
		}
	}
	if (!err && len > modem->send_proven)
		modem->send_proven = len;
	if (err && is_length_error(modem->last_cme) &&
	    (!modem->send_refused || len < modem->send_refused))
		modem->send_refused = len;
	return err;
}

/*
 * After a length error on @p len bytes: the next size to try, or 0 when
 * there is none. Above the note's 512 the note's size, else half, but never
 * less than a length the modem took.
 */
static size_t smaller_send(const struct st87_modem *modem, size_t len)
{
	if (!is_length_error(modem->last_cme) || len <= MIN_SEND || len <= modem->send_proven)
		return 0;
	size_t next = len > ST87_NOTE_SEND ? ST87_NOTE_SEND : len / 2;
	return next > modem->send_proven ? next : modem->send_proven;
}

static void remember_limit(struct st87_modem *modem, size_t refused, size_t next)
{
	modem->send_limit = next;
	st87_info("the modem refused a %zu-byte send (+CME ERROR: %d): sending at most %zu bytes",
		  refused, modem->last_cme, next);
}

/* The first binary send, which finds the handshake, carries no more than every firmware takes. */
static size_t send_size(const struct st87_modem *modem)
{
	bool detecting = modem->handshake == ST87_SEND_DETECT && !modem->options.hex_send;
	return detecting && modem->send_limit > ST87_NOTE_SEND ? ST87_NOTE_SEND : modem->send_limit;
}

ssize_t st87_send_tcp(struct st87_modem *modem, int socket_id, const void *data, size_t len)
{
	char head[64];
	snprintf(head, sizeof(head), "AT#IPSENDTCP=%d,%d", modem->cid, socket_id);
	size_t sent = 0;
	while (sent < len) {
		size_t chunk = len - sent < send_size(modem) ? len - sent : send_size(modem);
		int err = send_chunk(modem, head, (const uint8_t *)data + sent, chunk);
		size_t next = err ? smaller_send(modem, chunk) : 0;
		if (next) {
			remember_limit(modem, chunk, next);
			continue;
		}
		/* A failure mid-way is the link's or the modem's: a short count would hide it. */
		if (err)
			return err;
		sent += chunk;
	}
	return (ssize_t)sent;
}

static int datagram_too_large(const struct st87_modem *modem, size_t len)
{
	return st87_fail(-EMSGSIZE, "a datagram through the modem holds 1 to %zu bytes, not %zu",
			 st87_modem_datagram_limit(modem), len);
}

ssize_t st87_send_udp(struct st87_modem *modem, int socket_id, const char *address, int port, int rai,
		      const void *data, size_t len)
{
	if (len == 0 || len > st87_modem_datagram_limit(modem))
		return datagram_too_large(modem, len);
	char head[160];
	snprintf(head, sizeof(head), "AT#IPSENDUDP=%d,%d,%s,%d,%d", modem->cid, socket_id, address, port,
		 rai);
	int err = send_chunk(modem, head, data, len);
	if (err && is_length_error(modem->last_cme)) {
		/* The datagram limit is now below @len (send_chunk); a TCP chunk this long is not tried again. */
		size_t next = smaller_send(modem, len);
		if (next && next < modem->send_limit)
			remember_limit(modem, len, next);
		return datagram_too_large(modem, len);
	}
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

/* The #IPREAD header must name the socket asked for: anything else means the stream lost its place. */
static int check_read_header(const struct st87_modem *modem, int socket_id, const char *line)
{
	struct st87_fields fields;
	int cid, sid;
	if (st87_fields_split(line, true, &fields) < 3 || st87_fields_int(&fields, 0, &cid) ||
	    st87_fields_int(&fields, 1, &sid))
		return st87_fail(-EPROTO, "malformed \"%s\"", line);
	if (cid != modem->cid || sid != socket_id)
		return st87_fail(-EPROTO, "AT#IPREAD=%d,%d answered \"%s\"", modem->cid, socket_id,
				 line);
	return 0;
}

ssize_t st87_read(struct st87_modem *modem, int socket_id, void *buf, size_t cap)
{
	struct st87_socket_slot *socket = st87_socket_slot(modem, socket_id);
	if (!socket)
		return st87_fail(-EBADF, "no modem socket %d", socket_id);
	if (socket->leftover_len)
		return (ssize_t)take_leftover(socket, buf, cap);

	char text[48];
	snprintf(text, sizeof(text), "AT#IPREAD=%d,%d", modem->cid, socket_id);
	struct st87_at_command command = {.text = text, .info_prefix = "#IPREAD:", .binary_block = true};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_READ, &reply);
	if (err)
		return err;
	/* Empty: "#IPREAD: <cid>,<sid>,0" on some firmware, a bare OK on others. */
	if (reply.n_lines < 1)
		return 0;
	err = check_read_header(modem, socket_id, reply.lines[0]);
	if (err)
		return err;
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
	struct st87_socket_slot *socket = st87_socket_slot(modem, socket_id);
	if (socket && (err == 0 || err == -EBADF)) {
		socket->open = false;
		socket->leftover_len = 0;
	}
	return err;
}
