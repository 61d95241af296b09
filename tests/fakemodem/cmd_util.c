#include "handlers.h"

#include <stdarg.h>

int check_params(const struct at_command *c, int min, int max)
{
	if (c->malformed)
		return 50; /* incorrect parameters */
	if (c->too_many || c->nparams > max)
		return 502; /* exceed parameter number */
	if (c->nparams < min)
		return 503; /* not enough parameters */
	return 0;
}

int check_cid(const struct modem *m, const struct at_command *c, int i)
{
	long cid;

	if (at_param_int(c, i, 0, 255, &cid) && cid == modem_cid(m))
		return 0;
	return 2100;
}

int check_link(const struct modem *m)
{
	return m->link_up ? 0 : 2106;
}

bool param_sid(const struct modem *m, const struct at_command *c, int i, int *slot)
{
	long sid;

	if (!at_param_int(c, i, modem_sid(m, 0), modem_sid(m, FM_MAX_SOCKETS - 1), &sid))
		return false;
	*slot = (int)(sid - m->opt->sid_base);
	return true;
}

int get_socket(struct modem *m, const struct at_command *c, int i, bool tcp, struct msock **out)
{
	struct msock *s;
	int slot;

	if (!param_sid(m, c, i, &slot))
		return 2104;
	s = socktab_get(&m->socks, slot);
	if (!s || s->p.tcp != tcp)
		return 2153;
	*out = s;
	return 0;
}

int set_or_test(struct modem *m, const struct at_command *c,
		int (*set)(struct modem *m, const struct at_command *c), const char *test_fmt, ...)
{
	va_list ap;

	if (c->form == AT_SET)
		return set(m, c);
	if (c->form != AT_TEST)
		return CMD_UNSUPPORTED;
	va_start(ap, test_fmt);
	vreply_info(m, test_fmt, ap);
	va_end(ap);
	return 0;
}
