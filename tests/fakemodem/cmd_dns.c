/* AT#DNS=<cid>,<ip_version>,<name>: the maker's firmware resolves names
 * itself (docs/PROTOCOL.md §12); firmware that follows the note does not know
 * the command (504). Only localhost and the --dns-entry names resolve, all
 * to loopback: no real resolver is asked, so no test depends on a network. */
#include <arpa/inet.h>
#include <stdio.h>
#include <strings.h>

#include "handlers.h"
#include "timeutil.h"

/* The address of name in family, or NULL: not found. --dns-entry comes
 * first, so it may give localhost another loopback address. */
static const char *resolve(const struct fm_options *opt, const char *name, int family)
{
	for (int i = 0; i < opt->ndns; i++) {
		const struct dns_entry *e = &opt->dns_entries[i];

		if (e->family == family && !strcasecmp(e->name, name))
			return e->addr;
	}
	if (!strcasecmp(name, "localhost"))
		return family == AF_INET ? "127.0.0.1" : "::1";
	return NULL;
}

/* The answer held in m->cmd.held_info ("" = not found). */
static int answer(struct modem *m)
{
	if (!m->cmd.held_info[0])
		return 2171;
	if (m->opt->dns_ttl >= 0)
		reply_info(m, "#DNS: %s,%ld", m->cmd.held_info, m->opt->dns_ttl);
	else
		reply_info(m, "#DNS: %s", m->cmd.held_info);
	/* Mbed's driver reads on past an error line that follows a valid answer. */
	return m->opt->dns_error_after_answer ? FM_ERROR : 0;
}

/* --dns-delay: the lookup takes time on the network. */
static void wait_dns(struct modem *m, int64_t now)
{
	if (now >= m->cmd.not_before)
		command_finish(m, answer(m));
}

static int dns_set(struct modem *m, const struct at_command *c)
{
	char name[FM_MAX_DNS_NAME + 1];
	const char *addr = NULL;
	long ipver;
	int rc;

	if ((rc = check_params(c, 3, 3)) || (rc = check_cid(m, c, 0)) || (rc = check_link(m)))
		return rc;
	if (m->opt->dns_no_server)
		return 2112; /* the factory state: AT#IPPARAMS names no DNS server */
	if (!at_param_int(c, 1, 0, 1, &ipver))
		return 2102;
	if (!at_param_present(c, 2))
		return 50;
	/* A name too long for any entry is simply not found. */
	if (at_param_copy(c, 2, name, sizeof(name)))
		addr = resolve(m->opt, name, ipver ? AF_INET6 : AF_INET);
	m->stats.dns_queries++;
	snprintf(m->cmd.held_info, sizeof(m->cmd.held_info), "%s", addr ? addr : "");
	if (air_active(m))
		/* One uplink and one downlink: the radio must be up first. */
		m->cmd.not_before = air_exchange(m, m->opt->air.dns_delay_us);
	else if (m->opt->air.dns_delay_us > 0)
		m->cmd.not_before = now_us() + m->opt->air.dns_delay_us;
	else
		return answer(m);
	command_wait(m, wait_dns);
	return FM_PENDING;
}

int cmd_dns(struct modem *m, const struct at_command *c)
{
	if (!m->opt->dns)
		return CMD_UNSUPPORTED; /* as firmware that follows the note */
	return set_or_test(m, c, dns_set, "#DNS: (%d),(0,1),\"<name>\"", modem_cid(m));
}
