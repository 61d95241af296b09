#include "air.h"

#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "modem.h"
#include "timeutil.h"

static const struct air_figures *figures(const struct modem *m)
{
	return &m->opt->air;
}

bool air_active(const struct modem *m)
{
	return figures(m)->air;
}

void air_init(struct modem *m)
{
	memset(&m->air, 0, sizeof(m->air));
	m->air.radio = RADIO_IDLE;
	if (air_active(m))
		m->socks.divert = air_downlink;
}

static void fifo_clear(struct air_fifo *f)
{
	for (size_t i = 0; i < f->count; i++)
		free(f->p[f->head + i].data);
	free(f->p);
	memset(f, 0, sizeof(*f));
}

void air_free(struct modem *m)
{
	fifo_clear(&m->air.up);
	fifo_clear(&m->air.down);
}

static struct air_packet *fifo_push(struct air_fifo *f)
{
	struct air_packet *p;

	if (f->head + f->count == f->cap) {
		/* Slide down first; grow only when the array is full. */
		if (f->head) {
			memmove(f->p, f->p + f->head, f->count * sizeof(*f->p));
			f->head = 0;
		}
		if (f->count == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 16;
			f->p = fm_realloc(f->p, f->cap * sizeof(*f->p));
		}
	}
	p = &f->p[f->head + f->count++];
	memset(p, 0, sizeof(*p));
	return p;
}

static struct air_packet *fifo_front(struct air_fifo *f)
{
	return f->count ? &f->p[f->head] : NULL;
}

static void fifo_pop(struct air_fifo *f)
{
	free(f->p[f->head].data);
	f->head++;
	f->count--;
	if (!f->count)
		f->head = 0;
}

static int64_t air_time_us(size_t bytes, double rate)
{
	return rate > 0 ? (int64_t)((double)bytes * 1e6 / rate + 0.5) : 0;
}

/* --cscon-urcs, or the host asked for them (AT+CSCON=1). */
static bool cscon_urcs(const struct modem *m)
{
	return figures(m)->cscon_urcs || m->radio.cscon_n == 1;
}

static void radio_connected(struct modem *m, int64_t at)
{
	m->air.radio = RADIO_CONNECTED;
	m->air.connected_since = at;
	trace_note(m->trace, '<', "radio connected");
	if (cscon_urcs(m))
		emit_urc(m, "+CSCON: 1");
}

static int64_t idle_at(const struct modem *m)
{
	const struct air *a = &m->air;
	int64_t last = a->busy_until > a->connected_since ? a->busy_until : a->connected_since;

	if (a->radio != RADIO_CONNECTED || !figures(m)->radio_idle_after_us)
		return FM_NEVER;
	return last + figures(m)->radio_idle_after_us;
}

/* The radio's state at now: the setup over, or idle after the quiet time. */
static void radio_update(struct modem *m, int64_t now)
{
	struct air *a = &m->air;

	if (a->radio == RADIO_SETUP && now >= a->ready_at)
		radio_connected(m, a->ready_at);
	if (a->radio == RADIO_CONNECTED && now >= idle_at(m)) {
		a->connected_us += idle_at(m) - a->connected_since;
		a->radio = RADIO_IDLE;
		trace_note(m->trace, '<', "radio idle");
		if (cscon_urcs(m))
			emit_urc(m, "+CSCON: 0");
	}
}

/* When the radio can carry data that wants to go now: at once, or after
 * the RRC setup (started here when the radio is idle). */
static int64_t radio_ready(struct modem *m, int64_t now)
{
	struct air *a = &m->air;

	radio_update(m, now);
	if (a->radio == RADIO_IDLE) {
		a->radio = RADIO_SETUP;
		a->ready_at = now + figures(m)->rrc_setup_us;
		m->stats.air.rrc_setups++;
		trace_note(m->trace, '<', "RRC setup");
		radio_update(m, now);
	}
	return a->radio == RADIO_SETUP ? a->ready_at : now;
}

static void keep_busy(struct modem *m, int64_t until)
{
	if (until > m->air.busy_until)
		m->air.busy_until = until;
}

/* Puts n bytes on the air in f's turn, no earlier than `from`. Returns when
 * their last byte is on the air. */
static int64_t transmit(struct modem *m, struct air_fifo *f, int64_t from, size_t n, double rate)
{
	int64_t start = from > f->free_at ? from : f->free_at;

	f->free_at = start + air_time_us(n, rate);
	keep_busy(m, f->free_at);
	return f->free_at;
}

int64_t air_uplink(struct modem *m, const struct msock *s, const void *data, size_t len,
		   const struct sockaddr_storage *to, socklen_t tolen)
{
	const struct air_figures *fig = figures(m);
	struct air_fifo *up = &m->air.up;
	int64_t now = now_us(), fits_at = now;
	size_t ahead = 0;
	struct air_packet *p;

	/* The bytes still in the queue before this send. */
	for (size_t i = 0; i < up->count; i++)
		if (up->p[up->head + i].queued_to > now)
			ahead += up->p[up->head + i].len;
	/* A real modem's UART buffer holds the send until it fits; the bytes
	 * go on the air in their turn either way, so they are queued now and
	 * only the answer waits. A send larger than the queue fits an empty one. */
	for (size_t i = 0; i < up->count && ahead && ahead + len > (size_t)fig->uplink_queue; i++) {
		const struct air_packet *q = &up->p[up->head + i];

		if (q->queued_to <= now)
			continue;
		ahead -= q->len;
		fits_at = q->queued_to;
	}
	if (fits_at > now)
		m->stats.air.sends_held++;
	p = fifo_push(up);
	p->slot = (int)(s - m->socks.s);
	p->epoch = s->epoch;
	p->len = len;
	p->data = fm_realloc(NULL, len);
	memcpy(p->data, data, len);
	if (to) {
		p->to = *to;
		p->tolen = tolen;
	}
	p->queued_to = transmit(m, up, radio_ready(m, now), len, fig->uplink_rate);
	p->due_at = p->queued_to + fig->rtt_us / 2;
	m->stats.air.uplink_queued += len;
	return fits_at;
}

bool air_holds_uplink(const struct modem *m, int slot)
{
	const struct air_fifo *up = &m->air.up;

	for (size_t i = 0; i < up->count; i++) {
		const struct air_packet *p = &up->p[up->head + i];

		if (p->slot == slot && p->epoch == m->socks.s[slot].epoch)
			return true;
	}
	return false;
}

int64_t air_exchange(struct modem *m, int64_t us)
{
	int64_t done = radio_ready(m, now_us()) + us;

	keep_busy(m, done);
	return done;
}

int64_t air_round_trip(struct modem *m)
{
	return air_exchange(m, figures(m)->rtt_us);
}

void air_downlink(void *ctx, int sid, const uint8_t *data, size_t n)
{
	struct modem *m = ctx;
	const struct air_figures *fig = figures(m);
	int64_t now = now_us();
	int64_t ready = radio_ready(m, now), reached = now + fig->rtt_us / 2;
	struct air_packet *p = fifo_push(&m->air.down);

	/* The network pages the modem as the data leaves the peer; the data
	 * crosses the network meanwhile. */
	p->slot = sid;
	p->epoch = m->socks.s[sid].epoch;
	p->peer_closed = n == 0;
	p->len = n;
	if (n) {
		p->data = fm_realloc(NULL, n);
		memcpy(p->data, data, n);
	}
	p->due_at = transmit(m, &m->air.down, ready > reached ? ready : reached, n, fig->downlink_rate);
	m->stats.air.downlink_queued += n;
}

/* The socket the packet was for, if that connection still exists. */
static struct msock *packet_socket(struct modem *m, const struct air_packet *p)
{
	struct msock *s = socktab_get(&m->socks, p->slot);

	return s && s->epoch == p->epoch ? s : NULL;
}

static void deliver_uplink(struct modem *m, const struct air_packet *p)
{
	struct msock *s = packet_socket(m, p);

	if (!s || s->fd < 0)
		return; /* closed meanwhile: the bytes are lost with it */
	/* The modem answered long ago: a failure now is the socket's (TCP:
	 * broken, as when the host socket fails at once). */
	sock_send(s, p->data, p->len, p->tolen ? &p->to : NULL, p->tolen);
	m->stats.air.uplink_sent += p->len;
}

static void deliver_downlink(struct modem *m, const struct air_packet *p)
{
	if (!packet_socket(m, p))
		return;
	if (p->peer_closed) {
		sock_air_peer_closed(&m->socks, p->slot);
		return;
	}
	sock_air_arrive(&m->socks, p->slot, p->data, p->len);
	m->stats.air.downlink_sent += p->len;
}

void air_tick(struct modem *m, int64_t now)
{
	struct air_packet *p;

	if (!air_active(m))
		return;
	radio_update(m, now);
	while ((p = fifo_front(&m->air.up)) && p->due_at <= now) {
		deliver_uplink(m, p);
		fifo_pop(&m->air.up);
	}
	while ((p = fifo_front(&m->air.down)) && p->due_at <= now) {
		deliver_downlink(m, p);
		fifo_pop(&m->air.down);
	}
}

int64_t air_wake_at(const struct modem *m)
{
	const struct air *a = &m->air;
	int64_t wake = idle_at(m);

	if (a->radio == RADIO_SETUP)
		deadline_min(&wake, a->ready_at);
	if (a->up.count)
		deadline_min(&wake, a->up.p[a->up.head].due_at);
	if (a->down.count)
		deadline_min(&wake, a->down.p[a->down.head].due_at);
	return wake;
}

uint64_t air_connected_ms(const struct modem *m, int64_t now)
{
	const struct air *a = &m->air;
	int64_t us = a->connected_us;

	if (a->radio == RADIO_CONNECTED && now > a->connected_since)
		us += now - a->connected_since;
	return (uint64_t)(us / 1000);
}

int64_t air_late_answer_us(struct modem *m)
{
	const struct air_figures *fig = figures(m);

	if (!fig->late_percent || rng_next(&m->late_rng) % 100 >= (uint32_t)fig->late_percent)
		return 0;
	m->stats.air.late_answers++;
	trace_note(m->trace, '<', "late answer");
	return fig->late_by_us;
}

bool air_radio_connected(struct modem *m, int64_t now)
{
	if (!air_active(m))
		return false;
	radio_update(m, now);
	return m->air.radio == RADIO_CONNECTED;
}
