/* Decimal numbers from the environment, read without strtol's surprises (signs, spaces, overflow). */
#ifndef ST87_SHIM_DECIMAL_H
#define ST87_SHIM_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Reads @len decimal digits at @text into @value, within @min..@max. False
 * when @len is 0, a byte is not a digit, or the number is out of range
 * (checked digit by digit, so no length of input overflows).
 */
bool shim_parse_decimal(const char *text, size_t len, unsigned long min, unsigned long max,
			unsigned long *value);

#endif
