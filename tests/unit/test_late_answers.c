/*
 * A command whose answer comes after its deadline (a busy network, a modem
 * at its own retries): that command alone fails, the late answer is never
 * taken for the next command's, and the modem is lost only when a query
 * behind it goes unanswered too.
 *
 * The serial port is replaced (-Wl,--wrap) by a modem model that holds back
 * its answer to one command until the next line comes; its reads never
 * wait, so a deadline passes at once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "st87/st87.h"
#include "wrapped_serial.h"

#define TCP_STATUS_LINE "#TCPCONNECT: 5,0,5"
#define LINK_LINE "#IPCFG: 5,1,\"10.0.0.2\",\"\""

struct modem_model {
	const char *late_command; /* answered only when the next line comes */
	bool answers_queries;     /* false: silent from the late command on */
	bool holding;             /* the late command's answer is held back */
	char written[512];
	size_t written_len, line_start;
	char pending[1024];
	size_t pending_len;
	char lines[16][64]; /* every command line the model got */
	int line_count;
};

static void say(struct modem_model *m, const char *text)
{
	wrapped_serial_say(m->pending, &m->pending_len, sizeof(m->pending), text);
}

static void answer(struct modem_model *m, const char *line)
{
	if (strcmp(line, "AT") == 0)
		say(m, "\r\nOK\r\n");
	else if (strcmp(line, "AT#TCPCONNECT?") == 0)
		say(m, "\r\n" TCP_STATUS_LINE "\r\n\r\nOK\r\n");
	else if (strcmp(line, "AT#IPCFG?") == 0)
		say(m, "\r\n" LINK_LINE "\r\n\r\nOK\r\n");
	else if (strcmp(line, "AT+CMEE?") == 0)
		say(m, "\r\n+CMEE: 1\r\n\r\nOK\r\n");
	else
		fail_msg("the modem model was sent \"%s\"", line);
}

/* A modem takes its input in order: the held-back answer goes out before the next line's. */
static void react(struct modem_model *m)
{
	char line[sizeof(m->written)];
	if (!wrapped_serial_line(m->written, m->written_len, &m->line_start, line))
		return;
	if (!line[0])
		return; /* a lone CR is no command */
	assert_true(m->line_count < 16);
	snprintf(m->lines[m->line_count++], sizeof(m->lines[0]), "%.63s", line);
	if (m->holding && m->answers_queries) {
		m->holding = false;
		answer(m, m->late_command);
	}
	if (m->late_command && strcmp(line, m->late_command) == 0 && !m->holding && m->line_count > 1) {
		m->holding = true;
		return;
	}
	if (!m->holding)
		answer(m, line);
}

int __wrap_st87_serial_write_all(struct st87_serial *serial, const void *data, size_t len,
				 int timeout_ms)
{
	struct modem_model *m = (struct modem_model *)serial;
	(void)timeout_ms;
	wrapped_serial_hear(m->written, &m->written_len, sizeof(m->written), data, len);
	react(m);
	return 0;
}

/* What the model said, a few bytes a read; 0 (its deadline passed) once it said all. */
ssize_t __wrap_st87_serial_read(struct st87_serial *serial, void *buf, size_t len, int timeout_ms)
{
	struct modem_model *m = (struct modem_model *)serial;
	(void)timeout_ms;
	return (ssize_t)wrapped_serial_give(m->pending, &m->pending_len, buf, len < 5 ? len : 5);
}

static struct st87_modem *open_model(struct modem_model *m, const char *late_command,
				     bool answers_queries)
{
	memset(m, 0, sizeof(*m));
	m->late_command = late_command;
	m->answers_queries = answers_queries;
	wrapped_serial_model = m;
	struct st87_modem_options options = {.port = "modem-model", .sleep_hold_ms = -1};
	struct st87_modem *modem = NULL;
	assert_int_equal(st87_modem_open(&options, &modem), 0);
	return modem;
}

static void test_late_answer_fails_its_command_alone(void **state)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_model(&model, "AT#TCPCONNECT?", true);
	assert_int_equal(st87_tcp_status(modem, 0), -ETIMEDOUT);
	assert_non_null(strstr(st87_last_error(), "only this command failed"));
	assert_false(st87_modem_unresponsive(modem));
	/* The query settled it: the late answer came before the query's, and was dropped. */
	assert_string_equal(model.lines[model.line_count - 1], "AT+CMEE?");

	struct st87_ipcfg link;
	assert_int_equal(st87_ipcfg_read(modem, &link), 0);
	assert_int_equal(link.status, 1);
	assert_string_equal(link.ipv4, "10.0.0.2");
	st87_modem_close(modem);
}

static void test_silence_after_a_missed_deadline_loses_the_modem(void **state)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_model(&model, "AT#TCPCONNECT?", false);
	assert_int_equal(st87_tcp_status(modem, 0), -ETIMEDOUT);
	assert_true(st87_modem_unresponsive(modem));
	assert_non_null(strstr(st87_last_error(), "nor to a query after it"));
	st87_modem_close(modem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_late_answer_fails_its_command_alone),
		cmocka_unit_test(test_silence_after_a_missed_deadline_loses_the_modem),
	};
	return cmocka_run_group_tests_name("a late answer", tests, NULL, NULL);
}
