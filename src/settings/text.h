/* Small pieces of text handling shared by the shim's parsers (config.c, route.c). */
#ifndef ST87_SHIM_TEXT_H
#define ST87_SHIM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The C locale's whitespace, without asking the locale. */
bool shim_is_blank(char c);

/* The part of @value between leading and trailing whitespace: its start, and its length in *@len. */
const char *shim_trim(const char *value, size_t *len);

/* @text with its leading whitespace skipped and its trailing whitespace cut off in place. */
char *shim_trim_in_place(char *text);

/* inet_pton() over @len bytes that are not NUL-terminated; @out holds 16 bytes. False for anything it refuses. */
bool shim_parse_ip(int family, const char *text, size_t len, uint8_t *out);

/* Copies @why into @problem and returns -EINVAL: a parser's failure is one line. */
int shim_fail(char *problem, size_t problem_len, const char *why);

#endif
