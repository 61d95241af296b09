/*
 * The binary send's handshake against a modem model that answers what it
 * has been written: firmware that follows the note (line and data, one
 * answer), the maker's firmware (line, OK, data, OK), and firmware that
 * refuses the line at once. Whatever the firmware, the data goes out once,
 * is never read as text, and the next command gets its own answer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "st87/st87.h"
#include "test_cases.h"

/*
 * SLOW_TWO_STEP answers the line after the host stopped waiting: both answers come after the data.
 * SLOW_TWO_STEP_REFUSES_DATA does the same and refuses the data (+CME ERROR: 2154).
 */
enum firmware {
	NOTE_ONE_STEP,
	MAKER_TWO_STEP,
	SLOW_TWO_STEP,
	SLOW_TWO_STEP_REFUSES_DATA,
	REFUSES_LENGTH
};

struct modem_model {
	enum firmware firmware;
	size_t payload_len; /* of the send in flight */
	char written[4096];
	size_t written_len;
	int writes;
	bool line_answered, data_answered;
	size_t commands_from; /* where the commands after the send start that are not answered yet */
	int queries; /* AT+CMEE? seen: how the host tells a slow two-step modem from a one-step one */
	int query_delay_ms;          /* the query's answer comes this long after the query */
	char delayed[64];            /* that answer, until it is due */
	struct timespec delayed_due; /* CLOCK_MONOTONIC */
	char pending[256];           /* what the modem has said and the host not yet read */
	size_t pending_len;
};

static void say(struct modem_model *m, const char *text)
{
	size_t len = strlen(text);
	assert_true(m->pending_len + len < sizeof(m->pending));
	memcpy(m->pending + m->pending_len, text, len);
	m->pending_len += len;
}

/* Where the first line written ends (its CR included), or 0 while it is incomplete. */
static size_t first_line_end(const struct modem_model *m)
{
	const char *cr = memchr(m->written, '\r', m->written_len);
	return cr ? (size_t)(cr - m->written) + 1 : 0;
}

static void react(struct modem_model *m)
{
	size_t line_end = first_line_end(m);
	if (!line_end)
		return;
	if (!m->line_answered) {
		m->line_answered = true;
		if (m->firmware == MAKER_TWO_STEP)
			say(m, "\r\nOK\r\n");
		else if (m->firmware == REFUSES_LENGTH)
			say(m, "\r\n+CME ERROR: 2146\r\n");
	}
	if (!m->data_answered && m->firmware != REFUSES_LENGTH &&
	    m->written_len >= line_end + m->payload_len) {
		m->data_answered = true;
		say(m,
		    m->firmware == SLOW_TWO_STEP ? "\r\nOK\r\n\r\nOK\r\n"
			    : m->firmware == SLOW_TWO_STEP_REFUSES_DATA
			    ? "\r\nOK\r\n\r\n+CME ERROR: 2154\r\n"
			    : "\r\nOK\r\n");
	}
	if (!m->data_answered)
		return;
	/* After the send, plain commands, each answered with its own information line. */
	if (m->commands_from < line_end + m->payload_len)
		m->commands_from = line_end + m->payload_len;
	for (size_t i = m->commands_from; i < m->written_len; i++) {
		if (m->written[i] != '\r')
			continue;
		bool cmee = i - m->commands_from == 8 &&
			memcmp(m->written + m->commands_from, "AT+CMEE?", 8) == 0;
		m->queries += cmee;
		m->commands_from = i + 1;
		if (cmee && m->query_delay_ms) {
			snprintf(m->delayed, sizeof(m->delayed), "\r\n+CMEE: 1\r\n\r\nOK\r\n");
			clock_gettime(CLOCK_MONOTONIC, &m->delayed_due);
			m->delayed_due.tv_nsec += m->query_delay_ms * 1000000L;
			m->delayed_due.tv_sec += m->delayed_due.tv_nsec / 1000000000L;
			m->delayed_due.tv_nsec %= 1000000000L;
			continue;
		}
		say(m, cmee ? "\r\n+CMEE: 1\r\n\r\nOK\r\n" : "\r\n+X: 1\r\n\r\nOK\r\n");
	}
}

static int model_write(void *context, const void *data, size_t len, int timeout_ms)
{
	struct modem_model *m = context;
	(void)timeout_ms;
	assert_true(m->written_len + len < sizeof(m->written));
	memcpy(m->written + m->written_len, data, len);
	m->written_len += len;
	m->writes++;
	react(m);
	return 0;
}

/* A delayed answer becomes readable when due; a read with nothing to give waits for it, at most timeout_ms. */
static void release_delayed(struct modem_model *m, int timeout_ms)
{
	if (!m->delayed[0])
		return;
	if (m->pending_len == 0 && timeout_ms > 0) {
		struct timespec now, until = m->delayed_due;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long left_ms = (until.tv_sec - now.tv_sec) * 1000LL +
			(until.tv_nsec - now.tv_nsec) / 1000000;
		if (left_ms > timeout_ms)
			left_ms = timeout_ms;
		if (left_ms > 0)
			nanosleep(&(struct timespec){.tv_sec = left_ms / 1000,
						     .tv_nsec = left_ms % 1000 * 1000000L},
				  NULL);
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > m->delayed_due.tv_sec ||
	    (now.tv_sec == m->delayed_due.tv_sec && now.tv_nsec >= m->delayed_due.tv_nsec)) {
		say(m, m->delayed);
		m->delayed[0] = '\0';
	}
}

static ssize_t model_read(void *context, void *buf, size_t len, int timeout_ms)
{
	struct modem_model *m = context;
	release_delayed(m, timeout_ms);
	size_t n = m->pending_len < len ? m->pending_len : len;
	memcpy(buf, m->pending, n);
	memmove(m->pending, m->pending + n, m->pending_len - n);
	m->pending_len -= n;
	return (ssize_t)n;
}

static const uint8_t payload[] = {'A', 'T', '\r', '\n', 0, 'O', 'K', '\r', '\n', 0xff};
static const char send_line[] = "AT#IPSENDTCP=5,0,1,10";

static struct st87_at *engine_on(struct modem_model *m, enum firmware firmware)
{
	memset(m, 0, sizeof(*m));
	m->firmware = firmware;
	m->payload_len = sizeof(payload);
	struct st87_at_transport transport = {.context = m,
					      .write_all = model_write,
					      .read = model_read};
	struct st87_at *at = NULL;
	assert_int_equal(st87_at_new(&transport, NULL, NULL, &at), 0);
	return at;
}

static int send_with(struct st87_at *at, enum st87_send_handshake handshake, struct st87_at_reply *reply)
{
	struct st87_at_command command = {.text = send_line,
					  .payload = payload,
					  .payload_len = sizeof(payload),
					  .handshake = handshake,
					  .detect_ms = 50,
					  .timeout_ms = 1000};
	return st87_at_run(at, &command, reply);
}

/* The line, CR alone (an LF would be data byte one), then the payload exactly once: nothing else reached the modem. */
static void assert_sent_once(const struct modem_model *m)
{
	size_t line_len = strlen(send_line);
	assert_true(m->written_len >= line_len + 1 + sizeof(payload));
	assert_memory_equal(m->written, send_line, line_len);
	assert_memory_equal(m->written + line_len, "\r", 1);
	assert_memory_equal(m->written + line_len + 1, payload, sizeof(payload));
}

static void assert_next_command_gets_its_own_answer(struct st87_at *at)
{
	struct st87_at_command command = {.text = "AT+X", .info_prefix = "+X:", .timeout_ms = 200};
	struct st87_at_reply reply;
	assert_int_equal(st87_at_run(at, &command, &reply), 0);
	assert_int_equal(reply.n_lines, 1);
	assert_string_equal(reply.lines[0], "+X: 1");
}

TEST_CASE(test_detect_finds_two_step)
{
	(void)state;
	struct modem_model m;
	struct st87_at *at = engine_on(&m, MAKER_TWO_STEP);
	struct st87_at_reply reply;
	assert_int_equal(send_with(at, ST87_SEND_DETECT, &reply), 0);
	assert_int_equal(reply.handshake, ST87_SEND_TWO_STEP);
	assert_true(reply.payload_sent);
	assert_sent_once(&m);
	assert_int_equal(m.writes, 2); /* the data waited for the line's OK */
	assert_next_command_gets_its_own_answer(at);
	st87_at_free(at);
}

TEST_CASE(test_detect_finds_one_step)
{
	(void)state;
	struct modem_model m;
	struct st87_at *at = engine_on(&m, NOTE_ONE_STEP);
	struct st87_at_reply reply;
	assert_int_equal(send_with(at, ST87_SEND_DETECT, &reply), 0);
	assert_int_equal(reply.handshake, ST87_SEND_ONE_STEP);
	assert_sent_once(&m);
	assert_int_equal(m.queries, 1); /* the answer was the data's: asked once, not waited for */
	assert_next_command_gets_its_own_answer(at);
	st87_at_free(at);
}

TEST_CASE(test_late_line_answer_is_not_left_for_the_next_command)
{
	(void)state;
	struct modem_model m;
	struct st87_at *at = engine_on(&m, SLOW_TWO_STEP);
	struct st87_at_reply reply;
	assert_int_equal(send_with(at, ST87_SEND_DETECT, &reply), 0);
	assert_int_equal(reply.handshake, ST87_SEND_TWO_STEP);
	assert_sent_once(&m);
	assert_int_equal(m.queries, 1);
	assert_next_command_gets_its_own_answer(at);
	st87_at_free(at);
}

/* The query's answer takes longer than the line's detection wait: the order still settles it. */
TEST_CASE(test_late_line_answer_with_a_slow_query_answer)
{
	(void)state;
	struct modem_model m;
	struct st87_at *at = engine_on(&m, SLOW_TWO_STEP);
	m.query_delay_ms = 200; /* four times detect_ms */
	struct st87_at_reply reply;
	assert_int_equal(send_with(at, ST87_SEND_DETECT, &reply), 0);
	assert_int_equal(reply.handshake, ST87_SEND_TWO_STEP);
	assert_sent_once(&m);
	assert_next_command_gets_its_own_answer(at);
	st87_at_free(at);
}

/* A slow two-step modem that refuses the data: the send fails with the data's answer, not the line's OK. */
TEST_CASE(test_late_refusal_of_the_data_is_the_sends_answer)
{
	(void)state;
	struct modem_model m;
	struct st87_at *at = engine_on(&m, SLOW_TWO_STEP_REFUSES_DATA);
	struct st87_at_reply reply;
	assert_true(send_with(at, ST87_SEND_DETECT, &reply) < 0);
	assert_int_equal(reply.cme, 2154);
	assert_int_equal(reply.handshake, ST87_SEND_TWO_STEP);
	assert_sent_once(&m);
	assert_next_command_gets_its_own_answer(at);
	st87_at_free(at);
}

TEST_CASE(test_error_to_the_line_sends_no_data)
{
	(void)state;
	struct modem_model m;
	struct st87_at *at = engine_on(&m, REFUSES_LENGTH);
	struct st87_at_reply reply;
	assert_int_equal(send_with(at, ST87_SEND_DETECT, &reply), -EMSGSIZE);
	assert_int_equal(reply.cme, 2146);
	assert_false(reply.payload_sent);
	assert_int_equal(reply.handshake, ST87_SEND_DETECT);
	assert_int_equal(m.written_len, strlen(send_line) + 1);
	st87_at_free(at);
}

TEST_CASE(test_known_two_step_waits_for_the_line_ok)
{
	(void)state;
	struct modem_model m;
	struct st87_at *at = engine_on(&m, MAKER_TWO_STEP);
	struct st87_at_reply reply;
	assert_int_equal(send_with(at, ST87_SEND_TWO_STEP, &reply), 0);
	assert_int_equal(reply.handshake, ST87_SEND_TWO_STEP);
	assert_sent_once(&m);
	assert_next_command_gets_its_own_answer(at);
	st87_at_free(at);
}

TEST_CASE(test_known_one_step_writes_line_and_data_at_once)
{
	(void)state;
	struct modem_model m;
	struct st87_at *at = engine_on(&m, NOTE_ONE_STEP);
	struct st87_at_reply reply;
	assert_int_equal(send_with(at, ST87_SEND_ONE_STEP, &reply), 0);
	assert_int_equal(m.writes, 1);
	assert_sent_once(&m);
	assert_next_command_gets_its_own_answer(at);
	st87_at_free(at);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
