/* AT, ATE0, ATE1, AT+CMEE: the only V.25ter / 27.007 basics the modem
 * takes; any other basic command is unknown (504). */
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
