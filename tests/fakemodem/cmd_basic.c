/* AT, ATE0, ATE1, AT+CMEE, AT+CFUN: the only V.25ter / 27.007 basics the
 * modem takes; any other basic command is unknown (504). And AT#RESET. */
#include "handlers.h"

int cmd_at(struct modem *m, const struct at_command *c)
{
	(void)m;
	return c->form == AT_EXEC ? 0 : CMD_UNSUPPORTED;
}

int cmd_ate0(struct modem *m, const struct at_command *c)
{
	if (c->form != AT_EXEC)
		return CMD_UNSUPPORTED;
	/* --ignore-ate0: firmware that says OK and keeps echoing. */
	if (!m->opt->ignore_ate0)
		m->echo = false;
	return 0;
}

int cmd_ate1(struct modem *m, const struct at_command *c)
{
	if (c->form != AT_EXEC)
		return CMD_UNSUPPORTED;
	m->echo = true;
	return 0;
}

int cmd_cmee(struct modem *m, const struct at_command *c)
{
	long v;
	int rc;

	switch (c->form) {
	case AT_SET:
		if ((rc = check_params(c, 1, 1)))
			return rc;
		/* 2 (verbose) is not offered: error codes stay numeric. */
		if (!at_param_int(c, 0, 0, 1, &v))
			return 50;
		m->cmee = v == 1;
		return 0;
	case AT_READ:
		reply_info(m, "+CMEE: %d", m->cmee ? 1 : 0);
		return 0;
	case AT_TEST:
		reply_info(m, "+CMEE: (0,1)");
		return 0;
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

/* The radio is always on here, and only AT+CFUN=1 (on) is taken: the maker's
 * firmware, asked for it while on, drops its IP stack and answers 98. */
int cmd_cfun(struct modem *m, const struct at_command *c)
{
	long fun;
	int rc;

	switch (c->form) {
	case AT_SET:
		if ((rc = check_params(c, 1, 1)))
			return rc;
		if (!at_param_int(c, 0, 1, 1, &fun))
			return CMD_UNSUPPORTED; /* the radio off (0, 4) is not modelled */
		if (!m->opt->cfun_1_drops_stack)
			return 0;
		linkloss_drop_stack(m);
		return 98;
	case AT_READ:
		reply_info(m, "+CFUN: 1");
		return 0;
	case AT_TEST:
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

/* AT#RESET=<0|1>: OK, then the boot lines of a restart. The settings were
 * kept as written, so 1 (save them to NVM first) and 0 restart alike. */
int cmd_reset(struct modem *m, const struct at_command *c)
{
	long save;
	int rc;

	switch (c->form) {
	case AT_SET:
		if ((rc = check_params(c, 1, 1)))
			return rc;
		if (!at_param_int(c, 0, 0, 1, &save))
			return 50;
		m->reset_asked = true;
		return 0;
	case AT_TEST:
		reply_info(m, "#RESET: (0,1)");
		return 0;
	case AT_READ:
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}
