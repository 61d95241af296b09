/* The IP link: AT+CGPADDR, AT#IPCFG, AT#IPDEL, AT#IPPARAMS. */
#include <arpa/inet.h>
#include <string.h>

#include "handlers.h"
#include "timeutil.h"

static void cgpaddr_line(struct modem *m)
{
	reply_info(m, "+CGPADDR: %d,\"%s\",\"%s\"", modem_cid(m), m->ipv4, m->ipv6);
}

int cmd_cgpaddr(struct modem *m, const struct at_command *c)
{
	long cid;
	int rc;

	switch (c->form) {
	case AT_EXEC:
		/* Every context (there is one). The network gave the
		 * addresses, whether or not the IP link is configured: that
		 * is how a driver learns what to set. */
		cgpaddr_line(m);
		return 0;
	case AT_SET:
		if ((rc = check_params(c, 1, AT_MAX_PARAMS)))
			return rc;
		for (int i = 0; i < c->nparams; i++)
			if (!at_param_int(c, i, 0, 255, &cid))
				return 50;
		/* Other contexts do not exist: no line for them. */
		for (int i = 0; i < c->nparams; i++) {
			at_param_int(c, i, 0, 255, &cid);
			if (cid == modem_cid(m))
				cgpaddr_line(m);
		}
		return 0;
	case AT_TEST:
		reply_info(m, "+CGPADDR: (%d)", modem_cid(m));
		return 0;
	case AT_READ:
		break;
	}
	return CMD_UNSUPPORTED;
}

/* AT#IPCFG=<cid>,<ip_mode>,<ip_address>[,<ipv6_prefix_length>[,<dns>...]] */
static int ipcfg_set(struct modem *m, const struct at_command *c)
{
	unsigned char bin[16];
	char addr[64];
	long mode, prefix;
	int rc;

	/* The note's IPv6 example adds DNS servers after the prefix length:
	 * accepted and ignored. */
	if ((rc = check_params(c, 2, 8)) || (rc = check_cid(m, c, 0)))
		return rc;
	if (!at_param_int(c, 1, 0, 2, &mode))
		return 2101;
	if (mode == 1)
		return 2111; /* DHCP: not in this firmware */
	if (mode == 0) {
		if (!at_param_present(c, 2))
			return 2143;
		if (!at_param_copy(c, 2, addr, sizeof(addr)))
			return 2103;
		if (strchr(addr, ':')) {
			if (inet_pton(AF_INET6, addr, bin) != 1)
				return 2120;
			if (!at_param_int(c, 3, 1, 128, &prefix))
				return 2122;
			strcpy(m->ipv6, addr);
		} else {
			if (inet_pton(AF_INET, addr, bin) != 1)
				return 2110;
			strcpy(m->ipv4, addr);
		}
	}
	/* mode 2, IPv6 autoconfiguration, keeps the configured address. */
	m->link_up = true;
	/* A pending --auto-ip or --link-return has nothing left to do. */
	m->auto_ip_at = FM_NEVER;
	m->link_return_at = FM_NEVER;
	emit_urc_after_final(m, "IP Network is Up for context %d", modem_cid(m));
	return 0;
}

int cmd_ipcfg(struct modem *m, const struct at_command *c)
{
	switch (c->form) {
	case AT_READ:
		if (m->link_up && !m->ipv6[0])
			reply_info(m, "#IPCFG: %d,1,\"%s\"", modem_cid(m), m->ipv4);
		else if (m->link_up)
			reply_info(m, "#IPCFG: %d,1,\"%s\",\"%s\"", modem_cid(m), m->ipv4, m->ipv6);
		else
			reply_info(m, "#IPCFG: %d,0", modem_cid(m));
		return 0;
	case AT_TEST:
		reply_info(m, "#IPCFG: (%d),(0,2),\"<ip_address>\",(1-128)", modem_cid(m));
		return 0;
	case AT_SET:
		return ipcfg_set(m, c);
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

int cmd_ipdel(struct modem *m, const struct at_command *c)
{
	int rc;

	switch (c->form) {
	case AT_SET:
		if ((rc = check_params(c, 1, 1)) || (rc = check_cid(m, c, 0)))
			return rc;
		/* Without its IP configuration no socket survives. */
		m->link_up = false;
		socktab_close_all(&m->socks);
		return 0;
	case AT_TEST:
		reply_info(m, "#IPDEL: (%d)", modem_cid(m));
		return 0;
	case AT_READ:
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

int cmd_ipparams(struct modem *m, const struct at_command *c)
{
	static const long max[4] = {1, 1, 65535, 65535};
	long v[4];
	int rc;

	switch (c->form) {
	case AT_READ:
		reply_info(m, "#IPPARAMS: %ld,%ld,%ld,%ld%s%s", m->ipparams[0], m->ipparams[1],
			   m->ipparams[2], m->ipparams[3], m->ipparams_more[0] ? "," : "",
			   m->ipparams_more);
		return 0;
	case AT_TEST:
		reply_info(m, "#IPPARAMS: (0,1),(0,1),(0-65535),(0-65535)");
		return 0;
	case AT_SET:
		/* The note's four fields; the maker's drivers write up to nine (NB-sent counting,
		 * DNS servers), kept as written and reported back. */
		if ((rc = check_params(c, 4, 9)))
			return rc;
		for (int i = 0; i < 4; i++)
			if (!at_param_int(c, i, 0, max[i], &v[i]))
				return 50;
		const char *more = c->nparams > 4 ? c->line + c->params[4].raw_off : "";
		size_t more_len = c->nparams > 4 ? c->line_len - c->params[4].raw_off : 0;
		if (more_len >= sizeof(m->ipparams_more))
			return 50;
		/* Stored and reported; on the real modem the NVM setting takes
		 * effect after a reboot, which here never re-reads it. */
		memcpy(m->ipparams, v, sizeof(v));
		memcpy(m->ipparams_more, more, more_len);
		m->ipparams_more[more_len] = '\0';
		return 0;
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}
