/* Text from other processes made safe for a terminal, a log line or a JSON string (internal.h). */
#include "internal.h"

#include <string.h>

void st87_printable(const char *text, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0;
	for (size_t i = 0; i < len && size > 0; i++) {
		unsigned char c = (unsigned char)text[i];
		bool plain = c >= 0x20 && c <= 0x7e && c != '\\';
		size_t need = plain ? 1 : 4;
		/* Whole escapes only: a cut one would read as another byte. */
		if (used + need >= size)
			break;
		if (plain) {
			out[used++] = (char)c;
			continue;
		}
		out[used++] = '\\';
		out[used++] = 'x';
		out[used++] = hex[c >> 4];
		out[used++] = hex[c & 15];
	}
	if (size > 0)
		out[used] = '\0';
}
