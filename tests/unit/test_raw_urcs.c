/*
 * st87_modem_raw(), the command line of st87ctl at: every line the modem
 * sends during it is shown in the reply, and the URCs among them still reach
 * the driver (on_event, the modem's state) as during any other command. A
 * swallowed #IPRECV would leave a program's data unread in the modem.
 *
 * The serial port is replaced (-Wl,--wrap) by a modem model that answers
 * what it has been written, so the test runs synchronously; reads return a
 * few bytes at most, so the lines arrive in fragments.
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
#include "wrapped_lines.h"
#include "wrapped_serial.h"
#include "test_cases.h"

struct modem_model {
	struct wrapped_lines port;
	const char *command; /* the raw command the test sends */
	const char *answer;  /* what the modem says to it, after the echo */
};

struct event {
	enum st87_event_kind kind;
	int socket_id;
};

struct events {
	struct event seen[8];
	int count;
	char unsolicited[4][64]; /* the lines on_unsolicited saw */
	int unsolicited_count;
};

static void say(struct modem_model *m, const char *text)
{
	wrapped_lines_say(&m->port, text);
}

/* Answers each command line once its CR came: the probe's AT, then the test's command. */
static void react(struct wrapped_lines *port, const char *line)
{
	struct modem_model *m = (struct modem_model *)port;
	say(m, line);
	say(m, "\r\r\n"); /* the echo of a modem left at E1 */
	if (strcmp(line, "AT") == 0)
		say(m, "\r\nOK\r\n");
	else if (strcmp(line, "AT+CMEE?") == 0)
		say(m,
		    "\r\n+CMEE: 0\r\n\r\nOK\r\n"); /* as after a restart: the host's AT+CMEE=1 forgotten */
	else if (strcmp(line, m->command) == 0)
		say(m, m->answer);
	else
		fail_msg("the modem model was sent \"%s\"", line);
}

static void record_event(void *user, enum st87_event_kind kind, int socket_id)
{
	struct events *events = user;
	assert_true(events->count < 8);
	events->seen[events->count++] = (struct event){.kind = kind, .socket_id = socket_id};
}

static int record_unsolicited(void *user, const char *line)
{
	struct events *events = user;
	assert_true(events->unsolicited_count < 4);
	snprintf(events->unsolicited[events->unsolicited_count++], 64, "%s", line);
	return 0;
}

/* Opens a modem (context 5) whose model answers @p command with @p answer, @p max_read bytes a read. */
static struct st87_modem *open_model(struct modem_model *m, const char *command, const char *answer,
				     size_t max_read, struct events *events)
{
	*m = (struct modem_model){.port = {.on_line = react, .max_read = max_read},
				  .command = command,
				  .answer = answer};
	memset(events, 0, sizeof(*events));
	/* sleep_hold_ms -1: a modem that never sleeps, so no probe comes before the command. */
	struct st87_modem_options options = {.port = "modem-model",
					     .sleep_hold_ms = -1,
					     .on_event = record_event,
					     .on_unsolicited = record_unsolicited,
					     .user = events};
	return wrapped_serial_open(m, &options);
}

/* Fragments, and the whole answer in one read (0: no cap). */
static const size_t read_sizes[] = {3, 0};

TEST_CASE(test_urcs_during_a_raw_command_reach_the_driver_and_the_reply)
{
	(void)state;
	static const char answer[] = "\r\n#IPCFG: 5,1,\"10.0.0.2\",\"\"\r\n"
				     "\r\n#IPRECV: 5,0\r\n"
				     "\r\n#SOCKETCLOSED: 5,1\r\n"
				     "\r\nOK\r\n"
				     "\r\n#IPRECV: 5,2\r\n";
	for (size_t i = 0; i < sizeof(read_sizes) / sizeof(read_sizes[0]); i++) {
		struct modem_model model;
		struct events events;
		struct st87_modem *modem = open_model(&model, "AT#IPCFG?", answer, read_sizes[i],
						      &events);
		struct st87_at_reply reply;
		assert_int_equal(st87_modem_raw(modem, "AT#IPCFG?", 1000, &reply), 0);
		/* Whether it came in the final result's read or not, the URC after it is handed over by now. */
		assert_true(st87_modem_poll(modem, 0) >= 0);

		assert_int_equal(reply.n_lines, 3);
		assert_string_equal(reply.lines[0], "#IPCFG: 5,1,\"10.0.0.2\",\"\"");
		assert_string_equal(reply.lines[1], "#IPRECV: 5,0");
		assert_string_equal(reply.lines[2], "#SOCKETCLOSED: 5,1");
		/* The URCs, and not the command's own #IPCFG answer (that would be link news). */
		assert_int_equal(events.count, 3);
		assert_int_equal(events.seen[0].kind, ST87_EVENT_DATA);
		assert_int_equal(events.seen[0].socket_id, 0);
		assert_int_equal(events.seen[1].kind, ST87_EVENT_PEER_CLOSED);
		assert_int_equal(events.seen[1].socket_id, 1);
		assert_int_equal(events.seen[2].kind, ST87_EVENT_DATA);
		assert_int_equal(events.seen[2].socket_id, 2);
		/* on_unsolicited gets only the URC no reply shows, the one after the final result. */
		assert_int_equal(events.unsolicited_count, 1);
		assert_string_equal(events.unsolicited[0], "#IPRECV: 5,2");
		st87_modem_close(modem);
	}
}

/* Two commands on one line: each one's answer is the reply's, not news (taken as news, #IPCFG: 5,1 says the link came up). */
TEST_CASE(test_every_command_of_a_compound_line_has_its_answer)
{
	(void)state;
	static const char line[] = "AT+CMEE=1;#IPCFG?";
	static const char answer[] = "\r\n#IPCFG: 5,1,\"10.0.0.2\",\"\"\r\n"
				     "\r\n#IPRECV: 5,0\r\n"
				     "\r\nOK\r\n";
	struct modem_model model;
	struct events events;
	struct st87_modem *modem = open_model(&model, line, answer, 3, &events);
	struct st87_at_reply reply;
	assert_int_equal(st87_modem_raw(modem, line, 1000, &reply), 0);
	assert_int_equal(reply.n_lines, 2);
	assert_string_equal(reply.lines[0], "#IPCFG: 5,1,\"10.0.0.2\",\"\"");
	assert_string_equal(reply.lines[1], "#IPRECV: 5,0");
	assert_int_equal(events.count, 1);
	assert_int_equal(events.seen[0].kind, ST87_EVENT_DATA);
	st87_modem_close(modem);
}

TEST_CASE(test_restart_during_a_raw_command_aborts_it_and_is_shown)
{
	(void)state;
	struct modem_model model;
	struct events events;
	/* A restarted modem answers nothing it was asked before: its boot line (the maker's) aborts it. */
	struct st87_modem *modem = open_model(&model, "AT+CFUN=1,1", "\r\n#REBOOT_RESET\r\n", 3,
					      &events);
	struct st87_at_reply reply;
	assert_int_equal(st87_modem_raw(modem, "AT+CFUN=1,1", 1000, &reply), -ENETRESET);
	assert_int_equal(reply.n_lines, 1);
	assert_string_equal(reply.lines[0], "#REBOOT_RESET");
	assert_int_equal(events.count, 1);
	assert_int_equal(events.seen[0].kind, ST87_EVENT_LINK_DOWN);
	assert_int_equal(events.unsolicited_count, 0);
	assert_true(st87_modem_needs_start(modem));
	st87_modem_close(modem);
}

/* #SIMST followed by more of a boot trace is a restart: the command in flight is aborted. */
TEST_CASE(test_simst_then_a_boot_trace_is_a_restart)
{
	(void)state;
	struct modem_model model;
	struct events events;
	struct st87_modem *modem = open_model(&model, "AT+CSQ", "\r\n#SIMST: 1\r\n\r\n+CEREG: 2\r\n", 3,
					      &events);
	struct st87_at_reply reply;
	assert_int_equal(st87_modem_raw(modem, "AT+CSQ", 1000, &reply), -ENETRESET);
	assert_string_equal(reply.lines[0], "#SIMST: 1");
	assert_int_equal(events.count, 1);
	assert_int_equal(events.seen[0].kind, ST87_EVENT_LINK_DOWN);
	assert_true(st87_modem_needs_start(modem));
	st87_modem_close(modem);
}

/* #SIMST alone (a SIM refresh sends it too) leaves the command to finish; AT+CMEE? asked after it
 * showing the error codes off again makes it a restart. */
TEST_CASE(test_simst_alone_is_a_restart_once_cmee_is_off)
{
	(void)state;
	struct modem_model model;
	struct events events;
	struct st87_modem *modem = open_model(&model, "AT+CSQ",
					      "\r\n#SIMST: 1\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n", 3,
					      &events);
	struct st87_at_reply reply;
	assert_int_equal(st87_modem_raw(modem, "AT+CSQ", 1000, &reply), 0);
	assert_int_equal(events.count, 0);
	/* The caller reads the reply first: the modem is asked once it next polls or runs a command. */
	assert_true(st87_modem_poll(modem, 0) >= 0);
	assert_int_equal(events.count, 1);
	assert_int_equal(events.seen[0].kind, ST87_EVENT_LINK_DOWN);
	assert_true(st87_modem_needs_start(modem));
	st87_modem_close(modem);
}

/* The note's boot trace ends with "#IPCFG: 5,0,1" (configured automatically): the link came up, not down. */
TEST_CASE(test_boot_ipcfg_line_says_the_link_is_up)
{
	(void)state;
	struct modem_model model;
	struct events events;
	struct st87_modem *modem = open_model(&model, "AT+CEREG?", "\r\n#IPCFG: 5,0,1\r\n\r\nOK\r\n", 3,
					      &events);
	struct st87_at_reply reply;
	assert_int_equal(st87_modem_raw(modem, "AT+CEREG?", 1000, &reply), 0);
	assert_int_equal(events.count, 1);
	assert_int_equal(events.seen[0].kind, ST87_EVENT_LINK_UP);
	st87_modem_close(modem);
}

TEST_CASE(test_urc_before_a_raw_ipread_block_reaches_the_driver)
{
	(void)state;
	static const char answer[] = "\r\n#IPRECV: 5,2\r\n"
				     "\r\n#IPREAD: 5,0,4\r\nOK\r\n\r\n"
				     "\r\nOK\r\n";
	struct modem_model model;
	struct events events;
	struct st87_modem *modem = open_model(&model, "AT#IPREAD=5,0", answer, 3, &events);
	struct st87_at_reply reply;
	assert_int_equal(st87_modem_raw(modem, "AT#IPREAD=5,0", 1000, &reply), 0);
	assert_int_equal(reply.n_lines, 2);
	assert_string_equal(reply.lines[0], "#IPRECV: 5,2");
	assert_string_equal(reply.lines[1], "#IPREAD: 5,0,4");
	/* The block is read by count: the "OK" inside it is data, not the result. */
	assert_int_equal(reply.block_len, 4);
	assert_memory_equal(reply.block, "OK\r\n", 4);
	assert_int_equal(events.count, 1);
	assert_int_equal(events.seen[0].kind, ST87_EVENT_DATA);
	assert_int_equal(events.seen[0].socket_id, 2);
	st87_modem_close(modem);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
