#include "decimal.h"

bool shim_parse_decimal(const char *text, size_t len, unsigned long min, unsigned long max,
			unsigned long *value)
{
	unsigned long result = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		result = result * 10 + (unsigned long)(text[i] - '0');
		if (result > max)
			return false;
	}
	if (result < min)
		return false;
	*value = result;
	return true;
}
