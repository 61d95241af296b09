/*
 * The modem's own +CSCON: URCs turned on (AT+CSCON=1, docs/PROTOCOL.md §15),
 * so that rrc_span.c learns how long the radio (RRC) was connected: each URC
 * is a change of state, so the time is exact where a poll would only sample
 * it. A restart turns them off again (the firmware's default); the caller
 * asks again. Firmware that does not know AT+CSCON is asked once per session.
 */
#include <errno.h>
#include <stdio.h>

#include "fields.h"
#include "internal.h"
#include "modem_internal.h"

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
