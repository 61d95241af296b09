/*
 * DNS messages for name resolution over the modem, built and read with
 * libresolv. The reply comes from the network, so everything past the
 * first two bytes is read only through ns_initparse()/ns_parserr(), which
 * bound every access by the message end.
 */
#include "dns_message.h"

#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/* Header byte 2: QR (reply), OPCODE, AA, TC, RD; read before ns_initparse(). */
#define HEADER_FLAGS1 2
#define FLAG_QR 0x80u
#define FLAG_TC 0x02u
#define OPCODE_SHIFT 3
#define OPCODE_MASK 0x0fu

static bool is_supported_qtype(int qtype)
{
	return qtype == ns_t_a || qtype == ns_t_aaaa;
}

/* Bytes of an uncompressed wire-format name, root label included. */
static size_t wire_name_length(const unsigned char *wire)
{
	size_t length = 0;

	while (wire[length] != 0)
		length += (size_t)wire[length] + 1;
	return length + 1;
}

int shim_dns_build_query(const char *name, int qtype, uint16_t id, unsigned char *buf, size_t buf_len)
{
	unsigned char wire_name[NS_MAXCDNAME];
	struct __res_state resolver;
	size_t needed;
	int length;

	if (name == NULL || buf == NULL || !is_supported_qtype(qtype))
		return -EINVAL;
	if (name[0] == '\0' || strcmp(name, ".") == 0)
		return -EINVAL;
	/* res_nmkquery() gives -1 both for a bad name and a small buffer:
	 * encoding the name first tells them apart. */
	if (ns_name_pton(name, wire_name, sizeof wire_name) < 0)
		return -EINVAL;
	needed = NS_HFIXEDSZ + wire_name_length(wire_name) + NS_QFIXEDSZ;
	if (buf_len < needed)
		return -EMSGSIZE;

	/* A private state, not _res: no /etc/resolv.conf read, no change to
	 * the program's resolver, and recursion desired whatever it says. */
	memset(&resolver, 0, sizeof resolver);
	resolver.options = RES_RECURSE;
	length = res_nmkquery(&resolver, ns_o_query, name, ns_c_in, qtype, NULL, 0, NULL, buf,
			      (int)needed);
	if (length < 0)
		return -ENOMEM; /* the name and room were checked: only glibc's malloc is left */

	/* res_nmkquery() picks a random id; the caller's id is what it waits for. */
	buf[0] = (unsigned char)(id >> 8);
	buf[1] = (unsigned char)(id & 0xff);
	return length;
}

/*
 * Whether two names in wire form are the same name: DNS ignores the case of
 * ASCII letters. Label length bytes (at most 63) are never letters, so one
 * byte-wise comparison covers both.
 */
static bool same_wire_name(const unsigned char *a, const unsigned char *b)
{
	size_t len = wire_name_length(a);

	if (wire_name_length(b) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ca = a[i] >= 'A' && a[i] <= 'Z' ? (unsigned char)(a[i] + 32) : a[i];
		unsigned char cb = b[i] >= 'A' && b[i] <= 'Z' ? (unsigned char)(b[i] + 32) : b[i];

		if (ca != cb)
			return false;
	}
	return true;
}

/*
 * Whether @text (presentation form, as ns_rr_name() gives it) names
 * @expected_name. Both go back to wire form, where escapes and a final dot
 * no longer differ. (ns_samename() does this but glibc deprecates it.)
 */
static bool is_expected_name(const char *text, const char *expected_name)
{
	unsigned char wire[NS_MAXCDNAME];
	unsigned char expected_wire[NS_MAXCDNAME];

	if (ns_name_pton(text, wire, sizeof wire) < 0 ||
	    ns_name_pton(expected_name, expected_wire, sizeof expected_wire) < 0)
		return false;
	return same_wire_name(wire, expected_wire);
}

/*
 * Whether the question of the reply is the one asked: exactly one, of
 * @qtype, class IN, for @expected_name. A reply to another question that
 * happens to carry our id is not our reply.
 */
static int check_question(ns_msg *handle, const char *expected_name, int qtype)
{
	ns_rr question;

	if (ns_msg_count(*handle, ns_s_qd) != 1)
		return SHIM_DNS_NOT_OURS;
	if (ns_parserr(handle, ns_s_qd, 0, &question) < 0)
		return SHIM_DNS_MALFORMED;
	if ((int)ns_rr_type(question) != qtype || ns_rr_class(question) != ns_c_in ||
	    !is_expected_name(ns_rr_name(question), expected_name))
		return SHIM_DNS_NOT_OURS;
	return SHIM_DNS_ANSWER;
}

/* Outcome of a reply whose rcode is not NOERROR. */
static int outcome_of_rcode(int rcode)
{
	switch (rcode) {
	case ns_r_nxdomain:
		return SHIM_DNS_NO_SUCH_NAME;
	case ns_r_servfail:
		return SHIM_DNS_TRY_AGAIN;
	default:
		return SHIM_DNS_REFUSED;
	}
}

/* Copies the A/AAAA records of the answer section into @answer. */
static int collect_addresses(ns_msg *handle, int qtype, struct shim_dns_answer *answer)
{
	const size_t address_len = qtype == ns_t_a ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	int records = ns_msg_count(*handle, ns_s_an);

	for (int i = 0; i < records; i++) {
		ns_rr record;

		if (ns_parserr(handle, ns_s_an, i, &record) < 0)
			return SHIM_DNS_MALFORMED;
		/* CNAMEs, DNAMEs, RRSIGs: the records they lead to follow. */
		if ((int)ns_rr_type(record) != qtype || ns_rr_class(record) != ns_c_in)
			continue;
		if (ns_rr_rdlen(record) != address_len)
			return SHIM_DNS_MALFORMED;
		if (answer->count == SHIM_DNS_MAX_ADDRESSES)
			continue;
		memcpy(&answer->addresses[answer->count], ns_rr_rdata(record), address_len);
		if (answer->count == 0 || ns_rr_ttl(record) < answer->ttl)
			answer->ttl = ns_rr_ttl(record);
		answer->count++;
	}
	return SHIM_DNS_ANSWER;
}

static void clear_answer(struct shim_dns_answer *answer, int qtype)
{
	memset(answer, 0, sizeof *answer);
	answer->family = qtype == ns_t_a ? AF_INET : AF_INET6;
}

int shim_dns_parse_answer(const unsigned char *msg, size_t len, uint16_t expected_id,
			  const char *expected_name, int qtype, struct shim_dns_answer *answer)
{
	ns_msg handle;
	unsigned flags1;
	bool truncated;
	int rcode;
	int ret;

	if (msg == NULL || expected_name == NULL || answer == NULL || !is_supported_qtype(qtype))
		return -EINVAL;
	clear_answer(answer, qtype);

	/* The id first: a stray datagram, even a broken one, must not end the wait. */
	if (len >= 2 && (((unsigned)msg[0] << 8) | msg[1]) != expected_id)
		return SHIM_DNS_NOT_OURS;
	if (len < NS_HFIXEDSZ || len > NS_MAXMSG)
		return SHIM_DNS_MALFORMED;
	flags1 = msg[HEADER_FLAGS1];
	if (!(flags1 & FLAG_QR) || ((flags1 >> OPCODE_SHIFT) & OPCODE_MASK) != ns_o_query)
		return SHIM_DNS_NOT_OURS;
	truncated = (flags1 & FLAG_TC) != 0;

	if (ns_initparse(msg, (int)len, &handle) < 0)
		/* A server may cut a too-long reply mid-record; it said so with TC. */
		return truncated ? SHIM_DNS_TRY_AGAIN : SHIM_DNS_MALFORMED;

	rcode = ns_msg_getflag(handle, ns_f_rcode);
	/* FORMERR and the like may come without the question. */
	if (rcode != ns_r_noerror && ns_msg_count(handle, ns_s_qd) == 0)
		return outcome_of_rcode(rcode);
	ret = check_question(&handle, expected_name, qtype);
	if (ret != SHIM_DNS_ANSWER)
		return ret;
	if (rcode != ns_r_noerror)
		return outcome_of_rcode(rcode);

	ret = collect_addresses(&handle, qtype, answer);
	if (ret != SHIM_DNS_ANSWER) {
		clear_answer(answer, qtype);
		return ret;
	}
	if (answer->count == 0)
		return truncated ? SHIM_DNS_TRY_AGAIN : SHIM_DNS_NO_DATA;
	return SHIM_DNS_ANSWER;
}

int shim_dns_outcome_to_eai(int outcome)
{
	switch (outcome) {
	case SHIM_DNS_ANSWER:
		return 0;
	case SHIM_DNS_NO_SUCH_NAME:
		return EAI_NONAME;
	case SHIM_DNS_NO_DATA:
		return EAI_NODATA;
	case SHIM_DNS_TRY_AGAIN:
	case SHIM_DNS_NOT_OURS: /* only ever final when the wait ran out */
		return EAI_AGAIN;
	default:
		return EAI_FAIL;
	}
}
