#include "linereader.h"

#include <string.h>

void lr_reset(struct linereader *lr)
{
	lr->state = LR_LINE;
	lr->len = 0;
	lr->payload_want = 0;
	lr->payload_len = 0;
}

void lr_expect_payload(struct linereader *lr, size_t n)
{
	lr->payload_want = n;
	lr->payload_len = 0;
}

/* State after the CR (and its optional LF) of a line. */
static enum lr_state state_after_line(const struct linereader *lr)
{
	return lr->payload_want ? LR_PAYLOAD : LR_LINE;
}

size_t lr_feed(struct linereader *lr, const uint8_t *p, size_t n, enum lr_event *ev)
{
	size_t i = 0;

	*ev = LR_EV_NONE;
	while (i < n) {
		uint8_t c = p[i];

		switch (lr->state) {
		case LR_AFTER_CR:
			/* Quirk: hosts end lines with CR or CR LF. The LF may come
			 * in a later read, so this is a state, not a look-ahead.
			 * Before a binary send's data the note writes CR LF: one
			 * LF is skipped there, a missing one is tolerated; with
			 * cr_only (the maker's firmware) the data starts right
			 * after the CR, whatever its first byte. */
			lr->state = state_after_line(lr);
			lr->len = 0; /* the line handed out is done with */
			if (c == '\n' && !(lr->cr_only && lr->state == LR_PAYLOAD))
				i++;
			break;
		case LR_PAYLOAD: {
			size_t take = lr->payload_want - lr->payload_len;

			if (take > n - i)
				take = n - i;
			memcpy(lr->payload + lr->payload_len, p + i, take);
			lr->payload_len += take;
			i += take;
			if (lr->payload_len == lr->payload_want) {
				lr->payload_want = 0;
				lr->state = LR_LINE;
				*ev = LR_EV_PAYLOAD;
				return i;
			}
			break;
		}
		case LR_OVERLONG:
			i++;
			if (c == '\r') {
				lr->len = 0;
				lr->state = LR_AFTER_CR;
				*ev = LR_EV_OVERLONG;
				return i;
			}
			break;
		case LR_LINE:
			i++;
			if (c == '\r') {
				lr->line[lr->len] = '\0';
				lr->state = LR_AFTER_CR;
				*ev = LR_EV_LINE;
				return i;
			}
			/* Quirk: a stray LF between lines (LF-terminated hosts, or
			 * LF CR) is ignored rather than made part of a command. */
			if (c == '\n' && lr->len == 0)
				break;
			if (lr->len == LR_MAX_LINE) {
				lr->state = LR_OVERLONG;
				break;
			}
			lr->line[lr->len++] = c;
			break;
		}
	}
	return i;
}
