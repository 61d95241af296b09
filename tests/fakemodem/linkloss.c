/* --link-loss-after: the network drops the IP link once, like a cell that
 * detaches the device (docs/PROTOCOL.md §10). Every socket goes (unless
 * --keep-sockets-on-link-loss), a URC says so, and the link returns by
 * itself (--link-return) or when the host configures it again with AT#IPCFG.
 * Also news that is no loss: --cereg-2-while-up, --simst-without-reboot; and
 * the IP stack the firmware drops itself (--cfun-1-drops-stack). */
#include "modem.h"
#include "timeutil.h"

static void drop_link(struct modem *m, bool keep_sockets)
{
	m->link_up = false;
	if (!keep_sockets)
		socktab_close_all(&m->socks);
	/* The host (or the network) brings it back now, not a pending --auto-ip. */
	m->auto_ip_at = FM_NEVER;
}

void linkloss_drop_stack(struct modem *m)
{
	trace_note(m->trace, '<', "IP stack dropped");
	drop_link(m, false);
}

static void lose_link(struct modem *m)
{
	int cid = modem_cid(m);

	m->link_lost = true;
	m->stats.link_losses++;
	trace_note(m->trace, '<', "link lost");
	/* Some firmware keeps its sockets through a brief loss: their ids stay taken. */
	drop_link(m, m->opt->keep_sockets_on_link_loss);
	switch (m->opt->link_loss_urc) {
	case LOSS_NW_DEACT:
		emit_urc(m, "+CGEV: NW PDN DEACT %d", cid);
		break;
	case LOSS_NW_DETACH:
		emit_urc(m, "+CGEV: NW DETACH");
		break;
	case LOSS_IPCFG0:
		emit_urc(m, "#IPCFG: %d,0", cid);
		break;
	case LOSS_CEREG:
		emit_urc(m, "+CEREG: 2"); /* not registered, searching */
		break;
	}
	if (m->opt->link_return_ms >= 0)
		m->link_return_at = now_us() + m->opt->link_return_ms * 1000;
}

static bool loss_due(const struct modem *m)
{
	return m->opt->link_loss_after >= 0 && !m->link_lost &&
		m->executed >= (unsigned long)m->opt->link_loss_after;
}

/* Once, after the final result of command line N (a switch's N, -1: never). */
static bool news_due(const struct modem *m, long after, bool *sent)
{
	if (after < 0 || *sent || m->executed < (unsigned long)after)
		return false;
	*sent = true;
	return true;
}

void linkloss_after_final(struct modem *m)
{
	if (loss_due(m))
		lose_link(m);
	/* Searching for a cell a moment, the PDN and every socket kept. */
	if (news_due(m, m->opt->cereg_2_while_up, &m->cereg_2_sent))
		emit_urc(m, "+CEREG: 2");
	/* A SIM refresh: the SIM's status line, and nothing else changes. */
	if (news_due(m, m->opt->simst_without_reboot, &m->simst_sent))
		emit_urc(m, "#SIMST: 1");
}

static void return_link(struct modem *m)
{
	int cid = modem_cid(m);

	m->link_return_at = FM_NEVER;
	if (m->link_up)
		return; /* AT#IPCFG or a reboot was first */
	m->link_up = true;
	emit_urc(m, "+CGEV: NW PDN ACT %d", cid);
	if (m->opt->link_loss_urc == LOSS_CEREG)
		emit_urc(m, "+CEREG: 1");
	emit_urc(m, "#IPCFG: %d,1,\"%s\"", cid, m->ipv4);
}

void linkloss_tick(struct modem *m, int64_t now)
{
	/* With N = 0 the link goes before any command, while idle. */
	if (m->cmd.state == CMD_IDLE && loss_due(m))
		lose_link(m);
	if (now >= m->link_return_at)
		return_link(m);
}

int64_t linkloss_wake_at(const struct modem *m)
{
	return m->link_return_at;
}
