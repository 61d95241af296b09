#include "radio_lines.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum value_kind { INT_VALUE, LONG_VALUE, BOOL_VALUE, DOUBLE_VALUE, TEXT_VALUE };

struct field {
	const char *key;
	enum value_kind kind;
	size_t offset;
	size_t size; /* TEXT_VALUE: the array's */
};

#define FIELD(key, kind, member)                                 \
	{                                                        \
		key, kind, offsetof(struct st87_radio, member),  \
			sizeof(((struct st87_radio *)0)->member) \
	}

/* Every value of struct st87_radio but err[] and why[], which go by query name. */
static const struct field fields[] = {
	FIELD("imei", TEXT_VALUE, imei),
	FIELD("revision", TEXT_VALUE, revision),
	FIELD("cesq.rsrq", INT_VALUE, cesq.rsrq),
	FIELD("cesq.rsrp", INT_VALUE, cesq.rsrp),
	FIELD("cesq.rsrq_known", BOOL_VALUE, cesq.rsrq_known),
	FIELD("cesq.rsrp_known", BOOL_VALUE, cesq.rsrp_known),
	FIELD("cesq.rsrq_db", DOUBLE_VALUE, cesq.rsrq_db),
	FIELD("cesq.rsrp_dbm", INT_VALUE, cesq.rsrp_dbm),
	FIELD("csq.rssi", INT_VALUE, csq.rssi),
	FIELD("csq.ber", INT_VALUE, csq.ber),
	FIELD("csq.rssi_known", BOOL_VALUE, csq.rssi_known),
	FIELD("csq.rssi_dbm", INT_VALUE, csq.rssi_dbm),
	FIELD("cereg.n", INT_VALUE, cereg.n),
	FIELD("cereg.stat", INT_VALUE, cereg.stat),
	FIELD("cereg.tac", TEXT_VALUE, cereg.tac),
	FIELD("cereg.ci", TEXT_VALUE, cereg.ci),
	FIELD("cereg.act", INT_VALUE, cereg.act),
	FIELD("cereg.active_time", TEXT_VALUE, cereg.active_time),
	FIELD("cereg.periodic_tau", TEXT_VALUE, cereg.periodic_tau),
	FIELD("cereg.active_time_s", LONG_VALUE, cereg.active_time_s),
	FIELD("cereg.periodic_tau_s", LONG_VALUE, cereg.periodic_tau_s),
	FIELD("cscon.n", INT_VALUE, cscon.n),
	FIELD("cscon.connected", BOOL_VALUE, cscon.connected),
	FIELD("cscon.state", INT_VALUE, cscon.state),
	FIELD("cpsms.mode", INT_VALUE, cpsms.mode),
	FIELD("cpsms.periodic_tau", TEXT_VALUE, cpsms.periodic_tau),
	FIELD("cpsms.active_time", TEXT_VALUE, cpsms.active_time),
	FIELD("cpsms.periodic_tau_s", LONG_VALUE, cpsms.periodic_tau_s),
	FIELD("cpsms.active_time_s", LONG_VALUE, cpsms.active_time_s),
	FIELD("cedrxs.requested", BOOL_VALUE, cedrxs.requested),
	FIELD("cedrxs.act_type", INT_VALUE, cedrxs.act_type),
	FIELD("cedrxs.value", TEXT_VALUE, cedrxs.value),
};

#define FIELD_COUNT (sizeof(fields) / sizeof(fields[0]))

/* The query names of the err. and why. keys, in enum st87_radio_query's order. */
static const char *const query_keys[ST87_RADIO_QUERIES] = {
	"cgsn", "cgmr", "cesq", "csq", "cereg", "cscon", "cpsms", "cedrxs",
};

/* Room for the longest value (a revision, a query's error), and a line: a key (under 32), '=' and a value. */
#define VALUE_SIZE (ST87_REVISION_LEN > ST87_RADIO_WHY_LEN ? ST87_REVISION_LEN : ST87_RADIO_WHY_LEN)
#define KEY_SIZE 32
#define LINE_SIZE (KEY_SIZE + 1 + VALUE_SIZE)

static void format_value(const struct field *field, const void *at, char *out, size_t size)
{
	switch (field->kind) {
	case INT_VALUE:
		snprintf(out, size, "%d", *(const int *)at);
		break;
	case LONG_VALUE:
		snprintf(out, size, "%ld", *(const long *)at);
		break;
	case BOOL_VALUE:
		snprintf(out, size, "%d", *(const bool *)at ? 1 : 0);
		break;
	case DOUBLE_VALUE:
		snprintf(out, size, "%.1f", *(const double *)at);
		break;
	case TEXT_VALUE:
		/* One line each: a line break in the text would start another. */
		snprintf(out, size, "%s", (const char *)at);
		for (char *p = out; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		break;
	}
}

void st87d_radio_lines(const struct st87_radio *radio, void (*emit)(void *user, const char *line),
		       void *user)
{
	char line[LINE_SIZE], value[VALUE_SIZE];
	for (int query = 0; query < ST87_RADIO_QUERIES; query++) {
		snprintf(line, sizeof(line), "err.%s=%d", query_keys[query], radio->err[query]);
		emit(user, line);
		if (!radio->why[query][0])
			continue;
		const struct field why = {"", TEXT_VALUE, 0, ST87_RADIO_WHY_LEN};
		format_value(&why, radio->why[query], value, sizeof(value));
		snprintf(line, sizeof(line), "why.%.8s=%s", query_keys[query], value);
		emit(user, line);
	}
	for (size_t i = 0; i < FIELD_COUNT; i++) {
		format_value(&fields[i], (const char *)radio + fields[i].offset, value, sizeof(value));
		snprintf(line, sizeof(line), "%.31s=%s", fields[i].key, value);
		emit(user, line);
	}
}

void st87d_radio_unread(struct st87_radio *radio)
{
	memset(radio, 0, sizeof(*radio));
	for (int query = 0; query < ST87_RADIO_QUERIES; query++)
		radio->err[query] = -ENOSYS;
}

static bool parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (errno || end == text || *end || value < min || value > max)
		return false;
	*out = value;
	return true;
}

static bool take_value(const struct field *field, const char *text, void *at)
{
	long number;
	char *end;
	switch (field->kind) {
	case INT_VALUE:
		if (!parse_long(text, INT_MIN, INT_MAX, &number))
			return false;
		*(int *)at = (int)number;
		return true;
	case LONG_VALUE:
		return parse_long(text, LONG_MIN, LONG_MAX, (long *)at);
	case BOOL_VALUE:
		if (!parse_long(text, 0, 1, &number))
			return false;
		*(bool *)at = number == 1;
		return true;
	case DOUBLE_VALUE: {
		errno = 0;
		double value = strtod(text, &end);
		if (errno || end == text || *end)
			return false;
		*(double *)at = value;
		return true;
	}
	case TEXT_VALUE:
		if (strlen(text) >= field->size)
			return false;
		memcpy(at, text, strlen(text) + 1);
		return true;
	}
	return false;
}

/* err.<query> and why.<query>: the query's index, or -1. */
static int query_of(const char *key, const char *prefix)
{
	size_t len = strlen(prefix);
	if (strncmp(key, prefix, len) != 0)
		return -1;
	for (int query = 0; query < ST87_RADIO_QUERIES; query++)
		if (strcmp(key + len, query_keys[query]) == 0)
			return query;
	return -1;
}

bool st87d_radio_take_line(const char *line, struct st87_radio *radio)
{
	const char *equals = strchr(line, '=');
	if (!equals || (size_t)(equals - line) >= KEY_SIZE)
		return false;
	char key[KEY_SIZE];
	memcpy(key, line, (size_t)(equals - line));
	key[equals - line] = '\0';
	const char *text = equals + 1;
	int query = query_of(key, "err.");
	if (query >= 0) {
		const struct field err = {"", INT_VALUE, 0, sizeof(int)};
		return take_value(&err, text, &radio->err[query]);
	}
	query = query_of(key, "why.");
	if (query >= 0) {
		const struct field why = {"", TEXT_VALUE, 0, ST87_RADIO_WHY_LEN};
		return take_value(&why, text, radio->why[query]);
	}
	for (size_t i = 0; i < FIELD_COUNT; i++)
		if (strcmp(key, fields[i].key) == 0)
			return take_value(&fields[i], text, (char *)radio + fields[i].offset);
	return false;
}
