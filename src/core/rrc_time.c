/*
 * How long the radio (RRC) was connected, from the modem's own +CSCON: URCs
 * once AT+CSCON=1 turned them on (docs/PROTOCOL.md §15): each URC is a
 * change of state, so the time is exact where a poll would only sample it.
 * A restart turns them off again (the firmware's default); the caller asks
 * again. Firmware that does not know AT+CSCON is asked once per session.
 */
#include <errno.h>
#include <stdio.h>

#include "fields.h"
#include "internal.h"
#include "modem_internal.h"

/* The time up to now added to the total, as if the state changed now. */
static void close_span(struct st87_modem *modem, long long now_ms)
{
	struct st87_rrc_time *rrc = &modem->rrc;
	if (rrc->known && rrc->connected)
		rrc->connected_ms += now_ms - rrc->since_ms;
	rrc->since_ms = now_ms;
}

void st87_rrc_note(struct st87_modem *modem, bool connected)
{
	close_span(modem, st87_now_ms());
	modem->rrc.known = true;
	modem->rrc.connected = connected;
}

void st87_rrc_restarted(struct st87_modem *modem)
{
	close_span(modem, st87_now_ms());
	modem->rrc.known = false;
	modem->rrc.urcs = false;
}

int st87_cscon_urcs_on(struct st87_modem *modem)
{
	if (modem->rrc.urcs)
		return 0;
	if (modem->rrc.refused)
		return st87_fail(-ENOSYS, "the firmware has no AT+CSCON=1");
	struct st87_at_command command = {.text = "AT+CSCON=1"};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_SHORT, &reply);
	if (err && st87_reply_unknown_command(err, &reply)) {
		modem->rrc.refused = true;
		return st87_fail(-ENOSYS, "the firmware has no AT+CSCON=1");
	}
	if (err)
		return err;
	/* The state now: later changes come as URCs. */
	struct st87_cscon now;
	modem->rrc.urcs = true;
	err = st87_cscon_read(modem, &now);
	if (!err)
		st87_rrc_note(modem, now.connected);
	return err;
}

bool st87_modem_rrc_connected_ms(const struct st87_modem *modem, long long *connected_ms)
{
	const struct st87_rrc_time *rrc = &modem->rrc;
	*connected_ms = rrc->connected_ms;
	if (rrc->known && rrc->connected)
		*connected_ms += st87_now_ms() - rrc->since_ms;
	return rrc->urcs;
}
