/* Data transfer: AT#IPSENDTCP, AT#IPSENDUDP, AT#IPREAD. */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "handlers.h"
#include "timeutil.h"

/* Above this many bytes queued for a TCP peer, AT#IPSENDTCP holds its OK
 * until the peer has taken some: back-pressure towards the host without
 * dropping anything. */
#define TX_HIGH_WATER (64 * 1024)
#define SEND_TIMEOUT_US (10 * 1000000LL)

/* <data_type> at param t and <data_length> after it: the length of a binary
 * payload to collect before the command runs, or 0. A bad length collects
 * nothing: the handler then answers 2146 at once. */
static size_t binary_len(const struct modem *m, const struct at_command *c, int t)
{
	long type, len;

	if (c->form != AT_SET || !at_param_int(c, t, 0, 9, &type) || type != 1 ||
	    !at_param_int(c, t + 1, 1, m->opt->max_send, &len))
		return 0;
	return (size_t)len;
}

size_t ipsendtcp_payload_len(const struct modem *m, const struct at_command *c)
{
	return binary_len(m, c, 2);
}

size_t ipsendudp_payload_len(const struct modem *m, const struct at_command *c)
{
	return binary_len(m, c, 5);
}

static int hex_value(char ch)
{
	if (isdigit((unsigned char)ch))
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Where the text data of a type 0/2 send starts, given k, the index of the
 * <data_length> field. The note's own examples leave the field out
 * ("5,0,0,text"), docs/PROTOCOL.md §7 allows it empty or present:
 *   k is the last field          -> k is the data   ("5,0,0,hello")
 *   k empty                      -> data after it   ("5,0,0,,hello")
 *   k a number with more after   -> length, data after ("5,0,0,5,hello")
 *   k text with more after       -> k starts the data ("5,0,0,hi, there") */
static size_t text_data_start(const struct at_command *c, int k, long *dlen)
{
	*dlen = -1;
	if (c->nparams == k + 1)
		return c->params[k].raw_off;
	if (!at_param_present(c, k))
		return c->params[k + 1].raw_off;
	if (at_param_int(c, k, 0, 999999, dlen))
		return c->params[k + 1].raw_off;
	return c->params[k].raw_off;
}

/* Hex text to bytes; false on a character that is not a hex digit. */
static bool decode_hex(const char *text, size_t tlen, uint8_t *buf)
{
	for (size_t i = 0; i < tlen; i += 2) {
		int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		buf[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* The payload of a send whose <data_type> is param t: *data and *len point at
 * it (buf, FM_MAX_SEND_LIMIT bytes, holds decoded hex). Returns 0 or a CME
 * code. */
static int get_payload(struct modem *m, const struct at_command *c, int t, uint8_t *buf,
		       const uint8_t **data, size_t *len)
{
	size_t max = (size_t)m->opt->max_send;
	const char *text;
	size_t tlen, from;
	long type, dlen;

	if (!at_param_int(c, t, 0, 2, &type))
		return 2145;
	if (type == 1) {
		/* Binary: collected by the line reader before we ran. */
		if (!at_param_int(c, t + 1, 1, m->opt->max_send, &dlen))
			return 2146;
		*data = m->cmd.payload;
		*len = m->cmd.payload_len;
		return 0;
	}
	if (c->nparams <= t + 1)
		return 2142; /* no data */
	from = text_data_start(c, t + 1, &dlen);
	text = c->line + from;
	tlen = c->line_len - from;
	/* A string parameter may be quoted: one pair of quotes goes. */
	if (tlen >= 2 && text[0] == '"' && text[tlen - 1] == '"') {
		text++;
		tlen -= 2;
	}
	if (!tlen)
		return 2142;
	if (type == 0) {
		if (tlen > max)
			return 2146;
		*data = (const uint8_t *)text;
		*len = tlen;
	} else {
		if (tlen % 2)
			return 2142;
		/* --hex-counts-chars: firmware that measures the line, not
		 * the bytes it stands for. */
		if ((m->opt->hex_counts_chars ? tlen : tlen / 2) > max)
			return 2146;
		if (!decode_hex(text, tlen, buf))
			return 2142;
		*data = buf;
		*len = tlen / 2;
	}
	if (dlen >= 0 && (size_t)dlen != *len)
		return 2146;
	return 0;
}

/* The codes of a modem too busy for the send (the maker's drivers try them again): the socket stays. */
static bool busy_code(long code)
{
	return code == 159 || code == 536 || code == 537 || code == 1120;
}

/* --fail-send-after: counts the sends that passed every check; the chosen
 * one fails and takes its socket with it, as a transfer error does on real
 * firmware (docs/PROTOCOL.md §10), unless the code only says busy. */
static bool inject_send_failure(struct modem *m, struct msock *s)
{
	m->sends_checked++;
	if (m->opt->fail_send_after < 0 || m->sends_checked != (unsigned long)m->opt->fail_send_after)
		return false;
	trace_note(m->trace, '<', "send failure injected");
	if (!busy_code(m->opt->fail_send_code))
		sock_close(&m->socks, socket_slot(m, s));
	m->stats.sends_failed_injected++;
	return true;
}

/* Hands the bytes to the air model or the host socket. Returns 0 with *fits_at
 * (when the send may be answered), or -errno. */
static int send_out(struct modem *m, struct msock *s, const uint8_t *data, size_t len,
		    const struct sockaddr_storage *to, socklen_t tolen, int64_t *fits_at)
{
	*fits_at = 0;
	if (air_active(m)) {
		*fits_at = air_uplink(m, s, data, len, to, tolen);
		return 0;
	}
	return sock_send(s, data, len, to, tolen);
}

static void wait_uplink_room(struct modem *m, int64_t now)
{
	if (now >= m->cmd.not_before)
		command_finish(m, 0);
}

static void wait_tx_room(struct modem *m, int64_t now)
{
	struct msock *s = &m->socks.s[m->cmd.wait_sid];

	if (now < m->cmd.not_before)
		return; /* the uplink queue has no room yet */
	if (s->broken)
		command_finish(m, 2154);
	else if (s->tx.len <= TX_HIGH_WATER)
		command_finish(m, 0);
	else if (now >= m->cmd.deadline)
		command_finish(m, 2154); /* the queued bytes stay queued */
}

/* AT#IPSENDTCP: the parameters before the data name a TCP socket. */
static int tcp_socket(struct modem *m, const struct at_command *c, struct msock **s)
{
	int rc;

	if (c->nparams < 4)
		return 503;
	if ((rc = check_cid(m, c, 0)) || (rc = check_link(m)) || (rc = get_socket(m, c, 1, true, s)))
		return rc;
	return 0;
}

/* The TCP link can carry data. */
static int tcp_connected(const struct msock *s)
{
	return s->broken || sock_tcp_status(s) != 5 ? 2154 : 0;
}

int ipsendtcp_precheck(struct modem *m, const struct at_command *c)
{
	struct msock *s = NULL;
	int rc;

	if ((rc = tcp_socket(m, c, &s)))
		return rc;
	return tcp_connected(s);
}

static int ipsendtcp_set(struct modem *m, const struct at_command *c)
{
	uint8_t buf[FM_MAX_SEND_LIMIT];
	const uint8_t *data;
	struct msock *s = NULL;
	int64_t now = now_us(), fits_at;
	size_t len;
	int rc;

	if ((rc = tcp_socket(m, c, &s)) || (rc = get_payload(m, c, 2, buf, &data, &len)) ||
	    (rc = tcp_connected(s)))
		return rc;
	if (inject_send_failure(m, s))
		return (int)m->opt->fail_send_code;
	if (send_out(m, s, data, len, NULL, 0, &fits_at))
		return 2154;
	m->stats.payload_sent += len;
	if (fits_at > now || s->tx.len > TX_HIGH_WATER) {
		m->cmd.wait_sid = socket_slot(m, s);
		m->cmd.not_before = fits_at;
		m->cmd.deadline = (fits_at > now ? fits_at : now) + SEND_TIMEOUT_US;
		command_wait(m, wait_tx_room);
		return FM_PENDING;
	}
	return 0;
}

int cmd_ipsendtcp(struct modem *m, const struct at_command *c)
{
	return set_or_test(m, c, ipsendtcp_set,
			   "#IPSENDTCP: (%d)," SID_RANGE_FMT ",(0-2),(1-%ld),\"<data>\"", modem_cid(m),
			   SID_RANGE(m), m->opt->max_send);
}

/* Where an AT#IPSENDUDP goes. */
struct udp_dest {
	struct sockaddr_storage to;
	socklen_t tolen;
	int family;
	long rai;
};

/* AT#IPSENDUDP: the parameters before the data (socket, address, port,
 * RAI). The address is only parsed here; udp_dest_allowed() judges it. */
static int udp_target(struct modem *m, const struct at_command *c, struct msock **s, struct udp_dest *d)
{
	char addr[64];
	long port;
	int rc;

	if (c->nparams < 7)
		return 503;
	if ((rc = check_cid(m, c, 0)) || (rc = check_link(m)) || (rc = get_socket(m, c, 1, false, s)))
		return rc;
	if (!at_param_copy(c, 2, addr, sizeof(addr)))
		return 2103;
	if (!at_param_int(c, 3, 1, 65535, &port))
		return 2141;
	if (!at_param_int(c, 4, 0, 2, &d->rai))
		return 2147;
	d->family = addr_parse(addr, (unsigned)port, &d->to, &d->tolen);
	return 0;
}

/* Not an address, the wrong family for the socket, or (the fake modem's one
 * hard rule) not loopback: refused, nothing is sent. */
static int udp_dest_allowed(const struct msock *s, const struct udp_dest *d)
{
	if (!d->family || d->family != (s->p.ipver ? AF_INET6 : AF_INET) || !addr_is_loopback(&d->to))
		return 2103;
	return 0;
}

int ipsendudp_precheck(struct modem *m, const struct at_command *c)
{
	struct msock *s = NULL;
	struct udp_dest d;
	int rc;

	if ((rc = udp_target(m, c, &s, &d)))
		return rc;
	return udp_dest_allowed(s, &d);
}

static int ipsendudp_set(struct modem *m, const struct at_command *c)
{
	uint8_t buf[FM_MAX_SEND_LIMIT];
	const uint8_t *data;
	struct msock *s = NULL;
	struct udp_dest d;
	int64_t now = now_us(), fits_at;
	size_t len;
	int rc;

	if ((rc = udp_target(m, c, &s, &d)) || (rc = get_payload(m, c, 5, buf, &data, &len)) ||
	    (rc = udp_dest_allowed(s, &d)))
		return rc;
	if (inject_send_failure(m, s))
		return (int)m->opt->fail_send_code;
	if (send_out(m, s, data, len, &d.to, d.tolen, &fits_at))
		return 2154;
	m->stats.payload_sent += len;
	m->stats.udp_rai[d.rai]++;
	if (fits_at > now) {
		m->cmd.not_before = fits_at;
		command_wait(m, wait_uplink_room);
		return FM_PENDING;
	}
	return 0;
}

int cmd_ipsendudp(struct modem *m, const struct at_command *c)
{
	return set_or_test(m, c, ipsendudp_set,
			   "#IPSENDUDP: (%d)," SID_RANGE_FMT ",\"<ip_address>\","
			   "(1-65535),(0-2),(0-2),(1-%ld),\"<data>\"",
			   modem_cid(m), SID_RANGE(m), m->opt->max_send);
}

static int ipread_set(struct modem *m, const struct at_command *c)
{
	const uint8_t *data = NULL;
	struct msock *s;
	int slot;
	size_t n;
	int rc;

	if ((rc = check_params(c, 2, 2)) || (rc = check_cid(m, c, 0)) || (rc = check_link(m)))
		return rc;
	if (!param_sid(m, c, 1, &slot))
		return 2104;
	if (!(s = socktab_get(&m->socks, slot)))
		return 2153;
	/* TCP: up to --read-chunk bytes; UDP: one whole datagram. */
	n = sock_read_peek(s, (size_t)m->opt->read_chunk, &data);
	/* --empty-read ok: firmware that answers an empty read with OK alone. */
	if (!n && m->opt->empty_read == EMPTY_READ_OK)
		return 0;
	reply_info(m, "#IPREAD: %d,%d,%zu", modem_cid(m), modem_sid(m, slot), n);
	if (n && ++m->reads_with_data == m->opt->reboot_in_read) {
		/* --reboot-in-read: the block stops half-way; the boot lines follow. */
		writer_put(&m->out, data, n / 2);
		trace_binary(m->trace, '<', n / 2);
		modem_reboot(m);
		return FM_NO_ANSWER;
	}
	if (n) {
		reply_block(m, data, n);
		sock_read_done(s, n);
		m->stats.payload_received += n;
	}
	return 0;
}

int cmd_ipread(struct modem *m, const struct at_command *c)
{
	return set_or_test(m, c, ipread_set, "#IPREAD: (%d)," SID_RANGE_FMT, modem_cid(m), SID_RANGE(m));
}
