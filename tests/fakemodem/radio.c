/* The radio switches: signal levels in the units a user thinks in (dBm,
 * dB), kept as the indices 27.007 answers with. */
#include "radio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 27.007 values for "not known or not detectable". */
#define CESQ_UNKNOWN 255
#define CSQ_UNKNOWN 99

void radio_defaults(struct radio_switches *r)
{
	/* A fair NB-IoT signal: -95 dBm RSRP, -10.5 dB RSRQ, -73 dBm RSSI. */
	r->rsrp = 46;
	r->rsrq = 19;
	r->rssi = 20;
	r->unknown = 0;
}

/* How a level in dB or dBm maps to a 27.007 index: from min to max (in
 * half dB) in steps of step, index_at_min first. */
struct level_scale {
	int unknown; /* the index of "not known" */
	long min_halves, max_halves, step_halves;
	int index_at_min;
};

/* RSRP index n: n - 141 <= RSRP < n - 140 dBm (1..97). */
static const struct level_scale rsrp_scale = {CESQ_UNKNOWN, -280, -88, 2, 1};
/* RSRQ index n: (n - 40) / 2 <= RSRQ < (n - 39) / 2 dB (1..34). */
static const struct level_scale rsrq_scale = {CESQ_UNKNOWN, -39, -6, 1, 1};
/* RSSI index n: -113 + 2n dBm (0..31). */
static const struct level_scale rssi_scale = {CSQ_UNKNOWN, -226, -102, 4, 0};

static bool parse_level(const char *text, const struct level_scale *scale, int *index)
{
	char *end;
	double v;
	long halves;

	if (!strcmp(text, "unknown")) {
		*index = scale->unknown;
		return true;
	}
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || v < -1000 || v > 1000)
		return false;
	halves = (long)(v * 2);
	if ((double)halves != v * 2 || halves < scale->min_halves || halves > scale->max_halves ||
	    (halves - scale->min_halves) % scale->step_halves)
		return false;
	*index = scale->index_at_min + (int)((halves - scale->min_halves) / scale->step_halves);
	return true;
}

bool radio_parse_rsrp(const char *text, int *index)
{
	return parse_level(text, &rsrp_scale, index);
}

bool radio_parse_rsrq(const char *text, int *index)
{
	return parse_level(text, &rsrq_scale, index);
}

bool radio_parse_rssi(const char *text, int *index)
{
	return parse_level(text, &rssi_scale, index);
}

static const struct {
	const char *name;
	unsigned bits;
} command_names[] = {
	{"cesq", RADIO_CESQ},   {"csq", RADIO_CSQ},       {"cereg", RADIO_CEREG},
	{"cscon", RADIO_CSCON}, {"cgsn", RADIO_CGSN},     {"cgmr", RADIO_CGMR},
	{"cpsms", RADIO_CPSMS}, {"cedrxs", RADIO_CEDRXS}, {"all", 0xff},
};

bool radio_parse_unknown(const char *text, unsigned *bits)
{
	const char *p = text;

	for (;;) {
		size_t len = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < sizeof(command_names) / sizeof(command_names[0]); i++) {
			if (strlen(command_names[i].name) == len &&
			    !strncmp(command_names[i].name, p, len)) {
				*bits |= command_names[i].bits;
				found = true;
			}
		}
		if (!found)
			return false;
		if (!p[len])
			return true;
		p += len + 1;
	}
}
