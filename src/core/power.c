/*
 * AT#SLEEPMODE?: the sleep setting of the maker's firmware (docs/PROTOCOL.md
 * §11). The note's firmware does not know the command.
 */
#include <errno.h>

#include "fields.h"
#include "internal.h"
#include "modem_internal.h"

int st87_sleepmode_read(struct st87_modem *modem, struct st87_sleepmode *out)
{
	struct st87_at_command command = {.text = "AT#SLEEPMODE?", .info_prefix = "#SLEEPMODE:"};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_SHORT, &reply);
	if (st87_reply_unknown_command(err, &reply))
		return st87_fail(-ENOSYS, "the firmware has no AT#SLEEPMODE");
	if (err)
		return err;
	struct st87_fields fields;
	int mode;
	if (reply.n_lines < 1 || st87_fields_split(reply.lines[0], true, &fields) < 1 ||
	    st87_fields_int(&fields, 0, &mode))
		return st87_fail(-EPROTO, "malformed AT#SLEEPMODE? answer");
	/* Modes other than 0 and 1 are the firmware's own kinds of sleep (deeper ones): sleep all the same. */
	out->sleeps = mode != 0;
	if (fields.count < 2 || st87_fields_int(&fields, 1, &out->hold_s))
		out->hold_s = -1;
	return 0;
}
