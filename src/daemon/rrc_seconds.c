#include "rrc_seconds.h"

static struct {
	bool from_urcs;
	long long urc_seen_ms; /* the session's count at the last reading, while from_urcs */
	bool connected;        /* polled: at the last reading, taken to hold until the next */
	long long since_ms;
	long long connected_ms; /* every span before since_ms, both sources */
} rrc;

/* The polled span since the last reading, added as it ends. */
static void close_polled_span(long long now_ms)
{
	if (!rrc.from_urcs && rrc.connected)
		rrc.connected_ms += now_ms - rrc.since_ms;
	rrc.since_ms = now_ms;
}

void rrc_seconds_note(const struct rrc_reading *reading, long long now_ms)
{
	close_polled_span(now_ms);
	if (reading->from_urcs) {
		/* A count lower than the last is a new session (the port opened again): all of it is new. */
		if (rrc.from_urcs)
			rrc.connected_ms += reading->urc_connected_ms >= rrc.urc_seen_ms
				? reading->urc_connected_ms - rrc.urc_seen_ms
				: reading->urc_connected_ms;
		rrc.urc_seen_ms = reading->urc_connected_ms;
		rrc.from_urcs = true;
		rrc.connected = false;
		return;
	}
	/* URCs off again (a restart, until asked again): polled from here. */
	rrc.from_urcs = false;
	rrc.connected = reading->read && reading->connected;
}

double rrc_seconds_total(long long now_ms, bool *from_urcs)
{
	*from_urcs = rrc.from_urcs;
	long long total = rrc.connected_ms;
	if (!rrc.from_urcs && rrc.connected)
		total += now_ms - rrc.since_ms;
	return total / 1000.0;
}
