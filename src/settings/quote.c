#include "quote.h"

#include <string.h>

void shim_quote_printable(const char *text, size_t len, size_t max_shown, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t shown = len < max_shown ? len : max_shown;
	char *cursor = out;

	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '"' || c == '\\') {
			*cursor++ = '\\';
			*cursor++ = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			*cursor++ = '\\';
			*cursor++ = 'x';
			*cursor++ = hex[c >> 4];
			*cursor++ = hex[c & 0xf];
		} else {
			*cursor++ = (char)c;
		}
	}
	if (shown < len) {
		memcpy(cursor, "...", 3);
		cursor += 3;
	}
	*cursor = '\0';
}
