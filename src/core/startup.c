/*
 * The start-up of docs/PROTOCOL.md §3: echo off, error codes on, the sleep
 * hold asked once, the IP link up, and sockets a dead process left behind
 * closed. It drives the session through the command modules only, so it
 * stands above them all; a restart during it begins it again.
 */
#include <errno.h>
#include <stdbool.h>

#include "internal.h"
#include "modem_internal.h"

/* Attempts at the whole start-up when the modem restarts during it. */
#define START_TRIES 3
/* After a link loss, auto-IP gets this long to bring the link back before the host configures it. */
#define RELINK_AUTO_IP_WAIT_MS 5000
/* How often the wait for auto-IP asks whether the link is up. */
#define AUTO_IP_POLL_MS 500

static int wait_for_auto_ip(struct st87_modem *modem, int timeout_ms)
{
	long long deadline = st87_now_ms() + timeout_ms;
	struct st87_ipcfg ipcfg;
	while (st87_ms_until(deadline) > 0) {
		int step = st87_ms_until(deadline) < AUTO_IP_POLL_MS ? st87_ms_until(deadline)
								     : AUTO_IP_POLL_MS;
		int err = st87_modem_poll(modem, step);
		if (err < 0)
			return err;
		if (st87_ipcfg_read(modem, &ipcfg) == 0 && ipcfg.status == 1)
			return 0;
	}
	return st87_fail(-ENETDOWN, "the modem's IP link did not come up within %d ms", timeout_ms);
}

static int configure_ip_from_network(struct st87_modem *modem)
{
	char ipv4[ST87_ADDR_LEN], ipv6[ST87_ADDR_LEN];
	int err = st87_cgpaddr(modem, ipv4, ipv6);
	if (err)
		return st87_fail(-ENETDOWN, "the network gave the modem no address (AT+CGPADDR: %s)",
				 st87_last_error());
	if (ipv4[0])
		err = st87_ipcfg_set(modem, 0, ipv4, -1);
	else if (ipv6[0])
		err = st87_ipcfg_set(modem, 0, ipv6, 64);
	else
		return st87_fail(-ENETDOWN, "the network gave the modem no address");
	return err ? st87_fail(-ENETDOWN, "cannot bring the IP link up: %s", st87_last_error()) : 0;
}

/*
 * Auto-IP brings the link up by itself; the wait for it is bounded (shorter
 * when the link was up before and was lost), and then the host configures
 * the address the network gave.
 */
static int bring_link_up(struct st87_modem *modem, int link_timeout_ms)
{
	struct st87_ipcfg *ipcfg = &modem->link;
	int err = st87_ipcfg_read(modem, ipcfg);
	if (err == 0 && ipcfg->status == 1)
		return 0;
	if (err && err != -ENOENT)
		return err;
	struct st87_ipparams params;
	if (st87_ipparams_read(modem, &params) == 0 && params.auto_ip == 1) {
		int wait_ms = params.auto_ip_timeout > 0 ? params.auto_ip_timeout * 1000
							 : link_timeout_ms;
		if (modem->link_was_up && wait_ms > RELINK_AUTO_IP_WAIT_MS)
			wait_ms = RELINK_AUTO_IP_WAIT_MS;
		if (wait_ms > link_timeout_ms)
			wait_ms = link_timeout_ms;
		err = wait_for_auto_ip(modem, wait_ms);
		if (err != -ENETDOWN)
			return err ? err : st87_ipcfg_read(modem, ipcfg);
		st87_info("auto-IP did not bring the link up within %d ms: configuring it", wait_ms);
	}
	err = configure_ip_from_network(modem);
	return err ? err : st87_ipcfg_read(modem, ipcfg);
}

/*
 * Sockets the modem lists that no slot holds are orphans: we hold the
 * port's lock, so no one else can own them. A dead process leaves them,
 * and so does a link loss the modem kept its sockets through: every
 * later connect would get 2150 while they stand.
 */
int st87_modem_reclaim_sockets(struct st87_modem *modem)
{
	struct st87_socket_info sockets[ST87_MAX_SOCKETS];
	int count = st87_socket_list(modem, sockets, ST87_MAX_SOCKETS);
	int closed = 0;
	for (int i = 0; i < count && i < ST87_MAX_SOCKETS; i++) {
		if (sockets[i].cid != modem->cid || st87_socket_slot(modem, sockets[i].socket_id))
			continue;
		st87_info("closing modem socket %d, which the modem kept and nothing here holds",
			  sockets[i].socket_id);
		if (st87_socket_close(modem, sockets[i].socket_id) == 0)
			closed++;
	}
	modem->sockets_may_linger = false;
	return closed;
}

/* A restart (the start-up begins again) or silence: the reason is this command's, not a later
 * one's "stopped answering". Any other error leaves the start-up going. */
static bool start_cut_short(const struct st87_modem *modem, int err)
{
	return err == -ENETRESET || modem->unresponsive;
}

/*
 * The hold the modem sleeps after, from AT#SLEEPMODE? (once): a probe after a
 * shorter quiet than the real hold is wasted, and none after a longer one
 * loses the command (and, on one-step firmware, reads its data as AT text).
 */
static int ask_sleep_hold(struct st87_modem *modem)
{
	struct st87_sleepmode sleepmode;
	int err = st87_sleepmode_read(modem, &sleepmode);
	if (start_cut_short(modem, err))
		return err;
	modem->sleep_hold_to_ask = false;
	if (err == -ENOSYS)
		return 0; /* the note's firmware: the default hold stays */
	if (err) {
		st87_warn("AT#SLEEPMODE? failed (%s); the modem is taken to sleep after %d s",
			  st87_last_error(), modem->options.sleep_hold_ms / 1000);
		return 0;
	}
	if (!sleepmode.sleeps) {
		modem->options.sleep_hold_ms = -1;
		st87_info("the modem does not sleep (AT#SLEEPMODE?)");
	} else if (sleepmode.hold_s > 0) {
		modem->options.sleep_hold_ms = sleepmode.hold_s * 1000;
		st87_info("the modem sleeps %d s after the last command (AT#SLEEPMODE?)",
			  sleepmode.hold_s);
	}
	return 0;
}

/* Echo off, error codes on, the IP link up; -ENETRESET when the modem restarted meanwhile. */
static int start_sequence(struct st87_modem *modem, int link_timeout_ms, bool probe_first)
{
	int err = probe_first ? st87_modem_probe(modem) : 0;
	if (err)
		return err;
	err = st87_modem_restore_settings(modem);
	if (start_cut_short(modem, err))
		return err;
	if (modem->sleep_hold_to_ask) {
		err = ask_sleep_hold(modem);
		if (err)
			return err;
	}
	return bring_link_up(modem, link_timeout_ms);
}

int st87_modem_start(struct st87_modem *modem, int link_timeout_ms, bool reclaim)
{
	modem->starting = true;
	/* Just opened (and probed), the modem needs no second probe. */
	bool probe_first = !st87_modem_just_answered(modem);
	int err = start_sequence(modem, link_timeout_ms, probe_first);
	/* A modem that keeps restarting is not started by trying for ever. */
	for (int again = 1; err == -ENETRESET && again < START_TRIES; again++) {
		st87_info("the modem restarted during its start-up: starting it again");
		err = start_sequence(modem, link_timeout_ms, true);
	}
	if (!err && (reclaim || modem->sockets_may_linger))
		st87_modem_reclaim_sockets(modem);
	modem->starting = false;
	if (!err) {
		modem->needs_start = false;
		modem->link_was_up = true;
	}
	return err;
}
