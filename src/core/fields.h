/* Splitting an information line into its comma-separated parameters. */
#ifndef ST87_CORE_FIELDS_H
#define ST87_CORE_FIELDS_H
#include <stdbool.h>
#include <stddef.h>

#define ST87_FIELD_MAX 16
#define ST87_FIELD_LEN 64

struct st87_fields {
	size_t count;
	char value[ST87_FIELD_MAX][ST87_FIELD_LEN];
};

/*
 * Splits what follows the first ':' of @p line (the whole line when it has
 * none) at commas, trimming spaces and one pair of double quotes.
 * Returns the number of fields, or -EPROTO when a field is too long or there
 * are more than ST87_FIELD_MAX.
 */
int st87_fields_split(const char *line, bool after_colon, struct st87_fields *fields);

/* Field @p index as an int: 0, or -EPROTO when missing or not a number. */
int st87_fields_int(const struct st87_fields *fields, size_t index, int *value);

#endif
