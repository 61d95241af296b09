/* The sleep model of --sleep-after and its command, AT#SLEEPMODE.
 *
 * Awake, the modem falls asleep once no command has come or run for the
 * hold time. Asleep, the first command line wakes it and is lost: no
 * echo, no answer (docs/PROTOCOL.md §11: a driver probes with AT first). Data
 * or a close from the network wakes it too, and the hold starts again. With
 * --sleep-urcs it says #SLEEP and #WAKEUP. */
#include "handlers.h"
#include "timeutil.h"

#define HOLD_MAX_S 3600
/* What AT#SLEEPMODE=1 holds when --sleep-after 0 gave no hold time. */
#define DEFAULT_HOLD_S 10

static void restart_hold(struct modem *m, int64_t now)
{
	struct sleep_state *s = &m->sleep;

	s->sleep_at = s->enabled ? now + s->hold_us : FM_NEVER;
}

void sleep_init(struct modem *m, int64_t now)
{
	struct sleep_state *s = &m->sleep;
	long after = m->opt->sleep_after_ms;

	s->known = after >= 0;
	s->enabled = after > 0;
	s->hold_us = (after > 0 ? after : DEFAULT_HOLD_S * 1000L) * 1000;
	s->awake_since = now;
	restart_hold(m, now);
}

static void wake(struct modem *m, int64_t now)
{
	struct sleep_state *s = &m->sleep;

	s->asleep = false;
	s->awake_since = now;
	m->stats.wakeups++;
	trace_note(m->trace, '<', "woke up");
	if (m->opt->sleep_urcs)
		emit_urc(m, "#WAKEUP");
	restart_hold(m, now);
}

bool sleep_take_line(struct modem *m)
{
	int64_t now = now_us();

	if (!m->sleep.asleep) {
		restart_hold(m, now);
		return true;
	}
	m->stats.commands_while_asleep++;
	trace_note(m->trace, '>', "asleep: the line woke the modem and is lost");
	wake(m, now);
	return false;
}

void sleep_network_event(struct modem *m)
{
	int64_t now = now_us();

	if (m->sleep.asleep)
		wake(m, now);
	else
		restart_hold(m, now);
}

void sleep_after_final(struct modem *m)
{
	struct sleep_state *s = &m->sleep;
	int64_t now = now_us();

	restart_hold(m, now);
	if (s->sleep_requested) {
		s->sleep_requested = false;
		s->sleep_at = now;
	}
}

void sleep_tick(struct modem *m, int64_t now)
{
	struct sleep_state *s = &m->sleep;

	/* A command in progress (a connect, a payload on its way) keeps it awake. */
	if (s->asleep || now < s->sleep_at || m->cmd.state != CMD_IDLE)
		return;
	s->asleep = true;
	s->sleep_at = FM_NEVER;
	s->awake_us += now - s->awake_since;
	trace_note(m->trace, '<', "fell asleep");
	if (m->opt->sleep_urcs)
		emit_urc(m, "#SLEEP");
}

int64_t sleep_wake_at(const struct modem *m)
{
	return m->sleep.asleep ? FM_NEVER : m->sleep.sleep_at;
}

uint64_t sleep_awake_ms(const struct modem *m, int64_t now)
{
	const struct sleep_state *s = &m->sleep;
	int64_t us = s->awake_us + (s->asleep ? 0 : now - s->awake_since);

	return (uint64_t)(us / 1000);
}

/* AT#SLEEPMODE=<mode>[,<hold s>[,<awake s>]]: the maker's driver sends all
 * three; <awake> is taken and not modelled. Real firmware applies it at the
 * next restart; the fake modem at once. */
static int set_sleepmode(struct modem *m, const struct at_command *c)
{
	long mode, hold = m->sleep.hold_us / 1000000, awake;
	int rc;

	if ((rc = check_params(c, 1, 3)))
		return rc;
	if (!at_param_int(c, 0, 0, 1, &mode) ||
	    (c->nparams >= 2 && !at_param_int(c, 1, 1, HOLD_MAX_S, &hold)) ||
	    (c->nparams >= 3 && !at_param_int(c, 2, 0, HOLD_MAX_S, &awake)))
		return 50;
	m->sleep.enabled = mode == 1;
	m->sleep.hold_us = (int64_t)hold * 1000000;
	return 0;
}

int cmd_sleepmode(struct modem *m, const struct at_command *c)
{
	const struct sleep_state *s = &m->sleep;

	if (!s->known)
		return CMD_UNSUPPORTED; /* the note's firmware has no such command */
	switch (c->form) {
	case AT_SET:
		return set_sleepmode(m, c);
	case AT_READ:
		/* Rounded up: a hold of 1500 ms is not "1 s". */
		reply_info(m, "#SLEEPMODE: %d,%lld", s->enabled ? 1 : 0,
			   (long long)((s->hold_us + 999999) / 1000000));
		return 0;
	case AT_TEST:
		reply_info(m, "#SLEEPMODE: (0,1),(1-%d),(0-%d)", HOLD_MAX_S, HOLD_MAX_S);
		return 0;
	case AT_EXEC:
		/* The maker's application sleeps the modem at once this way. */
		m->sleep.sleep_requested = s->enabled;
		return 0;
	}
	return CMD_UNSUPPORTED;
}
