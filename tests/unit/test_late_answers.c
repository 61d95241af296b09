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
#include "wrapped_lines.h"
#include "wrapped_serial.h"
#include "test_cases.h"

#define TCP_STATUS_LINE "#TCPCONNECT: 5,0,5"
#define LINK_LINE "#IPCFG: 5,1,\"10.0.0.2\",\"\""

struct modem_model {
	struct wrapped_lines port;
	const char *late_command; /* answered only when the next line comes */
	bool answers_queries;     /* false: silent from the late command on */
	bool holding;             /* the late command's answer is held back */
	char lines[16][64];       /* every command line the model got */
	int line_count;
};

static void answer(struct modem_model *m, const char *line)
{
	if (strcmp(line, "AT") == 0)
		wrapped_lines_say(&m->port, "\r\nOK\r\n");
	else if (strcmp(line, "AT#TCPCONNECT?") == 0)
		wrapped_lines_say(&m->port, "\r\n" TCP_STATUS_LINE "\r\n\r\nOK\r\n");
	else if (strcmp(line, "AT#IPCFG?") == 0)
		wrapped_lines_say(&m->port, "\r\n" LINK_LINE "\r\n\r\nOK\r\n");
	else if (strcmp(line, "AT+CMEE?") == 0)
		wrapped_lines_say(&m->port, "\r\n+CMEE: 1\r\n\r\nOK\r\n");
	else
		fail_msg("the modem model was sent \"%s\"", line);
}

/* A modem takes its input in order: the held-back answer goes out before the next line's. */
static void react(struct wrapped_lines *port, const char *line)
{
	struct modem_model *m = (struct modem_model *)port;
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

static struct st87_modem *open_model(struct modem_model *m, const char *late_command,
				     bool answers_queries)
{
	/* What the model said comes a few bytes a read. */
	*m = (struct modem_model){.port = {.on_line = react, .max_read = 5},
				  .late_command = late_command,
				  .answers_queries = answers_queries};
	struct st87_modem_options options = {.port = "modem-model", .sleep_hold_ms = -1};
	return wrapped_serial_open(m, &options);
}

TEST_CASE(test_late_answer_fails_its_command_alone)
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

TEST_CASE(test_silence_after_a_missed_deadline_loses_the_modem)
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
	return test_cases_run("a late answer", NULL, NULL);
}
