/* Small pieces of text handling shared by the shim's parsers (text.h). */
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

bool shim_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

const char *shim_trim(const char *value, size_t *len)
{
	const char *end = value + strlen(value);

	while (shim_is_blank(*value))
		value++;
	while (end > value && shim_is_blank(end[-1]))
		end--;
	*len = (size_t)(end - value);
	return value;
}

char *shim_trim_in_place(char *text)
{
	size_t len;
	char *start = text + (shim_trim(text, &len) - text);
	start[len] = '\0';
	return start;
}

bool shim_parse_ip(int family, const char *text, size_t len, uint8_t *out)
{
	char copy[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof copy)
		return false;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return inet_pton(family, copy, out) == 1;
}

int shim_fail(char *problem, size_t problem_len, const char *why)
{
	snprintf(problem, problem_len, "%s", why);
	return -EINVAL;
}
