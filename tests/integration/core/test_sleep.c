/*
 * A modem that sleeps (docs/PROTOCOL.md §11, st87-fakemodem --sleep-after):
 * asleep, it loses the first line that reaches it. The driver sends its wake
 * probe before a command when the modem said #SLEEP or has been quiet for its
 * hold time, and never to a modem that is awake.
 */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "session.h"

/* Long enough that no test reaches it by waiting. */
static const char *const long_hold[] = {"--sleep-after", "60000", "--sleep-urcs", NULL};
static struct session_config awake_config = {.switches = long_hold};

/* A short hold, the same on both sides, with no #SLEEP to tell the driver. */
#define SHORT_HOLD_MS 1000
static const char *const short_hold[] = {"--sleep-after", "1000", NULL};
static struct session_config short_hold_config = {.switches = short_hold,
						  .sleep_hold_ms = SHORT_HOLD_MS};

static void run_commands(struct test_session *s, int count)
{
	struct st87_ipcfg ipcfg;
	for (int i = 0; i < count; i++) {
		int err = st87_ipcfg_read(s->modem, &ipcfg);
		if (err)
			fail_msg("AT#IPCFG? number %d: %s", i + 1, st87_last_error());
	}
}

/* The fake modem's count of wake-ups, each costing the line that woke it (the probe's first AT). */
static void assert_woken(struct test_session *s, long times)
{
	assert_int_equal(stats_number(s, "wakeups"), times);
	assert_int_equal(stats_number(s, "commands_while_asleep"), times);
}

SESSION_CASE(test_awake_modem_gets_no_probe, &awake_config)
{
	struct test_session *s = *state;
	open_started_modem(s);
	run_commands(s, 5);
	finish_session(s);
	/* The one AT is the opening check. */
	assert_int_equal(stats_number(s, "AT"), 1);
	assert_woken(s, 0);
}

SESSION_CASE(test_probe_after_sleep_line, &awake_config)
{
	struct test_session *s = *state;
	open_started_modem(s);
	struct st87_at_reply reply;
	/* The execute form sleeps the modem at once, long before its hold ends. */
	assert_int_equal(st87_modem_raw(s->modem, "AT#SLEEPMODE", 1000, &reply), 0);
	long long give_up = monotonic_ms() + wait_limit_ms();
	while (!saw_unsolicited(s, "#SLEEP") && monotonic_ms() < give_up)
		assert_int_equal(wait_for_urcs(s, 200), 0);
	assert_true(saw_unsolicited(s, "#SLEEP"));

	run_commands(s, 2);
	finish_session(s);
	assert_woken(s, 1);
	/* The probe's second AT was answered. */
	assert_int_equal(stats_number(s, "AT"), 2);
}

SESSION_CASE(test_probe_after_hold_time, &short_hold_config)
{
	struct test_session *s = *state;
	open_started_modem(s);
	/* Quiet past the hold: the modem sleeps, and says nothing of it. */
	long long quiet_until = monotonic_ms() + SHORT_HOLD_MS * 3 / 2;
	while (monotonic_ms() < quiet_until)
		assert_int_equal(wait_for_urcs(s, (int)(quiet_until - monotonic_ms())), 0);

	run_commands(s, 2);
	finish_session(s);
	assert_woken(s, 1);
}

int main(int argc, char **argv)
{
	if (!take_fake_modem_path(argc, argv))
		return 1;
	return test_cases_run("libst87 and a modem that sleeps", NULL, NULL);
}
