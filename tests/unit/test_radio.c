/*
 * The 27.007 radio queries (src/core/radio.c): each answer read into its
 * record, a URC of the same prefix among the lines left out, unknown
 * commands as -ENOSYS, and AT+CEREG's presentation set for the cell and put
 * back. The serial port is replaced (-Wl,--wrap) by a model that answers
 * each command line from the test's table, in order, and records them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "radio_values.h"
#include "st87/st87.h"
#include "wrapped_lines.h"
#include "wrapped_serial.h"
#include "test_cases.h"

#define MAX_EXCHANGES 8

struct exchange {
	const char *command; /* the line the driver must send */
	const char *answer;  /* what the model says to it */
};

struct modem_model {
	struct wrapped_lines port;
	struct exchange script[MAX_EXCHANGES];
	size_t next;
	char heard[512]; /* every command line, each ended with ';' */
};

static void react(struct wrapped_lines *port, const char *line)
{
	struct modem_model *m = (struct modem_model *)port;
	if (strcmp(line, "AT") == 0) {
		wrapped_lines_say(port, "\r\nOK\r\n");
		return;
	}
	size_t heard_len = strlen(m->heard);
	snprintf(m->heard + heard_len, sizeof(m->heard) - heard_len, "%.*s;",
		 (int)(sizeof(m->heard) - heard_len - 2), line);
	if (m->next >= MAX_EXCHANGES || !m->script[m->next].command)
		fail_msg("the modem model was sent \"%s\" past its script", line);
	const struct exchange *step = &m->script[m->next++];
	if (strcmp(line, step->command) != 0)
		fail_msg("the modem model was sent \"%s\", expected \"%s\"", line, step->command);
	wrapped_lines_say(port, step->answer);
}

static struct st87_modem *open_model(struct modem_model *m, const struct exchange *script, size_t n)
{
	*m = (struct modem_model){.port.on_line = react};
	memcpy(m->script, script, n * sizeof(*script));
	struct st87_modem_options options = {.port = "modem-model", .sleep_hold_ms = -1};
	return wrapped_serial_open(m, &options);
}

#define OPEN(model, ...)                                          \
	open_model(model, (const struct exchange[]){__VA_ARGS__}, \
		   sizeof((const struct exchange[]){__VA_ARGS__}) / sizeof(struct exchange))

TEST_CASE(test_cesq_in_dbm_and_db)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem =
		OPEN(&model,
		     {"AT+CESQ", "\r\n+CEREG: 1\r\n\r\n+CESQ: 99,99,255,255,19,46\r\n\r\nOK\r\n"},
		     {"AT+CESQ", "\r\n+CESQ: 99,99,255,255,255,255\r\n\r\nOK\r\n"});
	struct st87_cesq cesq;
	assert_int_equal(st87_cesq_read(modem, &cesq), 0);
	assert_true(cesq.rsrp_known && cesq.rsrq_known);
	assert_int_equal(cesq.rsrp_dbm, -95);
	assert_true(cesq.rsrq_db == -10.5);
	assert_int_equal(st87_cesq_read(modem, &cesq), 0);
	assert_false(cesq.rsrp_known || cesq.rsrq_known);
	assert_int_equal(cesq.rsrp, 255);
	st87_modem_close(modem);
}

TEST_CASE(test_csq_in_dbm)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model, {"AT+CSQ", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"},
					{"AT+CSQ", "\r\n+CSQ: 99,99\r\n\r\nOK\r\n"});
	struct st87_csq csq;
	assert_int_equal(st87_csq_read(modem, &csq), 0);
	assert_true(csq.rssi_known);
	assert_int_equal(csq.rssi_dbm, -73);
	assert_int_equal(st87_csq_read(modem, &csq), 0);
	assert_false(csq.rssi_known);
	st87_modem_close(modem);
}

TEST_CASE(test_the_index_ranges_of_27007)
{
	(void)state;
	int dbm;
	double db;
	assert_true(st87_rsrp_dbm(1, &dbm) && dbm == -140);
	assert_true(st87_rsrp_dbm(97, &dbm) && dbm == -44);
	assert_false(st87_rsrp_dbm(255, &dbm));
	assert_true(st87_rsrq_db(1, &db) && db == -19.5);
	assert_true(st87_rsrq_db(34, &db) && db == -3.0);
	assert_true(st87_rsrq_db(-1, &db) && db == -20.0);
	assert_false(st87_rsrq_db(255, &db));
	assert_true(st87_rssi_dbm(0, &dbm) && dbm == -113);
	assert_true(st87_rssi_dbm(31, &dbm) && dbm == -51);
	assert_false(st87_rssi_dbm(99, &dbm));
	/* 24.008's examples: "01000111" is 70 h (GPRS Timer 3), "00100100" 4 min (GPRS Timer 2). */
	assert_int_equal(st87_timer3_seconds("01000111"), 70 * 3600);
	assert_int_equal(st87_timer2_seconds("00100100"), 4 * 60);
	assert_int_equal(st87_timer2_seconds("00000101"), 10);
	assert_int_equal(st87_timer3_seconds("11100001"), -1); /* deactivated */
	assert_int_equal(st87_timer3_seconds(""), -1);
	assert_int_equal(st87_timer2_seconds("0010010"), -1);
}

/* Presentation 0: set to 5 for the read, put back to 0 after; a URC with an all-digit TAC is no answer. */
TEST_CASE(test_cereg_with_cell_sets_5_and_puts_0_back)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem =
		OPEN(&model, {"AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"},
		     {"AT+CEREG=5", "\r\nOK\r\n"},
		     {"AT+CEREG?",
		      "\r\n+CEREG: 1,\"4321\",\"00000001\",9\r\n\r\n+CEREG: "
		      "5,1,\"1234\",\"0012BEEF\",9,,,\"00100100\",\"01000111\"\r\n\r\nOK\r\n"},
		     {"AT+CEREG=0", "\r\nOK\r\n"});
	struct st87_cereg cereg;
	assert_int_equal(st87_cereg_read(modem, true, &cereg), 0);
	assert_string_equal(model.heard, "AT+CEREG?;AT+CEREG=5;AT+CEREG?;AT+CEREG=0;");
	assert_int_equal(cereg.n, 0);
	assert_int_equal(cereg.stat, 1);
	assert_string_equal(cereg.tac, "1234");
	assert_string_equal(cereg.ci, "0012BEEF");
	assert_int_equal(cereg.act, 9);
	assert_int_equal(cereg.active_time_s, 240);
	assert_int_equal(cereg.periodic_tau_s, 70 * 3600);
	st87_modem_close(modem);
}

TEST_CASE(test_cereg_falls_back_to_2_and_puts_1_back)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model, {"AT+CEREG?", "\r\n+CEREG: 1,1\r\n\r\nOK\r\n"},
					{"AT+CEREG=5", "\r\nERROR\r\n"}, {"AT+CEREG=2", "\r\nOK\r\n"},
					{"AT+CEREG?",
					 "\r\n+CEREG: 2,5,\"00C3\",\"0000C0A8\",9\r\n\r\nOK\r\n"},
					{"AT+CEREG=1", "\r\nOK\r\n"});
	struct st87_cereg cereg;
	assert_int_equal(st87_cereg_read(modem, true, &cereg), 0);
	assert_int_equal(cereg.n, 1);
	assert_int_equal(cereg.stat, 5);
	assert_string_equal(cereg.tac, "00C3");
	assert_int_equal(cereg.active_time_s, -1);
	st87_modem_close(modem);
}

/* A modem that refuses both is read as it is: no cell, and nothing to put back. */
TEST_CASE(test_cereg_without_cell_support_is_read_as_it_is)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model, {"AT+CEREG?", "\r\n+CEREG: 0,2\r\n\r\nOK\r\n"},
					{"AT+CEREG=5", "\r\nERROR\r\n"},
					{"AT+CEREG=2", "\r\nERROR\r\n"});
	struct st87_cereg cereg;
	assert_int_equal(st87_cereg_read(modem, true, &cereg), 0);
	assert_int_equal(cereg.stat, 2);
	assert_string_equal(cereg.tac, "");
	assert_int_equal(cereg.act, -1);
	st87_modem_close(modem);
}

/* "+CEREG: 0,"1234",..." (presentation 2, not registered) is news: its all-digit TAC is no <stat>. */
TEST_CASE(test_cereg_urc_with_a_digit_tac_is_news)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model, {"ATE0", "\r\nOK\r\n"}, {"AT+CMEE=1", "\r\nOK\r\n"},
					{"AT#IPCFG?",
					 "\r\n#IPCFG: 5,1,\"10.0.0.2\",\"\"\r\n\r\nOK\r\n"});
	assert_int_equal(st87_modem_start(modem, 1000, false), 0);
	assert_false(st87_modem_needs_start(modem));
	wrapped_lines_say(&model.port, "\r\n+CEREG: 0,\"1234\",\"0012BEEF\",9\r\n");
	assert_true(st87_modem_poll(modem, 0) >= 0);
	assert_true(st87_modem_needs_start(modem));
	st87_modem_close(modem);
}

TEST_CASE(test_cscon_leaves_its_urc_out)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model,
					{"AT+CSCON?", "\r\n+CSCON: 0\r\n\r\n+CSCON: 1,1\r\n\r\nOK\r\n"});
	struct st87_cscon cscon;
	assert_int_equal(st87_cscon_read(modem, &cscon), 0);
	assert_int_equal(cscon.n, 1);
	assert_true(cscon.connected);
	assert_int_equal(cscon.state, -1);
	st87_modem_close(modem);
}

TEST_CASE(test_identity_with_and_without_prefix)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model, {"AT+CGSN", "\r\n004999010640000\r\n\r\nOK\r\n"},
					{"AT+CGSN", "\r\n+CGSN: \"490154203237518\"\r\n\r\nOK\r\n"},
					{"AT+CGMR", "\r\nST87M01 V1.2.3\r\n\r\nOK\r\n"},
					{"AT+CGMR", "\r\n+CGMR: \"2.0\"\r\n\r\nOK\r\n"});
	char imei[ST87_RADIO_FIELD_LEN], revision[ST87_REVISION_LEN];
	assert_int_equal(st87_cgsn_read(modem, imei), 0);
	assert_string_equal(imei, "004999010640000");
	assert_int_equal(st87_cgsn_read(modem, imei), 0);
	assert_string_equal(imei, "490154203237518");
	assert_int_equal(st87_cgmr_read(modem, revision), 0);
	assert_string_equal(revision, "ST87M01 V1.2.3");
	assert_int_equal(st87_cgmr_read(modem, revision), 0);
	assert_string_equal(revision, "\"2.0\"");
	st87_modem_close(modem);
}

TEST_CASE(test_power_saving_requests)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem =
		OPEN(&model, {"AT+CPSMS?", "\r\n+CPSMS: 1,,,\"01000111\",\"00100100\"\r\n\r\nOK\r\n"},
		     {"AT+CEDRXS?", "\r\n+CEDRXS: 4,\"0010\"\r\n\r\n+CEDRXS: 5,\"0101\"\r\n\r\nOK\r\n"},
		     {"AT+CEDRXS?", "\r\nOK\r\n"});
	struct st87_cpsms cpsms;
	assert_int_equal(st87_cpsms_read(modem, &cpsms), 0);
	assert_int_equal(cpsms.mode, 1);
	assert_string_equal(cpsms.periodic_tau, "01000111");
	assert_int_equal(cpsms.periodic_tau_s, 70 * 3600);
	assert_int_equal(cpsms.active_time_s, 240);
	struct st87_cedrxs cedrxs;
	assert_int_equal(st87_cedrxs_read(modem, &cedrxs), 0);
	assert_true(cedrxs.requested);
	assert_int_equal(cedrxs.act_type, 5);
	assert_string_equal(cedrxs.value, "0101");
	assert_int_equal(st87_cedrxs_read(modem, &cedrxs), 0);
	assert_false(cedrxs.requested);
	st87_modem_close(modem);
}

/* Firmware without the commands: every query -ENOSYS, whether it says 504 or a bare ERROR. */
TEST_CASE(test_unknown_commands_are_enosys)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model, {"AT+CGSN", "\r\n+CME ERROR: 504\r\n"},
					{"AT+CGMR", "\r\nERROR\r\n"}, {"AT+CESQ", "\r\nERROR\r\n"},
					{"AT+CSQ", "\r\n+CME ERROR: 504\r\n"},
					{"AT+CEREG?", "\r\nERROR\r\n"}, {"AT+CSCON?", "\r\nERROR\r\n"},
					{"AT+CPSMS?", "\r\nERROR\r\n"}, {"AT+CEDRXS?", "\r\nERROR\r\n"});
	struct st87_radio radio;
	st87_radio_read(modem, &radio);
	for (int query = 0; query < ST87_RADIO_QUERIES; query++) {
		assert_int_equal(radio.err[query], -ENOSYS);
		assert_non_null(strstr(radio.why[query], st87_radio_query_name(query)));
	}
	assert_null(st87_radio_query_name(ST87_RADIO_QUERIES));
	assert_false(st87_modem_unresponsive(modem));
	st87_modem_close(modem);
}

TEST_CASE(test_a_malformed_answer_is_eproto)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model, {"AT+CESQ", "\r\n+CESQ: 99,99\r\n\r\nOK\r\n"});
	struct st87_cesq cesq;
	assert_int_equal(st87_cesq_read(modem, &cesq), -EPROTO);
	st87_modem_close(modem);
}

/* What metrics count: commands, +CME ERROR codes, link losses (one per loss); and whether it sleeps. */
TEST_CASE(test_the_session_counts)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = OPEN(&model, {"ATE0", "\r\nOK\r\n"}, {"AT+CMEE=1", "\r\nOK\r\n"},
					{"AT#IPCFG?", "\r\n#IPCFG: 5,1,\"10.0.0.2\",\"\"\r\n\r\nOK\r\n"},
					{"AT+CESQ", "\r\n+CME ERROR: 50\r\n"},
					{"AT+CSQ", "\r\n+CME ERROR: 50\r\n"},
					{"AT+CSCON?", "\r\n+CME ERROR: 2150\r\n"});
	assert_int_equal(st87_modem_start(modem, 1000, false), 0);
	struct st87_cesq cesq;
	struct st87_csq csq;
	struct st87_cscon cscon;
	assert_int_not_equal(st87_cesq_read(modem, &cesq), 0);
	assert_int_not_equal(st87_csq_read(modem, &csq), 0);
	assert_int_not_equal(st87_cscon_read(modem, &cscon), 0);
	assert_false(st87_modem_may_be_asleep(modem));
	wrapped_lines_say(&model.port, "\r\n+CEREG: 0\r\n\r\n+CEREG: 0\r\n\r\n#SLEEP\r\n");
	assert_true(st87_modem_poll(modem, 0) >= 0);
	assert_true(st87_modem_may_be_asleep(modem));
	struct st87_modem_counters counters;
	st87_modem_counters(modem, &counters);
	assert_int_equal(counters.commands, 6); /* the probe's AT of the open not counted */
	assert_int_equal(counters.cme_errors, 3);
	assert_int_equal(counters.cme[0].code, 50);
	assert_int_equal(counters.cme[0].count, 2);
	assert_int_equal(counters.cme[1].code, 2150);
	assert_int_equal(counters.cme[1].count, 1);
	assert_int_equal(counters.cme[2].count, 0);
	assert_int_equal(counters.link_losses, 1);
	assert_int_equal(counters.restarts, 0);
	st87_modem_close(modem);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
