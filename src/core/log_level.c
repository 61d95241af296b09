/*
 * The log level names: one parser for ST87_LOG, st87run --log and st87ctl
 * --log. libc only, like baud.c, so the shim's parsers link it without the
 * rest of libst87.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "st87/st87.h"

/* Indexed by enum st87_log_level. */
static const char *const level_names[] = {"none", "error", "warn", "info", "debug"};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A whole number 0..ST87_LOG_DEBUG written in the @len bytes at @text ("04" too). */
static bool parse_level_number(const char *text, size_t len, int *number)
{
	int value = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (text[i] - '0');
		if (value > ST87_LOG_DEBUG)
			return false;
	}
	*number = value;
	return true;
}

int st87_log_parse_level(const char *text, enum st87_log_level *level)
{
	size_t len;
	int number;

	if (!text)
		return -EINVAL;
	while (is_blank(*text))
		text++;
	len = strlen(text);
	while (len > 0 && is_blank(text[len - 1]))
		len--;
	if (parse_level_number(text, len, &number)) {
		*level = (enum st87_log_level)number;
		return 0;
	}
	for (int i = ST87_LOG_NONE; i <= ST87_LOG_DEBUG; i++) {
		if (strlen(level_names[i]) == len && strncasecmp(text, level_names[i], len) == 0) {
			*level = (enum st87_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}
