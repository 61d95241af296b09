/*
 * Fuzz target: DNS replies read by the shim (src/settings/dns_message.c).
 *
 * Input: FLAGS NAME '\0' MESSAGE. FLAGS is one byte: bit 0 asks for AAAA
 * (else A); bit 1 expects another id than the message carries. NAME is the
 * name that was asked for; MESSAGE the reply, in a heap block of its exact
 * size. Without a NUL the rest of the input is NAME and MESSAGE is empty.
 *
 * Invariants checked besides the sanitizers:
 *  - shim_dns_parse_answer() returns one of enum shim_dns_outcome, and
 *    @answer agrees with it (addresses only for SHIM_DNS_ANSWER, at most
 *    SHIM_DNS_MAX_ADDRESSES, the family asked for, ttl 0 without any);
 *  - NAME round trip: shim_dns_build_query() either refuses NAME with
 *    -EINVAL or builds a query of exactly the size it needs; that query is
 *    no reply (SHIM_DNS_NOT_OURS); made into a reply with one address record
 *    (its owner a compression pointer to the question), with the question's
 *    letters in either case, it gives back that address and TTL.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_message.h"
#include "dns_outcome.h"
#include "fuzz.h"

#define FLAG_AAAA 0x01u
#define FLAG_OTHER_ID 0x02u
#define QUERY_SIZE 512
#define RECORD_TTL 3600u

static int parse(const unsigned char *msg, size_t len, uint16_t id, const char *name, int qtype,
		 struct shim_dns_answer *answer)
{
	int ret = shim_dns_parse_answer(msg, len, id, name, qtype, answer);

	FUZZ_CHECK(is_dns_outcome(ret));
	FUZZ_CHECK(answer->family == (qtype == ns_t_a ? AF_INET : AF_INET6));
	FUZZ_CHECK(answer->count <= SHIM_DNS_MAX_ADDRESSES);
	FUZZ_CHECK((answer->count > 0) == (ret == SHIM_DNS_ANSWER));
	FUZZ_CHECK(answer->count > 0 || answer->ttl == 0);
	FUZZ_CHECK((shim_dns_outcome_to_eai(ret) == 0) == (ret == SHIM_DNS_ANSWER));
	return ret;
}

static void put16(unsigned char *at, unsigned value)
{
	at[0] = (unsigned char)(value >> 8);
	at[1] = (unsigned char)value;
}

/* Builds a query for @p name and checks what a reply made from it gives. */
static void check_round_trip(const char *name, int qtype, uint16_t id)
{
	unsigned char query[QUERY_SIZE];
	unsigned char *reply;
	struct shim_dns_answer answer;
	const size_t address_len = qtype == ns_t_a ? 4 : 16;
	int len = shim_dns_build_query(name, qtype, id, query, sizeof query);

	FUZZ_CHECK(len > 0 || len == -EINVAL);
	if (len < 0)
		return;
	FUZZ_CHECK(len >= NS_HFIXEDSZ + 1 + NS_QFIXEDSZ &&
		   len <= NS_HFIXEDSZ + NS_MAXCDNAME + NS_QFIXEDSZ);
	FUZZ_CHECK(query[0] == id >> 8 && query[1] == (id & 0xff));
	FUZZ_CHECK(shim_dns_build_query(name, qtype, id, query, (size_t)len) == len);
	FUZZ_CHECK(shim_dns_build_query(name, qtype, id, query, (size_t)len - 1) == -EMSGSIZE);
	FUZZ_CHECK(parse(query, (size_t)len, id, name, qtype, &answer) == SHIM_DNS_NOT_OURS);

	/* The reply: the query with QR and RA set, one answer record appended. */
	size_t reply_len = (size_t)len + 2 + NS_RRFIXEDSZ + address_len;
	reply = malloc(reply_len);
	if (!reply)
		return;
	memcpy(reply, query, (size_t)len);
	reply[2] |= 0x80;
	reply[3] |= 0x80;
	put16(reply + 6, 1);
	unsigned char *record = reply + len;
	put16(record, 0xc000 | NS_HFIXEDSZ);
	put16(record + 2, (unsigned)qtype);
	put16(record + 4, ns_c_in);
	put16(record + 6, RECORD_TTL >> 16);
	put16(record + 8, RECORD_TTL & 0xffff);
	put16(record + 10, (unsigned)address_len);
	for (size_t i = 0; i < address_len; i++)
		record[12 + i] = (unsigned char)(0xa0 + i);

	for (int upper = 0; upper <= 1; upper++) {
		if (upper) {
			for (int i = NS_HFIXEDSZ; i < len - NS_QFIXEDSZ; i++) {
				if (reply[i] >= 'a' && reply[i] <= 'z')
					reply[i] = (unsigned char)(reply[i] - 32);
				else if (reply[i] >= 'A' && reply[i] <= 'Z')
					reply[i] = (unsigned char)(reply[i] + 32);
			}
		}
		FUZZ_CHECK(parse(reply, reply_len, id, name, qtype, &answer) == SHIM_DNS_ANSWER);
		FUZZ_CHECK(answer.count == 1 && answer.ttl == RECORD_TTL);
		FUZZ_CHECK(memcmp(&answer.addresses[0], record + 12, address_len) == 0);
	}
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shim_dns_answer answer;

	if (size == 0)
		return 0;

	unsigned flags = data[0];
	int qtype = flags & FLAG_AAAA ? ns_t_aaaa : ns_t_a;
	const uint8_t *name_start = data + 1;
	const uint8_t *nul = memchr(name_start, '\0', size - 1);
	size_t name_len = nul ? (size_t)(nul - name_start) : size - 1;
	size_t msg_len = nul ? size - 1 - name_len - 1 : 0;
	char *name = malloc(name_len + 1);
	unsigned char *msg = malloc(msg_len ? msg_len : 1);

	if (!name || !msg)
		goto out;
	memcpy(name, name_start, name_len);
	name[name_len] = '\0';
	if (msg_len)
		memcpy(msg, nul + 1, msg_len);

	uint16_t id = msg_len >= 2 ? (uint16_t)(msg[0] << 8 | msg[1]) : 0x1234;
	if (flags & FLAG_OTHER_ID)
		id ^= 1;

	int ret = parse(msg, msg_len, id, name, qtype, &answer);
	if (flags & FLAG_OTHER_ID && msg_len >= 2)
		FUZZ_CHECK(ret == SHIM_DNS_NOT_OURS);
	FUZZ_CHECK(shim_dns_parse_answer(NULL, msg_len, id, name, qtype, &answer) == -EINVAL);
	FUZZ_CHECK(shim_dns_parse_answer(msg, msg_len, id, name, ns_t_mx, &answer) == -EINVAL);

	check_round_trip(name, qtype, id);

out:
	free(name);
	free(msg);
	return 0;
}
