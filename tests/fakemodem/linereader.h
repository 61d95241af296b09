/* Splits the bytes from the host into command lines and binary payloads.
 *
 * An explicit state machine, fed any number of bytes at a time (the host may
 * write one byte per syscall or many lines at once). */
#ifndef FM_LINEREADER_H
#define FM_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest command line; longer ones are discarded and answered ERROR. */
#define LR_MAX_LINE 4096
/* Largest binary payload: AT#IPSENDTCP/UDP <len> is 1..--max-send, which
 * is at most 1600 (the largest IP frame real firmware is said to take). */
#define LR_MAX_PAYLOAD 1600

enum lr_state {
	LR_LINE,     /* collecting a command line up to CR */
	LR_AFTER_CR, /* just saw CR: one LF here belongs to it */
	LR_OVERLONG, /* line too long: dropping bytes up to CR */
	LR_PAYLOAD,  /* collecting the raw bytes of a binary send */
};

enum lr_event {
	LR_EV_NONE,     /* need more bytes */
	LR_EV_LINE,     /* line[0..len) holds a command line (without CR) */
	LR_EV_OVERLONG, /* a line longer than LR_MAX_LINE was dropped */
	LR_EV_PAYLOAD,  /* payload[0..payload_len) is complete */
};

struct linereader {
	enum lr_state state;
	size_t payload_want; /* set by lr_expect_payload(), used after CR LF */
	bool cr_only;        /* --cr-only: the payload starts right after the CR, an LF too */
	size_t len;
	size_t payload_len;
	uint8_t line[LR_MAX_LINE + 1];
	uint8_t payload[LR_MAX_PAYLOAD];
};

void lr_reset(struct linereader *lr);
/* Consumes bytes from p until one event happens or the input runs out.
 * Returns the number of bytes consumed; *ev says what happened. The line or
 * payload stays valid until the next call. */
size_t lr_feed(struct linereader *lr, const uint8_t *p, size_t n, enum lr_event *ev);
/* After an LR_EV_LINE: the next n bytes after the line's CR (LF) are a raw
 * payload, not commands. n is 1..LR_MAX_PAYLOAD. */
void lr_expect_payload(struct linereader *lr, size_t n);

#endif
