/* Text from the environment, made safe to print on one line of an error message. */
#ifndef ST87_SHIM_QUOTE_H
#define ST87_SHIM_QUOTE_H

#include <stddef.h>

/* Bytes shim_quote_printable() needs for @max_shown shown bytes. */
#define SHIM_QUOTED_SIZE(max_shown) ((max_shown)*4 + sizeof "...")

/*
 * Writes the first @len bytes of @text into @out (SHIM_QUOTED_SIZE(@max_shown)
 * bytes): '"' and '\' escaped, other unprintable bytes as \xNN, and "..."
 * after @max_shown bytes. It may hold any byte: the message must stay one line.
 */
void shim_quote_printable(const char *text, size_t len, size_t max_shown, char *out);

#endif
