/*
 * The radio's connected time kept as spans between +CSCON changes
 * (rrc_time.c turns the URCs on): the session notes each change and each
 * restart here, below the commands, so it never calls up to them.
 */
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

bool st87_modem_rrc_connected_ms(const struct st87_modem *modem, long long *connected_ms)
{
	const struct st87_rrc_time *rrc = &modem->rrc;
	*connected_ms = rrc->connected_ms;
	if (rrc->known && rrc->connected)
		*connected_ms += st87_now_ms() - rrc->since_ms;
	return rrc->urcs;
}
