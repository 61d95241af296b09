/*
 * st87d's answer to ST87D_RADIO: a struct st87_radio (include/st87/st87.h;
 * only its layout is used here, no libst87 call) as "key=value" lines, one
 * ST87D_TEXT reply each, so st87ctl prints what st87d read with the same code
 * as what it read itself. Keys a reader does not know are skipped.
 */
#ifndef ST87_WIRE_RADIO_LINES_H
#define ST87_WIRE_RADIO_LINES_H

#include <stdbool.h>

#include "st87/st87.h"

/* Hands @emit each line of @radio ("cesq.rsrp=46"), in a fixed order. */
void st87d_radio_lines(const struct st87_radio *radio, void (*emit)(void *user, const char *line),
		       void *user);

/* A struct st87_radio with nothing read: every query -ENOSYS, the answer of a firmware that knows none. */
void st87d_radio_unread(struct st87_radio *radio);

/* Takes one "key=value" line into @radio: false when the key is unknown or the value does not fit. */
bool st87d_radio_take_line(const char *line, struct st87_radio *radio);

#endif
