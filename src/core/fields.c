#include "fields.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void trim(char *text)
{
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == ' ')
		text[--len] = '\0';
	size_t start = 0;
	while (text[start] == ' ')
		start++;
	if (len - start >= 2 && text[start] == '"' && text[len - 1] == '"') {
		text[len - 1] = '\0';
		start++;
	}
	memmove(text, text + start, strlen(text + start) + 1);
}

int st87_fields_split(const char *line, bool after_colon, struct st87_fields *fields)
{
	fields->count = 0;
	const char *p = line;
	if (after_colon) {
		const char *colon = strchr(line, ':');
		p = colon ? colon + 1 : line;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (fields->count >= ST87_FIELD_MAX || len >= ST87_FIELD_LEN)
			return -EPROTO;
		char *value = fields->value[fields->count++];
		memcpy(value, p, len);
		value[len] = '\0';
		trim(value);
		if (!comma)
			return (int)fields->count;
		p = comma + 1;
	}
}

int st87_fields_int(const struct st87_fields *fields, size_t index, int *value)
{
	if (index >= fields->count || !fields->value[index][0])
		return -EPROTO;
	char *end;
	errno = 0;
	long parsed = strtol(fields->value[index], &end, 10);
	if (*end || errno || parsed < INT_MIN || parsed > INT_MAX)
		return -EPROTO;
	*value = (int)parsed;
	return 0;
}
