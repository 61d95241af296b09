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

#include "internal.h"
#include "st87/st87.h"
#include "test_cases.h"

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
	size_t gate,
		gate_written; /* bytes from gate on come only once gate_written bytes were written (0: none) */
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
	size_t end = s->gate && s->written_len < s->gate_written ? s->gate : s->len;
	size_t left = end - s->pos;
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

TEST_CASE(test_info_line_with_echo_and_urcs)
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

TEST_CASE(test_binary_block_holding_line_ends)
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

TEST_CASE(test_cme_error_without_space)
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

TEST_CASE(test_no_final_result_times_out)
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

TEST_CASE(test_bare_error)
{
	(void)state;
	static const char input[] = "\r\nERROR\r\n";
	struct st87_at_command command = {.text = "AT+CMEE=1", .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_bare_error);
}

TEST_CASE(test_block_larger_than_allowed_is_an_error)
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

TEST_CASE(test_block_shorter_than_claimed_times_out)
{
	(void)state;
	static const char input[] = "\r\n#IPREAD: 5,0,100\r\nonly a few bytes";
	struct st87_at_command command = {.text = "AT#IPREAD=5,0",
					  .info_prefix = "#IPREAD:",
					  .binary_block = true,
					  .timeout_ms = 50};
	run_every_split(input, sizeof(input) - 1, &command, check_timeout);
}

TEST_CASE(test_bad_block_header_is_an_error)
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

/* A line of @p len copies of @p fill after @p prefix, framed CR LF. Returns its whole length. */
static size_t long_line(char *out, const char *prefix, char fill, size_t len)
{
	size_t n = (size_t)sprintf(out, "\r\n%s", prefix);
	memset(out + n, fill, len);
	n += len;
	memcpy(out + n, "\r\n", 2);
	return n + 2;
}

TEST_CASE(test_line_of_2100_bytes_is_read_whole)
{
	(void)state;
	/* The maker's drivers size their buffer for 2100-byte (certificate) lines. */
	char *input = malloc(2200);
	size_t n = long_line(input, "#CERT: ", 'c', 2100 - 7);
	memcpy(input + n, "\r\nOK\r\n", 6);
	struct st87_at_command command = {.text = "AT", .timeout_ms = 1000};
	struct script s;
	struct st87_at *at = engine_for(&s, input, n + 6);
	struct st87_at_reply reply;
	assert_int_equal(st87_at_run(at, &command, &reply), 0);
	assert_int_equal(s.n_urcs, 1);
	assert_memory_equal(s.urcs[0], "#CERT: ccc", 10);
	st87_at_free(at);
	free(input);
}

TEST_CASE(test_overlong_line_loses_no_urc)
{
	(void)state;
	/* Longer than any line the engine takes, and no answer of the command: dropped alone. */
	size_t len = ST87_MAX_RESPONSE_LINE * 3;
	char *input = malloc(len + 64);
	size_t n = long_line(input, "", 'x', len);
	n += (size_t)sprintf(input + n, "\r\n#IPRECV: 5,0\r\n\r\nOK\r\n\r\n#IPRECV: 5,1\r\n");
	struct st87_at_command command = {.text = "AT", .timeout_ms = 1000};
	struct script s;
	struct st87_at *at = engine_for(&s, input, n);
	struct st87_at_reply reply;
	assert_int_equal(st87_at_run(at, &command, &reply), 0);
	assert_int_equal(s.n_urcs, 2);
	assert_string_equal(s.urcs[0], "#IPRECV: 5,0");
	assert_string_equal(s.urcs[1], "#IPRECV: 5,1");
	st87_at_free(at);
	free(input);
}

TEST_CASE(test_overlong_answer_fails_its_command_alone)
{
	(void)state;
	size_t len = ST87_MAX_RESPONSE_LINE + 1;
	char *input = malloc(len + 64);
	size_t n = long_line(input, "#SOCKETCREATE: ", '1', len);
	n += (size_t)sprintf(input + n, "\r\nOK\r\n\r\n#IPRECV: 5,1\r\n");
	struct st87_at_command command = {.text = "AT#SOCKETCREATE=5,0,UDP,0,1,1,1",
					  .info_prefix = "#SOCKETCREATE:",
					  .timeout_ms = 1000};
	struct script s;
	struct st87_at *at = engine_for(&s, input, n);
	struct st87_at_reply reply;
	assert_int_equal(st87_at_run(at, &command, &reply), -EPROTO);
	/* Its final result was its own, and the URC after it still came. */
	assert_int_equal(s.n_urcs, 1);
	assert_string_equal(s.urcs[0], "#IPRECV: 5,1");
	st87_at_free(at);
	free(input);
}

static const uint8_t block_starting_with_lf[] = {'\n', 'a', '\r', 'b'};

static void check_block_starting_with_lf(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)s;
	assert_int_equal(result, 0);
	assert_int_equal(reply->block_len, sizeof(block_starting_with_lf));
	assert_memory_equal(reply->block, block_starting_with_lf, sizeof(block_starting_with_lf));
}

TEST_CASE(test_block_starting_with_lf_from_a_modem_ending_lines_in_cr)
{
	(void)state;
	/* V.25ter with S4 empty: every line framed by CR alone; the data follows the header's CR. */
	static const char input[] = "\r#IPREAD: 5,1,4\r\na\rb\r\rOK\r";
	struct st87_at_command command = {.text = "AT#IPREAD=5,1",
					  .info_prefix = "#IPREAD:",
					  .binary_block = true,
					  .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_block_starting_with_lf);
	/* The same block from a modem ending lines in CR LF. */
	static const char crlf_input[] = "\r\n#IPREAD: 5,1,4\r\n\na\rb\r\n\r\nOK\r\n";
	run_every_split(crlf_input, sizeof(crlf_input) - 1, &command, check_block_starting_with_lf);
}

TEST_CASE(test_restart_inside_a_block_ends_the_read)
{
	(void)state;
	/* The header promises 1000 bytes; the modem restarts after three and then says nothing more. */
	static const char input[] = "\r\n#IPREAD: 5,0,1000\r\nabc\r\n#SIMST: 1\r\n\r\n+CEREG: 2\r\n";
	struct st87_at_command command = {.text = "AT#IPREAD=5,0",
					  .info_prefix = "#IPREAD:",
					  .binary_block = true,
					  .timeout_ms = 5000};
	for (size_t split = 0; split < sizeof(input); split++) {
		struct script s;
		struct st87_at *at = engine_for(&s, input, sizeof(input) - 1);
		s.split_at = split;
		s.urc_result = -ENETRESET;
		struct st87_at_reply reply;
		long long started = st87_now_ms();
		assert_int_equal(st87_at_run(at, &command, &reply), -ENETRESET);
		assert_true(st87_now_ms() - started < 2000);
		/* Every boot line reached the session, none was taken for data. */
		assert_int_equal(s.n_urcs, 2);
		assert_string_equal(s.urcs[0], "#SIMST: 1");
		assert_string_equal(s.urcs[1], "+CEREG: 2");
		st87_at_free(at);
	}
}

/* A payload that holds a final result, as a modem that echoes data would repeat it. */
static const char answer_in_payload[] = "\r\nOK\r\nAT";
#define ECHOED_SEND_LINE "AT#IPSENDTCP=5,0,1,8"

static const struct st87_at_command echoed_send = {.text = ECHOED_SEND_LINE,
						   .payload = answer_in_payload,
						   .payload_len = 8,
						   .handshake = ST87_SEND_ONE_STEP,
						   .timeout_ms = 5000};

static void check_send_failed_by_its_answer(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)s;
	assert_int_not_equal(result, 0);
	assert_int_equal(reply->cme, 2154);
}

TEST_CASE(test_echoed_payload_holding_ok_ends_nothing)
{
	(void)state;
	/* Echo left on (ATE0 ignored), data echoed too: the OK inside is data; the modem's answer is the error. */
	static const char input[] = ECHOED_SEND_LINE "\r\n\r\nOK\r\nAT\r\n+CME ERROR: 2154\r\n";
	run_every_split(input, sizeof(input) - 1, &echoed_send, check_send_failed_by_its_answer);
}

static void check_ok_alone(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)reply;
	(void)s;
	assert_int_equal(result, 0);
}

TEST_CASE(test_answer_like_the_payload_from_a_modem_echoing_lines_only)
{
	(void)state;
	/* The modem echoes its lines but not data: its OK looks like the payload's first bytes, and is the answer. */
	static const char input[] = ECHOED_SEND_LINE "\r\n\r\nOK\r\n\r\n#IPRECV: 5,1\r\n";
	for (size_t split = 0; split < sizeof(input); split++) {
		struct script s;
		struct st87_at *at = engine_for(&s, input, sizeof(input) - 1);
		s.split_at = split;
		struct st87_at_reply reply;
		assert_int_equal(st87_at_run(at, &echoed_send, &reply), 0);
		st87_at_poll(at, 0); /* the URC after the answer, when it came in a later read */
		assert_int_equal(s.n_urcs, 1);
		assert_string_equal(s.urcs[0], "#IPRECV: 5,1");
		st87_at_free(at);
	}
	/* Nothing after the OK: a pause tells it from an echo. */
	static const char alone[] = ECHOED_SEND_LINE "\r\n\r\nOK\r\n";
	run_every_split(alone, sizeof(alone) - 1, &echoed_send, check_ok_alone);
}

/* echoed_send with a payload of the same length that starts with LF and holds a final result. */
static const char lf_first_payload[] = "\nx\r\nOK\r\n";
#define LF_FIRST_SEND_LINE ECHOED_SEND_LINE

static struct st87_at_command lf_first(void)
{
	struct st87_at_command send = echoed_send;
	send.payload = lf_first_payload;
	return send;
}

TEST_CASE(test_echoed_payload_starting_with_lf_after_a_line_echoed_with_cr_alone)
{
	(void)state;
	/* A character echo: the line's CR with no LF, then the payload, whose first byte is an LF. The LF is the
	 * payload's, not the echo's line end: the OK inside is data, the modem's answer is the error. */
	static const char input[] = LF_FIRST_SEND_LINE "\r\nx\r\nOK\r\n\r\n+CME ERROR: 2154\r\n";
	struct st87_at_command send = lf_first();
	run_every_split(input, sizeof(input) - 1, &send, check_send_failed_by_its_answer);
}

/* ATE0's echo, its line end as given, then @send's echo: the engine learns the echo's line end from the first. */
static void run_after_an_echoed_command(const char *input, size_t ate0_len, size_t input_len,
					const struct st87_at_command *send)
{
	for (size_t max_read = 1; max_read <= input_len; max_read *= 2) {
		struct script s;
		struct st87_at *at = engine_for(&s, input, input_len);
		s.max_read = max_read;
		s.gate = ate0_len;
		s.gate_written = strlen("ATE0\r") + 1;
		struct st87_at_command ate0 = {.text = "ATE0", .timeout_ms = 1000};
		struct st87_at_reply reply;
		assert_int_equal(st87_at_run(at, &ate0, &reply), 0);
		check_send_failed_by_its_answer(&s, &reply, st87_at_run(at, send, &reply));
		st87_at_free(at);
	}
}

TEST_CASE(test_echo_line_end_learned_from_an_earlier_echo)
{
	(void)state;
	/* Echoed with CR LF: the LF after the send's echoed line is the echo's, the payload's LF comes next. */
	struct st87_at_command send = lf_first();
	static const char crlf[] = "ATE0\r\n\r\nOK\r\n" LF_FIRST_SEND_LINE
				   "\r\n\nx\r\nOK\r\n\r\n+CME ERROR: 2154\r\n";
	run_after_an_echoed_command(crlf, strlen("ATE0\r\n\r\nOK\r\n"), sizeof(crlf) - 1, &send);
	/* Echoed with CR alone: the LF right after it is the payload's. */
	static const char cr[] = "ATE0\r\r\nOK\r\n" LF_FIRST_SEND_LINE
				 "\r\nx\r\nOK\r\n\r\n+CME ERROR: 2154\r\n";
	run_after_an_echoed_command(cr, strlen("ATE0\r\r\nOK\r\n"), sizeof(cr) - 1, &send);
}

static void check_ok_after_garbage(struct script *s, struct st87_at_reply *reply, int result)
{
	(void)reply;
	assert_int_equal(result, 0);
	/* The printable junk went to the URC callback (which ignores it); the NUL line was dropped. */
	assert_int_equal(s->n_urcs, 1);
	assert_string_equal(s->urcs[0], "~#?xq7");
}

TEST_CASE(test_garbage_and_nul_lines_are_ignored)
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

TEST_CASE(test_urc_callback_aborts_command)
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
		assert_memory_equal(s.written, "AT#IPSENDTCP=5,0,1,3\rabc", 24);
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

TEST_CASE(test_ping_reply)
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

TEST_CASE(test_prefix_with_space_after_hash)
{
	(void)state;
	static const char input[] = "\r\n# TCPCONNECT: 5,0,5\r\n\r\nOK\r\n";
	struct st87_at_command command = {.text = "AT#TCPCONNECT?",
					  .info_prefix = "#TCPCONNECT:",
					  .timeout_ms = 1000};
	run_every_split(input, sizeof(input) - 1, &command, check_tcpconnect_status);
}

TEST_CASE(test_poll_hands_idle_lines_to_callback)
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

TEST_CASE(test_stale_lines_are_not_the_next_commands_answer)
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
	return test_cases_run("tests", NULL, NULL);
}
