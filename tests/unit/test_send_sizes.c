/*
 * Send sizes on one-step firmware whose limit is below the note's 512. Such
 * a modem refuses a longer line at once and reads the bytes after it as AT
 * commands, so a payload made of command lines would run them. The driver
 * writes line and data together only up to a length the modem took; a
 * longer one waits for the line's refusal. A datagram never outgrows a
 * length the modem refused.
 *
 * The serial port is replaced (-Wl,--wrap) by a modem model that answers
 * what it has been written, so the tests run synchronously: its silence is
 * a read that returns nothing.
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
#include "wrapped_serial.h"
#include "test_cases.h"

#define MODEL_LIMIT 128
#define MARKER "AT+CFUN=0"

struct modem_model {
	char line[ST87_MAX_LINE + 1];
	size_t line_len;
	size_t data_wanted; /* payload bytes still to come for an accepted send */
	bool lf_may_follow; /* the LF after a send line's CR is no data (docs/PROTOCOL.md §1) */
	uint8_t received[8192];
	size_t received_len;
	int writes, lines;
	int commands_from_payload; /* MARKER lines: a payload read as commands */
	char pending[256];
	size_t pending_len;
};

static void say(struct modem_model *m, const char *text)
{
	wrapped_serial_say(m->pending, &m->pending_len, sizeof(m->pending), text);
}

/* A binary send line names its length last: the payload follows unless it is above the limit. */
static void answer_line(struct modem_model *m)
{
	m->line[m->line_len] = '\0';
	m->line_len = 0;
	m->lines++;
	if (strcmp(m->line, MARKER) == 0) {
		m->commands_from_payload++;
		say(m, "\r\nOK\r\n");
		return;
	}
	if (strncmp(m->line, "AT#IPSEND", 9) != 0) {
		say(m, strcmp(m->line, "AT+CMEE?") == 0 ? "\r\n+CMEE: 1\r\n\r\nOK\r\n" : "\r\nOK\r\n");
		return;
	}
	size_t len = strtoul(strrchr(m->line, ',') + 1, NULL, 10);
	if (len > MODEL_LIMIT)
		say(m, "\r\n+CME ERROR: 2146\r\n"); /* and what follows is read as lines */
	else
		m->data_wanted = len;
	m->lf_may_follow = true;
}

static void take_byte(struct modem_model *m, uint8_t byte)
{
	bool lf_may_follow = m->lf_may_follow;
	m->lf_may_follow = false;
	if (lf_may_follow && byte == '\n')
		return;
	if (m->data_wanted) {
		assert_true(m->received_len < sizeof(m->received));
		m->received[m->received_len++] = byte;
		if (--m->data_wanted == 0)
			say(m, "\r\nOK\r\n");
	} else if (byte == '\r' || byte == '\n') {
		if (m->line_len)
			answer_line(m);
	} else if (m->line_len < ST87_MAX_LINE) {
		m->line[m->line_len++] = (char)byte;
	}
}

int __wrap_st87_serial_write_all(struct st87_serial *serial, const void *data, size_t len,
				 int timeout_ms)
{
	struct modem_model *m = (struct modem_model *)serial;
	(void)timeout_ms;
	m->writes++;
	for (size_t i = 0; i < len; i++)
		take_byte(m, ((const uint8_t *)data)[i]);
	return 0;
}

/* What the modem said; 0 (the wait passed in silence) once it has said all. */
ssize_t __wrap_st87_serial_read(struct st87_serial *serial, void *buf, size_t len, int timeout_ms)
{
	struct modem_model *m = (struct modem_model *)serial;
	(void)timeout_ms;
	return (ssize_t)wrapped_serial_give(m->pending, &m->pending_len, buf, len);
}

/* A modem known (configured) to take sends in one step, as ST87_SEND_HANDSHAKE=one-step says. */
static struct st87_modem *open_one_step(struct modem_model *m)
{
	memset(m, 0, sizeof(*m));
	struct st87_modem_options options = {.port = "modem-model",
					     .sleep_hold_ms = -1,
					     .handshake = ST87_SEND_ONE_STEP};
	return wrapped_serial_open(m, &options);
}

/* @len bytes of command lines, each the marker. */
static void fill_with_commands(uint8_t *payload, size_t len)
{
	static const char lines[] = "\r\n" MARKER "\r\n";
	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)lines[i % (sizeof(lines) - 1)];
}

TEST_CASE(test_send_above_every_taken_length_waits_for_the_refusal)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_one_step(&model);
	uint8_t payload[300];
	fill_with_commands(payload, sizeof(payload));
	assert_int_equal(st87_send_tcp(modem, 0, payload, sizeof(payload)), sizeof(payload));
	assert_int_equal(model.commands_from_payload, 0);
	assert_int_equal(model.received_len, sizeof(payload));
	assert_memory_equal(model.received, payload, sizeof(payload));
	assert_true(st87_modem_send_limit(modem) <= MODEL_LIMIT);
	st87_modem_close(modem);
}

TEST_CASE(test_send_of_a_taken_length_goes_with_its_line)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_one_step(&model);
	uint8_t payload[100];
	fill_with_commands(payload, sizeof(payload));
	int writes = model.writes;
	assert_int_equal(st87_send_tcp(modem, 0, payload, sizeof(payload)), sizeof(payload));
	assert_int_equal(model.writes - writes, 2); /* the line, then the data after the wait */
	assert_int_equal(st87_send_tcp(modem, 0, payload, 60), 60);
	assert_int_equal(st87_send_tcp(modem, 0, payload, sizeof(payload)), sizeof(payload));
	assert_int_equal(model.writes - writes, 4); /* no wait: one write each */
	assert_int_equal(model.commands_from_payload, 0);
	st87_modem_close(modem);
}

TEST_CASE(test_refusal_never_shrinks_below_a_taken_length)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_one_step(&model);
	uint8_t payload[300];
	fill_with_commands(payload, sizeof(payload));
	assert_int_equal(st87_send_tcp(modem, 0, payload, 120), 120);
	/* 300 refused, then 150; half of that would be below the 120 taken. */
	assert_int_equal(st87_send_tcp(modem, 0, payload, sizeof(payload)), sizeof(payload));
	assert_int_equal(st87_modem_send_limit(modem), 120);
	assert_int_equal(model.commands_from_payload, 0);
	assert_int_equal(model.received_len, 120 + sizeof(payload));
	st87_modem_close(modem);
}

static ssize_t send_datagram(struct st87_modem *modem, const uint8_t *payload, size_t len)
{
	return st87_send_udp(modem, 1, "127.0.0.1", 7, 0, payload, len);
}

TEST_CASE(test_datagram_limit_is_below_the_shortest_refused_length)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_one_step(&model);
	uint8_t payload[1000];
	fill_with_commands(payload, sizeof(payload));
	assert_int_equal(st87_modem_datagram_limit(modem), ST87_NOTE_SEND);
	assert_int_equal(send_datagram(modem, payload, 200), -EMSGSIZE);
	assert_int_equal(st87_modem_datagram_limit(modem), 199);
	/* Not a halved guess: a length between the one taken and the one refused is still tried. */
	assert_int_equal(send_datagram(modem, payload, MODEL_LIMIT), MODEL_LIMIT);
	assert_int_equal(send_datagram(modem, payload, 140), -EMSGSIZE);
	assert_int_equal(st87_modem_datagram_limit(modem), 139);
	assert_int_equal(send_datagram(modem, payload, MODEL_LIMIT), MODEL_LIMIT);
	int lines = model.lines;
	assert_int_equal(send_datagram(modem, payload, sizeof(payload)), -EMSGSIZE);
	assert_int_equal(model.lines, lines); /* known too long: no command */
	assert_int_equal(model.commands_from_payload, 0);
	assert_int_equal(model.received_len, 2 * MODEL_LIMIT);
	st87_modem_close(modem);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
