/* AT#IPPING (and the spelling AT#IPING). Nothing is sent on the network:
 * loopback targets answer with small made-up times, all others time out. */
#include "addr.h"
#include "handlers.h"

int cmd_ipping(struct modem *m, const struct at_command *c)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char addr[64];
	long timeout = 60, bytes = 10, count = 1;
	long min = 0, max = 0, sum = 0;
	/* --ping-prefix: the summary's name, whichever spelling was sent. */
	const char *prefix = m->opt->ping_prefix;
	bool reachable;
	int rc;

	if (c->form == AT_TEST) {
		reply_info(m, "#%s: (%d),\"<ip_address>\",(1-120),(1-450),(1-20)", prefix, modem_cid(m));
		return 0;
	}
	if (c->form != AT_SET)
		return CMD_UNSUPPORTED;
	if ((rc = check_params(c, 2, 5)) || (rc = check_cid(m, c, 0)) || (rc = check_link(m)))
		return rc;
	if (!at_param_copy(c, 1, addr, sizeof(addr)) || !addr_parse(addr, 0, &ss, &sslen))
		return 2103;
	if (at_param_present(c, 2) && !at_param_int(c, 2, 1, 120, &timeout))
		return 2133;
	if (at_param_present(c, 3) && !at_param_int(c, 3, 1, 450, &bytes))
		return 2131;
	if (at_param_present(c, 4) && !at_param_int(c, 4, 1, 20, &count))
		return 2132;
	/* Answered at once: lost pings do not wait for <timeout>. */
	reachable = addr_is_loopback(&ss);
	for (long n = 1; n <= count; n++) {
		long t = 20 + n;

		if (!reachable) {
			reply_info(m, "%ld,1,%ld,999999", n, bytes);
			continue;
		}
		reply_info(m, "%ld,0,%ld,%ld", n, bytes, t);
		if (n == 1)
			min = t;
		max = t;
		sum += t;
	}
	if (reachable)
		reply_info(m, "#%s: %ld,%ld,0,%ld,%ld,%ld", prefix, count, count, min, max, sum / count);
	else
		reply_info(m, "#%s: %ld,0,%ld,0,0,0", prefix, count, count);
	return 0;
}
