/*
 * st87d's radio answer (src/wire/radio_lines.c): a struct st87_radio sent as
 * key=value lines comes back the same; lines a reader does not know, or
 * values that do not fit, change nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "radio_lines.h"
#include "test_cases.h"

struct collected {
	char lines[64][400];
	size_t count;
};

static void collect(void *user, const char *line)
{
	struct collected *c = user;
	assert_true(c->count < 64);
	assert_null(strchr(line, '\n'));
	snprintf(c->lines[c->count++], sizeof(c->lines[0]), "%s", line);
}

/* Every field set to something other than its zero, strings with the characters a value may hold. */
static void fill(struct st87_radio *radio)
{
	st87d_radio_unread(radio);
	radio->err[ST87_RADIO_CGSN] = 0;
	radio->err[ST87_RADIO_CESQ] = -ETIMEDOUT;
	snprintf(radio->why[ST87_RADIO_CESQ], ST87_RADIO_WHY_LEN,
		 "no answer to AT+CESQ = 15 s, \"late\"");
	snprintf(radio->imei, sizeof(radio->imei), "004999010640000");
	snprintf(radio->revision, sizeof(radio->revision), "ST87M01 v1.2=rc3, built 2026");
	radio->cesq = (struct st87_cesq){.rsrq = 19,
					 .rsrp = 29,
					 .rsrq_known = true,
					 .rsrq_db = -10.5,
					 .rsrp_dbm = -112};
	radio->csq = (struct st87_csq){.rssi = 20, .ber = 99, .rssi_known = true, .rssi_dbm = -73};
	radio->cereg = (struct st87_cereg){.n = 2,
					   .stat = 5,
					   .act = 9,
					   .active_time_s = 240,
					   .periodic_tau_s = 252000};
	snprintf(radio->cereg.tac, sizeof(radio->cereg.tac), "1234");
	snprintf(radio->cereg.ci, sizeof(radio->cereg.ci), "0012BEEF");
	snprintf(radio->cereg.active_time, sizeof(radio->cereg.active_time), "00100100");
	snprintf(radio->cereg.periodic_tau, sizeof(radio->cereg.periodic_tau), "01000111");
	radio->cscon = (struct st87_cscon){.n = 1, .connected = true, .state = 7};
	radio->cpsms = (struct st87_cpsms){.mode = 1, .periodic_tau_s = -1, .active_time_s = 60};
	snprintf(radio->cpsms.active_time, sizeof(radio->cpsms.active_time), "00100001");
	radio->cedrxs = (struct st87_cedrxs){.requested = true, .act_type = 5};
	snprintf(radio->cedrxs.value, sizeof(radio->cedrxs.value), "0101");
}

TEST_CASE(test_lines_give_the_same_radio_back)
{
	(void)state;
	struct st87_radio sent, got;
	fill(&sent);
	struct collected lines = {.count = 0};
	st87d_radio_lines(&sent, collect, &lines);
	st87d_radio_unread(&got);
	for (size_t i = 0; i < lines.count; i++)
		assert_true(st87d_radio_take_line(lines.lines[i], &got));
	assert_memory_equal(sent.err, got.err, sizeof(sent.err));
	for (int query = 0; query < ST87_RADIO_QUERIES; query++)
		assert_string_equal(sent.why[query], got.why[query]);
	assert_string_equal(sent.imei, got.imei);
	assert_string_equal(sent.revision, got.revision);
	assert_int_equal(got.cesq.rsrp_dbm, -112);
	assert_true(got.cesq.rsrq_known && got.cesq.rsrq_db == -10.5 && !got.cesq.rsrp_known);
	assert_int_equal(got.csq.rssi_dbm, -73);
	assert_string_equal(got.cereg.tac, "1234");
	assert_string_equal(got.cereg.periodic_tau, "01000111");
	assert_int_equal(got.cereg.periodic_tau_s, 252000);
	assert_int_equal(got.cereg.act, 9);
	assert_true(got.cscon.connected);
	assert_int_equal(got.cscon.state, 7);
	assert_int_equal(got.cpsms.periodic_tau_s, -1);
	assert_string_equal(got.cpsms.active_time, "00100001");
	assert_true(got.cedrxs.requested);
	assert_string_equal(got.cedrxs.value, "0101");
}

TEST_CASE(test_unknown_and_unfit_lines_change_nothing)
{
	(void)state;
	struct st87_radio radio, untouched;
	st87d_radio_unread(&radio);
	untouched = radio;
	char long_imei[200];
	memset(long_imei, '7', sizeof(long_imei) - 1);
	long_imei[sizeof(long_imei) - 1] = '\0';
	char long_line[260];
	snprintf(long_line, sizeof(long_line), "imei=%s", long_imei);
	const char *const refused[] = {
		"sinr.db=12",
		"err.cops=0",
		"no equals sign",
		"cesq.rsrp=forty",
		"cesq.rsrp=",
		"csq.rssi_known=2",
		"cereg.active_time_s=9999999999999999999999",
		long_line,
		"=5",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_false(st87d_radio_take_line(refused[i], &radio));
	assert_memory_equal(&radio, &untouched, sizeof(radio));
	for (int query = 0; query < ST87_RADIO_QUERIES; query++)
		assert_int_equal(radio.err[query], -ENOSYS);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
