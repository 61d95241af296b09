/*
 * DNS over the modem: the query as a server sees it, and replies assembled
 * byte by byte here (A, AAAA, CNAME chains, errors, truncation, compression
 * loops). Every reply is parsed from a heap copy of its exact length, so
 * AddressSanitizer catches any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns_message.h"
#include "dns_outcome.h"
#include "test_cases.h"

/*
 * The pieces the replies below are made of, one to a line. A header: @id,
 * QR RD RA with @rcode, one question, @answers answer and @authority
 * authority records.
 */
#define HEADER(id, rcode, answers, authority) \
	(id) >> 8, (id)&0xff, 0x81, 0x80 | (rcode), 0, 1, 0, (answers), 0, (authority), 0, 0
/* A 32-bit number, most significant byte first. */
#define U32(v) (v) >> 24, ((v) >> 16) & 0xff, ((v) >> 8) & 0xff, (v)&0xff
/* Names and labels as a message spells them. */
#define EXAMPLE_COM 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0
#define EDGE_NET 4, 'e', 'd', 'g', 'e', 3, 'n', 'e', 't', 0
#define LABEL_WWW 3, 'w', 'w', 'w'
#define LABEL_NO 2, 'n', 'o'
#define LABEL_CDN 3, 'c', 'd', 'n'
#define LABEL_NS 2, 'n', 's'
#define LABEL_HOSTMASTER 10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r'
/* A question's type and class IN, after its name. */
#define QUESTION(type) 0, (type), 0, 1
/* A name compressed to the one at @offset. */
#define POINTER(offset) 0xc0, (offset)
/* A record's type, class IN, @ttl and @rdlength, after its owner. */
#define RECORD(type, ttl, rdlength) 0, (type), 0, 1, U32(ttl), 0, (rdlength)
/* An A record's rdata. */
#define IPV4(a, b, c, d) (a), (b), (c), (d)
#define IPV6_2001_DB8__1 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1

/* Reply to "example.com A", id 0x1234: two addresses, TTL 300 and 60. */
static const unsigned char reply_a[] = {
	HEADER(0x1234, 0, 2, 0),
	/* @12: "example" @12, "com" @20 */
	EXAMPLE_COM,
	QUESTION(ns_t_a),
	/* @29 */
	POINTER(12),
	RECORD(ns_t_a, 300, 4),
	IPV4(93, 184, 216, 34),
	/* @45 */
	POINTER(12),
	RECORD(ns_t_a, 60, 4),
	IPV4(93, 184, 216, 35),
};
#define REPLY_A_ID 0x1234
#define REPLY_A_FIRST_OWNER 29
#define REPLY_A_SECOND_OWNER 45

/* Reply to "example.com AAAA", id 0x4242: 2001:db8::1, TTL 3600. */
static const unsigned char reply_aaaa[] = {
	HEADER(0x4242, 0, 1, 0),     EXAMPLE_COM,      QUESTION(ns_t_aaaa), POINTER(12),
	RECORD(ns_t_aaaa, 3600, 16), IPV6_2001_DB8__1,
};
#define REPLY_AAAA_ID 0x4242

/*
 * Reply to "www.example.com A", id 0xbeef: www.example.com CNAME
 * cdn.example.com, cdn.example.com CNAME edge.net, edge.net A 192.0.2.7.
 */
static const unsigned char reply_cname_chain[] = {
	HEADER(0xbeef, 0, 3, 0),
	/* @12: "example" @16 */
	LABEL_WWW,
	EXAMPLE_COM,
	QUESTION(ns_t_a),
	/* @33 www.example.com CNAME, rdata @45: "cdn" -> @16 */
	POINTER(12),
	RECORD(ns_t_cname, 3600, 6),
	LABEL_CDN,
	POINTER(16),
	/* @51 cdn.example.com (-> @45) CNAME, rdata @63: edge.net */
	POINTER(45),
	RECORD(ns_t_cname, 120, 10),
	EDGE_NET,
	/* @73 edge.net (-> @63) A */
	POINTER(63),
	RECORD(ns_t_a, 30, 4),
	IPV4(192, 0, 2, 7),
};
#define REPLY_CNAME_ID 0xbeef
#define REPLY_CNAME_QTYPE_LOW 30 /* low byte of the question's type */

/* NXDOMAIN for "no.example.com A", id 0x5151, with the zone's SOA. */
static const unsigned char reply_nxdomain[] = {
	HEADER(0x5151, ns_r_nxdomain, 0, 1),
	/* @12: "example" @15 */
	LABEL_NO,
	EXAMPLE_COM,
	QUESTION(ns_t_a),
	/* @32 authority: example.com SOA: ns, hostmaster, serial, refresh, retry, expire, minimum */
	POINTER(15),
	RECORD(ns_t_soa, 900, 38),
	LABEL_NS,
	POINTER(15),
	LABEL_HOSTMASTER,
	POINTER(15),
	U32(1),
	U32(7200),
	U32(3600),
	U32(1209600),
	U32(300),
};
#define REPLY_NXDOMAIN_ID 0x5151

/* Question only: "example.com A", id 0x1234, NOERROR, no records. */
static const unsigned char reply_question_only[] = {
	HEADER(0x1234, 0, 0, 0),
	EXAMPLE_COM,
	QUESTION(ns_t_a),
};

/* One A record for example.com (-> @12) with TTL 1000 - its last address byte. */
static const unsigned char a_record[] = {
	POINTER(12),
	RECORD(ns_t_a, 1000, 4),
	IPV4(198, 51, 100, 0),
};

#define HEADER_FLAGS1 2
#define HEADER_FLAGS2 3

static struct shim_dns_answer answer;

/* Parses @len bytes of @reply from a heap copy of exactly that size. */
static int parse_exact(const unsigned char *reply, size_t len, uint16_t id, const char *name, int qtype)
{
	unsigned char *copy = malloc(len > 0 ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, reply, len);
	ret = shim_dns_parse_answer(copy, len, id, name, qtype, &answer);
	free(copy);
	return ret;
}

/* parse_exact() over the whole of the array @reply. */
#define PARSE_WHOLE(reply, id, name, qtype) parse_exact(reply, sizeof reply, id, name, qtype)

static void assert_ipv4(size_t index, const char *expected)
{
	char text[INET_ADDRSTRLEN];

	assert_true(index < answer.count);
	assert_non_null(inet_ntop(AF_INET, &answer.addresses[index].v4, text, sizeof text));
	assert_string_equal(text, expected);
}

static void assert_ipv6(size_t index, const char *expected)
{
	char text[INET6_ADDRSTRLEN];

	assert_true(index < answer.count);
	assert_non_null(inet_ntop(AF_INET6, &answer.addresses[index].v6, text, sizeof text));
	assert_string_equal(text, expected);
}

TEST_CASE(test_query_for_an_a_record_is_the_standard_message)
{
	static const unsigned char expected[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 7,    'e',  'x',
		'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0,    0x00, 0x01, 0x00, 0x01,
	};
	unsigned char query[SHIM_DNS_UDP_MAX];
	ns_msg handle;
	ns_rr question;

	(void)state;
	assert_int_equal(shim_dns_build_query("example.com", ns_t_a, 0x1234, query, sizeof query),
			 sizeof expected);
	assert_memory_equal(query, expected, sizeof expected);

	assert_int_equal(ns_initparse(query, (int)sizeof expected, &handle), 0);
	assert_int_equal(ns_msg_id(handle), 0x1234);
	assert_int_equal(ns_msg_getflag(handle, ns_f_qr), 0);
	assert_int_equal(ns_msg_getflag(handle, ns_f_opcode), ns_o_query);
	assert_int_equal(ns_msg_getflag(handle, ns_f_rd), 1);
	assert_int_equal(ns_msg_count(handle, ns_s_qd), 1);
	assert_int_equal(ns_msg_count(handle, ns_s_an), 0);
	assert_int_equal(ns_msg_count(handle, ns_s_ns), 0);
	assert_int_equal(ns_msg_count(handle, ns_s_ar), 0);
	assert_int_equal(ns_parserr(&handle, ns_s_qd, 0, &question), 0);
	assert_string_equal(ns_rr_name(question), "example.com");
	assert_int_equal(ns_rr_type(question), ns_t_a);
	assert_int_equal(ns_rr_class(question), ns_c_in);
}

TEST_CASE(test_query_for_aaaa_takes_a_final_dot_and_any_id)
{
	static const uint16_t ids[] = {0x0000, 0x00ff, 0xff00, 0xffff};
	unsigned char query[SHIM_DNS_UDP_MAX];
	ns_msg handle;
	ns_rr question;

	(void)state;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		int len = shim_dns_build_query("www.example.com.", ns_t_aaaa, ids[i], query,
					       sizeof query);

		assert_int_equal(len, 12 + 17 + 4);
		assert_int_equal(ns_initparse(query, len, &handle), 0);
		assert_int_equal(ns_msg_id(handle), ids[i]);
		assert_int_equal(ns_parserr(&handle, ns_s_qd, 0, &question), 0);
		assert_string_equal(ns_rr_name(question), "www.example.com");
		assert_int_equal(ns_rr_type(question), ns_t_aaaa);
		assert_int_equal(ns_rr_class(question), ns_c_in);
	}
}

TEST_CASE(test_query_refuses_what_dns_cannot_carry)
{
	char label_63[64];
	char label_64[65];
	char name_253[254];
	char name_255[256];
	unsigned char query[SHIM_DNS_UDP_MAX];

	(void)state;
	memset(label_63, 'a', sizeof label_63 - 1);
	label_63[sizeof label_63 - 1] = '\0';
	memset(label_64, 'a', sizeof label_64 - 1);
	label_64[sizeof label_64 - 1] = '\0';
	/* 63.63.63.61 characters: the longest name; 63.63.63.63 is two too long. */
	memset(name_253, 'b', sizeof name_253 - 1);
	name_253[63] = name_253[127] = name_253[191] = '.';
	name_253[sizeof name_253 - 1] = '\0';
	memset(name_255, 'b', sizeof name_255 - 1);
	name_255[63] = name_255[127] = name_255[191] = '.';
	name_255[sizeof name_255 - 1] = '\0';

	assert_true(shim_dns_build_query(label_63, ns_t_a, 1, query, sizeof query) > 0);
	assert_int_equal(shim_dns_build_query(name_253, ns_t_a, 1, query, sizeof query), 12 + 255 + 4);
	assert_int_equal(shim_dns_build_query(label_64, ns_t_a, 1, query, sizeof query), -EINVAL);
	assert_int_equal(shim_dns_build_query(name_255, ns_t_a, 1, query, sizeof query), -EINVAL);
	assert_int_equal(shim_dns_build_query("a..b", ns_t_a, 1, query, sizeof query), -EINVAL);
	assert_int_equal(shim_dns_build_query(".example", ns_t_a, 1, query, sizeof query), -EINVAL);
	assert_int_equal(shim_dns_build_query("", ns_t_a, 1, query, sizeof query), -EINVAL);
	assert_int_equal(shim_dns_build_query(".", ns_t_a, 1, query, sizeof query), -EINVAL);
	assert_int_equal(shim_dns_build_query(NULL, ns_t_a, 1, query, sizeof query), -EINVAL);
	assert_int_equal(shim_dns_build_query("example.com", ns_t_mx, 1, query, sizeof query), -EINVAL);
	assert_int_equal(shim_dns_build_query("example.com", ns_t_a, 1, NULL, sizeof query), -EINVAL);
}

TEST_CASE(test_query_needs_room_for_the_whole_message)
{
	(void)state;
	for (size_t room = 0; room <= 29; room++) {
		unsigned char *query = malloc(room > 0 ? room : 1);
		int ret;

		assert_non_null(query);
		ret = shim_dns_build_query("example.com", ns_t_a, 7, query, room);
		free(query);
		assert_int_equal(ret, room < 29 ? -EMSGSIZE : 29);
	}
}

TEST_CASE(test_our_own_query_echoed_back_is_not_an_answer)
{
	unsigned char query[SHIM_DNS_UDP_MAX];
	int len;

	(void)state;
	len = shim_dns_build_query("example.com", ns_t_a, 0x1234, query, sizeof query);
	assert_true(len > 0);
	assert_int_equal(parse_exact(query, (size_t)len, 0x1234, "example.com", ns_t_a),
			 SHIM_DNS_NOT_OURS);
}

TEST_CASE(test_a_reply_gives_every_address_and_the_smallest_ttl)
{
	(void)state;
	assert_int_equal(PARSE_WHOLE(reply_a, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_ANSWER);
	assert_int_equal(answer.family, AF_INET);
	assert_int_equal(answer.count, 2);
	assert_ipv4(0, "93.184.216.34");
	assert_ipv4(1, "93.184.216.35");
	assert_int_equal(answer.ttl, 60);
	assert_int_equal(shim_dns_outcome_to_eai(SHIM_DNS_ANSWER), 0);
}

TEST_CASE(test_aaaa_reply)
{
	(void)state;
	assert_int_equal(PARSE_WHOLE(reply_aaaa, REPLY_AAAA_ID, "example.com", ns_t_aaaa),
			 SHIM_DNS_ANSWER);
	assert_int_equal(answer.family, AF_INET6);
	assert_int_equal(answer.count, 1);
	assert_ipv6(0, "2001:db8::1");
	assert_int_equal(answer.ttl, 3600);
}

TEST_CASE(test_cname_chain_leads_to_the_address)
{
	unsigned char aaaa_question[sizeof reply_cname_chain];

	(void)state;
	assert_int_equal(PARSE_WHOLE(reply_cname_chain, REPLY_CNAME_ID, "www.example.com", ns_t_a),
			 SHIM_DNS_ANSWER);
	assert_int_equal(answer.count, 1);
	assert_ipv4(0, "192.0.2.7");
	assert_int_equal(answer.ttl, 30);

	/* The same chain as the reply to an AAAA question: only an A at its end. */
	memcpy(aaaa_question, reply_cname_chain, sizeof aaaa_question);
	aaaa_question[REPLY_CNAME_QTYPE_LOW] = ns_t_aaaa;
	assert_int_equal(PARSE_WHOLE(aaaa_question, REPLY_CNAME_ID, "www.example.com", ns_t_aaaa),
			 SHIM_DNS_NO_DATA);
	assert_int_equal(answer.count, 0);
}

TEST_CASE(test_question_is_compared_as_dns_does)
{
	(void)state;
	assert_int_equal(PARSE_WHOLE(reply_a, REPLY_A_ID, "EXAMPLE.Com", ns_t_a), SHIM_DNS_ANSWER);
	assert_int_equal(PARSE_WHOLE(reply_a, REPLY_A_ID, "example.com.", ns_t_a), SHIM_DNS_ANSWER);
	assert_int_equal(PARSE_WHOLE(reply_a, REPLY_A_ID, "example.org", ns_t_a), SHIM_DNS_NOT_OURS);
	assert_int_equal(PARSE_WHOLE(reply_a, REPLY_A_ID, "www.example.com", ns_t_a), SHIM_DNS_NOT_OURS);
	assert_int_equal(PARSE_WHOLE(reply_a, REPLY_A_ID, "example.com", ns_t_aaaa), SHIM_DNS_NOT_OURS);
	assert_int_equal(answer.count, 0);
}

TEST_CASE(test_nxdomain_means_no_such_name)
{
	(void)state;
	assert_int_equal(PARSE_WHOLE(reply_nxdomain, REPLY_NXDOMAIN_ID, "no.example.com", ns_t_a),
			 SHIM_DNS_NO_SUCH_NAME);
	assert_int_equal(answer.count, 0);
	assert_int_equal(shim_dns_outcome_to_eai(SHIM_DNS_NO_SUCH_NAME), EAI_NONAME);
}

TEST_CASE(test_no_address_of_that_type_means_no_data)
{
	unsigned char chaos_class[sizeof reply_a];

	(void)state;
	assert_int_equal(PARSE_WHOLE(reply_question_only, REPLY_A_ID, "example.com", ns_t_a),
			 SHIM_DNS_NO_DATA);
	assert_int_equal(shim_dns_outcome_to_eai(SHIM_DNS_NO_DATA), EAI_NODATA);

	/* A records of class CH are not Internet addresses. */
	memcpy(chaos_class, reply_a, sizeof chaos_class);
	chaos_class[REPLY_A_FIRST_OWNER + 5] = ns_c_chaos;
	chaos_class[REPLY_A_SECOND_OWNER + 5] = ns_c_chaos;
	assert_int_equal(PARSE_WHOLE(chaos_class, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_NO_DATA);
}

TEST_CASE(test_server_errors)
{
	static const struct {
		int rcode;
		int outcome;
		int eai;
	} cases[] = {
		{ns_r_servfail, SHIM_DNS_TRY_AGAIN, EAI_AGAIN},
		{ns_r_formerr, SHIM_DNS_REFUSED, EAI_FAIL},
		{ns_r_notimpl, SHIM_DNS_REFUSED, EAI_FAIL},
		{ns_r_refused, SHIM_DNS_REFUSED, EAI_FAIL},
		{15, SHIM_DNS_REFUSED, EAI_FAIL},
	};
	unsigned char reply[sizeof reply_question_only];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memcpy(reply, reply_question_only, sizeof reply);
		reply[HEADER_FLAGS2] = (unsigned char)(0x80 | cases[i].rcode);
		assert_int_equal(PARSE_WHOLE(reply, REPLY_A_ID, "example.com", ns_t_a),
				 cases[i].outcome);
		assert_int_equal(shim_dns_outcome_to_eai(cases[i].outcome), cases[i].eai);
	}

	/* FORMERR may come back without the question. */
	memcpy(reply, reply_question_only, 12);
	reply[HEADER_FLAGS2] = 0x80 | ns_r_formerr;
	reply[5] = 0;
	assert_int_equal(parse_exact(reply, 12, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_REFUSED);
	/* ...but a NOERROR reply without it could answer anything. */
	reply[HEADER_FLAGS2] = 0x80;
	assert_int_equal(parse_exact(reply, 12, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_NOT_OURS);
}

TEST_CASE(test_replies_to_something_else_are_not_ours)
{
	unsigned char reply[sizeof reply_a];
	unsigned char two_questions[sizeof reply_question_only + 17];

	(void)state;
	assert_int_equal(PARSE_WHOLE(reply_a, REPLY_A_ID + 1, "example.com", ns_t_a), SHIM_DNS_NOT_OURS);
	assert_int_equal(shim_dns_outcome_to_eai(SHIM_DNS_NOT_OURS), EAI_AGAIN);
	/* Even a stub of a stranger's datagram does not end the wait. */
	assert_int_equal(parse_exact(reply_a, 2, REPLY_A_ID + 1, "example.com", ns_t_a),
			 SHIM_DNS_NOT_OURS);

	memcpy(reply, reply_a, sizeof reply);
	reply[HEADER_FLAGS1] = 0x01; /* QR clear: a query */
	assert_int_equal(PARSE_WHOLE(reply, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_NOT_OURS);
	reply[HEADER_FLAGS1] = 0x80 | (ns_o_iquery << 3);
	assert_int_equal(PARSE_WHOLE(reply, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_NOT_OURS);

	memcpy(two_questions, reply_question_only, sizeof reply_question_only);
	memcpy(two_questions + sizeof reply_question_only, reply_question_only + 12, 17);
	two_questions[5] = 2;
	assert_int_equal(PARSE_WHOLE(two_questions, REPLY_A_ID, "example.com", ns_t_a),
			 SHIM_DNS_NOT_OURS);
}

static void assert_malformed_at_every_shorter_length(const unsigned char *reply, size_t len, uint16_t id,
						     const char *name, int qtype)
{
	for (size_t cut = 0; cut < len; cut++) {
		int ret = parse_exact(reply, cut, id, name, qtype);

		if (ret != SHIM_DNS_MALFORMED)
			fail_msg("%s cut to %zu of %zu bytes gave %d", name, cut, len, ret);
		assert_int_equal(answer.count, 0);
	}
}

TEST_CASE(test_truncated_replies_are_malformed_at_every_length)
{
	(void)state;
	assert_malformed_at_every_shorter_length(reply_a, sizeof reply_a, REPLY_A_ID, "example.com",
						 ns_t_a);
	assert_malformed_at_every_shorter_length(reply_aaaa, sizeof reply_aaaa, REPLY_AAAA_ID,
						 "example.com", ns_t_aaaa);
	assert_malformed_at_every_shorter_length(reply_cname_chain, sizeof reply_cname_chain,
						 REPLY_CNAME_ID, "www.example.com", ns_t_a);
	assert_malformed_at_every_shorter_length(reply_nxdomain, sizeof reply_nxdomain,
						 REPLY_NXDOMAIN_ID, "no.example.com", ns_t_a);
	assert_int_equal(shim_dns_outcome_to_eai(SHIM_DNS_MALFORMED), EAI_FAIL);
}

TEST_CASE(test_bytes_past_the_last_record_are_malformed)
{
	unsigned char longer[sizeof reply_a + 1];

	(void)state;
	memcpy(longer, reply_a, sizeof reply_a);
	longer[sizeof reply_a] = 0;
	assert_int_equal(PARSE_WHOLE(longer, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_MALFORMED);
}

TEST_CASE(test_truncation_flag)
{
	unsigned char reply[sizeof reply_a];

	(void)state;
	memcpy(reply, reply_question_only, sizeof reply_question_only);
	reply[HEADER_FLAGS1] |= 0x02;
	assert_int_equal(parse_exact(reply, sizeof reply_question_only, REPLY_A_ID, "example.com",
				     ns_t_a),
			 SHIM_DNS_TRY_AGAIN);

	/* Cut at a record boundary, the addresses that came are good. */
	memcpy(reply, reply_a, sizeof reply);
	reply[HEADER_FLAGS1] |= 0x02;
	reply[7] = 1;
	assert_int_equal(parse_exact(reply, REPLY_A_SECOND_OWNER, REPLY_A_ID, "example.com", ns_t_a),
			 SHIM_DNS_ANSWER);
	assert_int_equal(answer.count, 1);

	/* Cut inside a record: try again rather than fail. */
	reply[7] = 2;
	assert_int_equal(parse_exact(reply, sizeof reply - 3, REPLY_A_ID, "example.com", ns_t_a),
			 SHIM_DNS_TRY_AGAIN);
	assert_int_equal(answer.count, 0);
}

TEST_CASE(test_compression_pointer_loops_are_malformed)
{
	static const unsigned char question_points_at_itself[] = {
		0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01,
	};
	static const unsigned char question_points_past_the_end[] = {
		0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0xc0, 0xff, 0x00, 0x01, 0x00, 0x01,
	};
	static const unsigned char label_runs_past_the_end[] = {
		0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x3f, 'a',  0x00, 0x00, 0x01, 0x00, 0x01,
	};
	unsigned char reply[sizeof reply_a];

	(void)state;
	assert_int_equal(PARSE_WHOLE(question_points_at_itself, REPLY_A_ID, "example.com", ns_t_a),
			 SHIM_DNS_MALFORMED);
	assert_int_equal(PARSE_WHOLE(question_points_past_the_end, REPLY_A_ID, "example.com", ns_t_a),
			 SHIM_DNS_MALFORMED);
	assert_int_equal(PARSE_WHOLE(label_runs_past_the_end, REPLY_A_ID, "example.com", ns_t_a),
			 SHIM_DNS_MALFORMED);

	/* An answer's owner pointing at itself. */
	memcpy(reply, reply_a, sizeof reply);
	reply[REPLY_A_FIRST_OWNER + 1] = REPLY_A_FIRST_OWNER;
	assert_int_equal(PARSE_WHOLE(reply, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_MALFORMED);
	assert_int_equal(answer.count, 0);

	/* Two owners pointing at each other. */
	memcpy(reply, reply_a, sizeof reply);
	reply[REPLY_A_FIRST_OWNER + 1] = REPLY_A_SECOND_OWNER;
	reply[REPLY_A_SECOND_OWNER + 1] = REPLY_A_FIRST_OWNER;
	assert_int_equal(PARSE_WHOLE(reply, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_MALFORMED);
}

TEST_CASE(test_address_of_the_wrong_size_is_malformed)
{
	static const unsigned char five_byte_a[] = {
		0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',
		0,    0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00,
		0x00, 0x01, 0x2c, 0x00, 0x05, 93,   184,  216,  34,   1,
	};
	unsigned char reply[sizeof reply_a];

	(void)state;
	assert_int_equal(PARSE_WHOLE(five_byte_a, REPLY_A_ID, "example.com", ns_t_a),
			 SHIM_DNS_MALFORMED);

	/* A length that runs past the message. */
	memcpy(reply, reply_a, sizeof reply);
	reply[REPLY_A_SECOND_OWNER + 11] = 0xff;
	assert_int_equal(PARSE_WHOLE(reply, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_MALFORMED);
}

TEST_CASE(test_only_the_first_addresses_are_kept)
{
	enum { RECORDS = SHIM_DNS_MAX_ADDRESSES + 4 };
	unsigned char reply[sizeof reply_question_only + RECORDS * sizeof a_record];
	size_t len = sizeof reply_question_only;

	(void)state;
	memcpy(reply, reply_question_only, sizeof reply_question_only);
	reply[7] = RECORDS;
	for (int i = 0; i < RECORDS; i++) {
		memcpy(reply + len, a_record, sizeof a_record);
		reply[len + 9] = (unsigned char)(0xe8 - i); /* TTL 1000 - i */
		reply[len + 15] = (unsigned char)i;
		len += sizeof a_record;
	}
	assert_int_equal(parse_exact(reply, len, REPLY_A_ID, "example.com", ns_t_a), SHIM_DNS_ANSWER);
	assert_int_equal(answer.count, SHIM_DNS_MAX_ADDRESSES);
	assert_ipv4(0, "198.51.100.0");
	assert_ipv4(SHIM_DNS_MAX_ADDRESSES - 1, "198.51.100.15");
	assert_int_equal(answer.ttl, 1000 - (SHIM_DNS_MAX_ADDRESSES - 1));
}

TEST_CASE(test_bad_arguments)
{
	(void)state;
	assert_int_equal(shim_dns_parse_answer(NULL, 10, 1, "example.com", ns_t_a, &answer), -EINVAL);
	assert_int_equal(shim_dns_parse_answer(reply_a, sizeof reply_a, REPLY_A_ID, NULL, ns_t_a,
					       &answer),
			 -EINVAL);
	assert_int_equal(shim_dns_parse_answer(reply_a, sizeof reply_a, REPLY_A_ID, "example.com",
					       ns_t_a, NULL),
			 -EINVAL);
	assert_int_equal(shim_dns_parse_answer(reply_a, sizeof reply_a, REPLY_A_ID, "example.com",
					       ns_t_mx, &answer),
			 -EINVAL);
	assert_int_equal(shim_dns_outcome_to_eai(-EINVAL), EAI_FAIL);
}

/* Every single-byte change of each reply: an outcome, never a crash or over-read. */
static void mutate_every_byte(const unsigned char *reply, size_t len, uint16_t id, const char *name,
			      int qtype)
{
	static const unsigned char values[] = {0x00, 0x01, 0x02, 0x0c, 0x3f, 0x40,
					       0x7f, 0x80, 0xc0, 0xc1, 0xfe, 0xff};
	unsigned char *copy = malloc(len);

	assert_non_null(copy);
	for (size_t pos = 0; pos < len; pos++) {
		for (size_t v = 0; v < sizeof values / sizeof values[0] + 2; v++) {
			int ret;

			memcpy(copy, reply, len);
			if (v < sizeof values / sizeof values[0])
				copy[pos] = values[v];
			else
				copy[pos] ^= v == sizeof values / sizeof values[0] ? 0x01 : 0x80;
			ret = shim_dns_parse_answer(copy, len, id, name, qtype, &answer);
			assert_true(is_dns_outcome(ret));
			assert_true(answer.count <= SHIM_DNS_MAX_ADDRESSES);
			if (ret != SHIM_DNS_ANSWER)
				assert_int_equal(answer.count, 0);
		}
	}
	free(copy);
}

TEST_CASE(test_damaged_replies_never_crash)
{
	(void)state;
	mutate_every_byte(reply_a, sizeof reply_a, REPLY_A_ID, "example.com", ns_t_a);
	mutate_every_byte(reply_aaaa, sizeof reply_aaaa, REPLY_AAAA_ID, "example.com", ns_t_aaaa);
	mutate_every_byte(reply_cname_chain, sizeof reply_cname_chain, REPLY_CNAME_ID, "www.example.com",
			  ns_t_a);
	mutate_every_byte(reply_nxdomain, sizeof reply_nxdomain, REPLY_NXDOMAIN_ID, "no.example.com",
			  ns_t_a);
}

/* xorshift32: the same "random" bytes on every run, so a failure repeats. */
static uint32_t next_random(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return *seed;
}

TEST_CASE(test_random_replies_never_crash)
{
	uint32_t seed = 0xd115u;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = next_random(&seed) % 160;
		unsigned char *reply = malloc(len > 0 ? len : 1);
		int ret;

		assert_non_null(reply);
		for (size_t i = 0; i < len; i++)
			reply[i] = (unsigned char)next_random(&seed);
		/* Past the id and QR gates, so the parser proper sees the bytes. */
		if (len > 2)
			reply[HEADER_FLAGS1] = (unsigned char)((reply[HEADER_FLAGS1] | 0x80) & 0x87);
		if (len > 5) {
			reply[4] = 0;
			reply[5] = 1;
		}
		ret = shim_dns_parse_answer(reply, len,
					    len >= 2 ? (uint16_t)(reply[0] << 8 | reply[1]) : 0,
					    "example.com", ns_t_a, &answer);
		free(reply);
		assert_true(is_dns_outcome(ret));
	}
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
