/*
 * The AT engine against scripted modem output, fed through an in-memory
 * transport in every possible split, so no fragmenting of the bytes can
 * change what a command returns.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "st87/st87.h"

struct script {
	const uint8_t *bytes;
	size_t len, pos;
	size_t split_at; /* first read stops here... */
	size_t max_read; /* ...and no read returns more than this */
	char written[4096];
	size_t written_len;
	char urcs[16][128];
	int n_urcs;
	int urc_result;   /* what the URC callback returns for "#SIMST" */
	bool unsolicited; /* the bytes come without a command; otherwise only once one was written */
};

static int script_write(void *context, const void *data, size_t len, int timeout_ms)
{
	struct script *s = context;
	(void)timeout_ms;
	if (s->written_len + len < sizeof(s->written)) {
		memcpy(s->written + s->written_len, data, len);
		s->written_len += len;
	}
	return 0;
}

static ssize_t script_read(void *context, void *buf, size_t len, int timeout_ms)
{
	struct script *s = context;
	(void)timeout_ms;
	size_t left = s->len - s->pos;
	if (left == 0 || (!s->unsolicited && s->written_len == 0))
		return 0; /* nothing more will come: the engine sees a timeout at once */
	size_t n = left < len ? left : len;
	if (s->max_read && n > s->max_read)
		n = s->max_read;
	if (s->pos < s->split_at && s->pos + n > s->split_at)
		n = s->split_at - s->pos;
	memcpy(buf, s->bytes + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static int record_urc(void *user, const char *line)
{
	struct script *s = user;
	if (s->n_urcs < 16)
		snprintf(s->urcs[s->n_urcs++], 128, "%s", line);
	if (strncmp(line, "#SIMST", 6) == 0)
		return s->urc_result;
	return 0;
}

static struct st87_at *engine_for(struct script *s, const void *bytes, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->bytes = bytes;
	s->len = len;
	struct st87_at_transport transport = {.context = s,
					      .write_all = script_write,
					      .read = script_read};
	struct st87_at *at = NULL;
	assert_int_equal(st87_at_new(&transport, record_urc, s, &at), 0);
	return at;
}

/* Runs @p command against @p input split at every position and one byte at a time; checks each with @p check. */
static void run_every_split(const char *input, size_t input_len, const struct st87_at_command *command,
			    void (*check)(struct script *, struct st87_at_reply *, int))
{
	for (size_t split = 0; split <= input_len + 1; split++) {
		struct script s;
		struct st87_at *at = engine_for(&s, input, input_len);
		if (split <= input_len)
			s.split_at = split;
		else
			s.max_read = 1;
		struct st87_at_reply reply;
		int result = st87_at_run(at, command, &reply);
		check(&s, &reply, result);
		st87_at_free(at);
	}
}

static void check_socketcreate(struct script *s, struct st87_at_reply *reply, int result)
{
	assert_int_equal(result, 0);
	assert_int_equal(reply->n_lines, 1);
	assert_string_equal(reply->lines[0], "#SOCKETCREATE: 1");
	assert_int_equal(s->n_urcs, 2);
	assert_string_equal(s->urcs[0], "#IPRECV: 5,0");
	assert_string_equal(s->urcs[1], "+CEREG: 1");
	assert_memory_equal(s->written, "AT#SOCKETCREATE=5,0,TCP,0,1,1,1\r", 32);
}

static void test_info_line_with_echo_and_urcs(void **state)
{
	(void)state;
	static const char input[] = "AT#SOCKETCREATE=5,0,TCP,0,1,1,1\r\r\n"
				    "\r\n#IPRECV: 5,0\r\n"
				    "\r\n#SOCKETCREATE: 1\r\n"
				    "\r\n+CEREG: 1\r\n"
				    "\r\nOK\r\n";
	struct st87_at_command command = {.text = "AT#SOCKETCREATE=5,0,TCP,0,1,1,1",
					  .info_prefix = "#SOCKETCREATE:",
					  .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_socketcreate);
}

static const uint8_t block_payload[] = {'\r', '\n', 'O', 'K', '\r', '\n', 0, 0xff, '#', '\r'};

static void check_ipread(struct script *s, struct st87_at_reply *reply, int result)
{
	assert_int_equal(result, 0);
	assert_int_equal(reply->block_len, sizeof(block_payload));
	assert_memory_equal(reply->block, block_payload, sizeof(block_payload));
	assert_int_equal(s->n_urcs, 1);
	assert_string_equal(s->urcs[0], "#IPRECV: 5,1");
}

static void test_binary_block_holding_line_ends(void **state)
{
	(void)state;
	char input[256];
	size_t n = 0;
	n += (size_t)sprintf(input + n, "\r\n#IPRECV: 5,1\r\n\r\n#IPREAD: 5,1,%zu\r\n",
			     sizeof(block_payload));
	memcpy(input + n, block_payload, sizeof(block_payload));
	n += sizeof(block_payload);
	n += (size_t)sprintf(input + n, "\r\n\r\nOK\r\n");
	struct st87_at_command command = {.text = "AT#IPREAD=5,1",
					  .info_prefix = "#IPREAD:",
					  .binary_block = true,
					  .timeout_ms = 1000};
	run_every_split(input, n, &command, check_ipread);
}

static void check_cme(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)s;
	assert_int_equal(result, -ECONNREFUSED);
	assert_int_equal(reply->cme, 2152);
}

static void test_cme_error_without_space(void **state)
{
	(void)state;
	static const char input[] = "\r\n+CME ERROR:2152\r\n";
	struct st87_at_command command = {.text = "AT#TCPCONNECT=5,0,127.0.0.1,1", .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_cme);
	assert_non_null(strstr(st87_last_error(), "2152"));
}

static void check_timeout(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)s;
	(void)reply;
	assert_int_equal(result, -ETIMEDOUT);
}

static void test_no_final_result_times_out(void **state)
{
	(void)state;
	static const char input[] = "\r\n#SOCKETCREATE: 0\r\n\r\n+CEREG: 1\r\n";
	struct st87_at_command command = {.text = "AT#SOCKETCREATE=5,0,UDP,0,1,1,1",
					  .info_prefix = "#SOCKETCREATE:",
					  .timeout_ms = 50};
	run_every_split(input, sizeof(input) - 1, &command, check_timeout);
}

static void check_bare_error(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)s;
	assert_int_equal(result, -EIO);
	assert_int_equal(reply->cme, -1);
}

static void test_bare_error(void **state)
{
	(void)state;
	static const char input[] = "\r\nERROR\r\n";
	struct st87_at_command command = {.text = "AT+CMEE=1", .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_bare_error);
}

static void test_block_larger_than_allowed_is_an_error(void **state)
{
	(void)state;
	static const char input[] = "\r\n#IPREAD: 5,0,999999\r\nabc\r\nOK\r\n";
	struct st87_at_command command = {.text = "AT#IPREAD=5,0",
					  .info_prefix = "#IPREAD:",
					  .binary_block = true,
					  .timeout_ms = 1000};
	struct script s;
	struct st87_at *at = engine_for(&s, input, sizeof(input) - 1);
	struct st87_at_reply reply;
	assert_int_equal(st87_at_run(at, &command, &reply), -EPROTO);
	/* The engine found its place again: the next command works. */
	static const char next[] = "\r\nOK\r\n";
	s.bytes = (const uint8_t *)next;
	s.len = sizeof(next) - 1;
	s.pos = 0;
	s.written_len = 0;
	struct st87_at_command at_command = {.text = "AT", .timeout_ms = 1000};
	assert_int_equal(st87_at_run(at, &at_command, &reply), 0);
	st87_at_free(at);
}

static void test_block_shorter_than_claimed_times_out(void **state)
{
	(void)state;
	static const char input[] = "\r\n#IPREAD: 5,0,100\r\nonly a few bytes";
	struct st87_at_command command = {.text = "AT#IPREAD=5,0",
					  .info_prefix = "#IPREAD:",
					  .binary_block = true,
					  .timeout_ms = 50};
	run_every_split(input, sizeof(input) - 1, &command, check_timeout);
}

static void test_bad_block_header_is_an_error(void **state)
{
	(void)state;
	static const char input[] = "\r\n#IPREAD: 5,0,12x\r\n\r\nOK\r\n";
	struct st87_at_command command = {.text = "AT#IPREAD=5,0",
					  .info_prefix = "#IPREAD:",
					  .binary_block = true,
					  .timeout_ms = 1000};
	struct script s;
	struct st87_at *at = engine_for(&s, input, sizeof(input) - 1);
	struct st87_at_reply reply;
	assert_int_equal(st87_at_run(at, &command, &reply), -EPROTO);
	st87_at_free(at);
}

static void test_overlong_line_is_an_error(void **state)
{
	(void)state;
	size_t len = ST87_MAX_LINE * 3;
	char *input = malloc(len + 16);
	memset(input, 'x', len);
	memcpy(input + len, "\r\nOK\r\n", 6);
	struct st87_at_command command = {.text = "AT", .timeout_ms = 1000};
	struct script s;
	struct st87_at *at = engine_for(&s, input, len + 6);
	struct st87_at_reply reply;
	assert_int_equal(st87_at_run(at, &command, &reply), -EPROTO);
	st87_at_free(at);
	free(input);
}

static void check_ok_after_garbage(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)reply;
	assert_int_equal(result, 0);
	/* The printable junk went to the URC callback (which ignores it); the NUL line was dropped. */
	assert_int_equal(s->n_urcs, 1);
	assert_string_equal(s->urcs[0], "~#?xq7");
}

static void test_garbage_and_nul_lines_are_ignored(void **state)
{
	(void)state;
	static const char input[] = "\r\n~#?xq7\r\n\r\nab\0cd\r\n\r\nOK\r\n";
	struct st87_at_command command = {.text = "AT", .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_ok_after_garbage);
}

static void check_aborted(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)reply;
	(void)s;
	assert_int_equal(result, -ENETRESET);
}

static void test_urc_callback_aborts_command(void **state)
{
	(void)state;
	/* The modem reboots instead of answering a send. */
	static const char reboot[] = "\r\n#SIMST: 1\r\n\r\n+CEREG: 2\r\n";
	struct st87_at_command command = {.text = "AT#IPSENDTCP=5,0,1,3",
					  .payload = "abc",
					  .payload_len = 3,
					  .timeout_ms = 5000};
	for (size_t split = 0; split <= sizeof(reboot); split++) {
		struct script s;
		struct st87_at *at = engine_for(&s, reboot, sizeof(reboot) - 1);
		s.split_at = split;
		s.urc_result = -ENETRESET;
		struct st87_at_reply reply;
		check_aborted(&s, &reply, st87_at_run(at, &command, &reply));
		assert_memory_equal(s.written, "AT#IPSENDTCP=5,0,1,3\r\nabc", 25);
		st87_at_free(at);
	}
}

static bool is_digit_line(const char *line)
{
	return line[0] >= '0' && line[0] <= '9';
}

static void check_ping(struct script *s, struct st87_at_reply *reply, int result)
{
	assert_int_equal(result, 0);
	assert_int_equal(reply->n_lines, 3);
	assert_string_equal(reply->lines[0], "1,0,10,3535");
	assert_string_equal(reply->lines[1], "2,0,10,203");
	assert_string_equal(reply->lines[2], "#IPPING: 2,2,0,203,3535,1869");
	assert_int_equal(s->n_urcs, 1);
}

static void test_ping_reply(void **state)
{
	(void)state;
	static const char input[] = "\r\n1,0,10,3535\r\n\r\n+CEREG: 1\r\n\r\n2,0,10,203\r\n"
				    "\r\n#IPPING: 2,2,0,203,3535,1869\r\n\r\nOK\r\n";
	struct st87_at_command command = {.text = "AT#IPPING=5,127.0.0.1",
					  .info_prefix = "#IPPING:",
					  .is_info = is_digit_line,
					  .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_ping);
}

static void check_tcpconnect_status(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)s;
	assert_int_equal(result, 0);
	assert_int_equal(reply->n_lines, 1);
	assert_string_equal(reply->lines[0], "# TCPCONNECT: 5,0,5");
}

static void test_prefix_with_space_after_hash(void **state)
{
	(void)state;
	static const char input[] = "\r\n# TCPCONNECT: 5,0,5\r\n\r\nOK\r\n";
	struct st87_at_command command = {.text = "AT#TCPCONNECT?",
					  .info_prefix = "#TCPCONNECT:",
					  .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_tcpconnect_status);
}

static void test_poll_hands_idle_lines_to_callback(void **state)
{
	(void)state;
	static const char input[] = "\r\n#IPRECV: 5,2\r\n\r\nOK\r\n\r\n#SOCKETCLOSED: 5,0\r\n";
	for (size_t split = 0; split <= sizeof(input); split++) {
		struct script s;
		struct st87_at *at = engine_for(&s, input, sizeof(input) - 1);
		s.split_at = split;
		s.unsolicited = true;
		assert_true(st87_at_poll(at, 0) > 0);
		assert_int_equal(s.n_urcs, 3);
		assert_string_equal(s.urcs[0], "#IPRECV: 5,2");
		assert_string_equal(s.urcs[1], "OK");
		assert_string_equal(s.urcs[2], "#SOCKETCLOSED: 5,0");
		st87_at_free(at);
	}
}

static void test_stale_lines_are_not_the_next_commands_answer(void **state)
{
	(void)state;
	static const char input[] = "\r\nOK\r\n\r\n#SOCKETCREATE: 2\r\n\r\nOK\r\n";
	struct script s;
	struct st87_at *at = engine_for(&s, input, sizeof(input) - 1);
	struct st87_at_reply reply;
	struct st87_at_command first = {.text = "AT", .timeout_ms = 1000};
	assert_int_equal(st87_at_run(at, &first, &reply), 0);
	struct st87_at_command second = {.text = "AT#SOCKETCREATE=5,0,UDP,0,1,1,1",
					 .info_prefix = "#SOCKETCREATE:",
					 .timeout_ms = 50};
	/* Lines that arrived before the second command was sent cannot answer it. */
	assert_int_equal(st87_at_run(at, &second, &reply), -ETIMEDOUT);
	assert_int_equal(s.n_urcs, 2);
	assert_string_equal(s.urcs[0], "#SOCKETCREATE: 2");
	assert_string_equal(s.urcs[1], "OK");
	st87_at_free(at);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_line_with_echo_and_urcs),
		cmocka_unit_test(test_binary_block_holding_line_ends),
		cmocka_unit_test(test_cme_error_without_space),
		cmocka_unit_test(test_no_final_result_times_out),
		cmocka_unit_test(test_bare_error),
		cmocka_unit_test(test_block_larger_than_allowed_is_an_error),
		cmocka_unit_test(test_block_shorter_than_claimed_times_out),
		cmocka_unit_test(test_bad_block_header_is_an_error),
		cmocka_unit_test(test_overlong_line_is_an_error),
		cmocka_unit_test(test_garbage_and_nul_lines_are_ignored),
		cmocka_unit_test(test_urc_callback_aborts_command),
		cmocka_unit_test(test_ping_reply),
		cmocka_unit_test(test_prefix_with_space_after_hash),
		cmocka_unit_test(test_poll_hands_idle_lines_to_callback),
		cmocka_unit_test(test_stale_lines_are_not_the_next_commands_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
