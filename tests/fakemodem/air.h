/* The air interface between the modem and the network (--network, --rtt,
 * --uplink-rate, --downlink-rate, --uplink-queue, --radio-idle-after,
 * --rrc-setup): a radio that is idle, setting up or connected, and one
 * FIFO of packets each way.
 *
 *   uplink:   send -> queue (bounded) -> on the air at the uplink rate
 *             -> RTT/2 -> the peer
 *   downlink: the peer -> RTT/2 -> on the air at the downlink rate
 *             -> the receive buffer (#IPRECV)
 *
 * An idle radio first takes the RRC setup; it goes idle once no data has
 * been on the air either way for --radio-idle-after. It starts idle. */
#ifndef FM_AIR_H
#define FM_AIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct modem;
struct msock;

enum radio_state {
	RADIO_IDLE,
	RADIO_SETUP, /* RRC setup until ready_at */
	RADIO_CONNECTED,
};

struct air_packet {
	int slot;
	uint32_t epoch;    /* the connection it belongs to (sockets.h) */
	bool peer_closed;  /* downlink: a TCP peer's close, no data */
	int64_t queued_to; /* uplink: in the queue until its last byte is on the air */
	int64_t due_at;    /* delivered then */
	size_t len;
	uint8_t *data;
	struct sockaddr_storage to; /* uplink UDP: the destination */
	socklen_t tolen;
};

struct air_fifo {
	struct air_packet *p;
	size_t head, count, cap;
	int64_t free_at; /* the last packet's last byte is on the air then */
};

struct air_stats {
	uint64_t uplink_queued;   /* bytes the host sent into the uplink queue */
	uint64_t uplink_sent;     /* bytes that reached a peer */
	uint64_t downlink_queued; /* bytes the peers sent towards the modem */
	uint64_t downlink_sent;   /* bytes that reached a receive buffer */
	uint64_t sends_held;      /* sends answered only once the queue had room */
	uint64_t rrc_setups;
	uint64_t late_answers;       /* --late-answers */
	uint64_t radio_connected_ms; /* filled in when written */
};

struct air {
	enum radio_state radio;
	int64_t ready_at;        /* RADIO_SETUP: connected then */
	int64_t busy_until;      /* the last data on the air, either way */
	int64_t connected_since; /* RADIO_CONNECTED */
	int64_t connected_us;    /* finished connected periods */
	struct air_fifo up, down;
};

/* True when the network is modelled at all: else the sockets talk
 * straight to the peers, as always. */
bool air_active(const struct modem *m);
void air_init(struct modem *m);
void air_free(struct modem *m);
/* A send accepted: its bytes join the uplink queue. Returns when its final
 * result may go: now, or when the bytes ahead leave room for it. */
int64_t air_uplink(struct modem *m, const struct msock *s, const void *data, size_t len,
		   const struct sockaddr_storage *to, socklen_t tolen);
/* Bytes for this socket's peer not delivered yet. */
bool air_holds_uplink(const struct modem *m, int slot);
/* A round trip starting now (a TCP connect): when it is done. */
int64_t air_round_trip(struct modem *m);
/* An exchange that takes `us` once the radio is up (AT#DNS): when done. */
int64_t air_exchange(struct modem *m, int64_t us);
/* The socket table's divert callback (ctx: the modem). */
void air_downlink(void *ctx, int sid, const uint8_t *data, size_t n);
/* --late-answers: how much later this final result comes (0 mostly). */
int64_t air_late_answer_us(struct modem *m);
void air_tick(struct modem *m, int64_t now);
int64_t air_wake_at(const struct modem *m);
uint64_t air_connected_ms(const struct modem *m, int64_t now);
/* The RRC state at now (AT+CSCON?): connected, or idle (also without an air model). */
bool air_radio_connected(struct modem *m, int64_t now);

#endif
