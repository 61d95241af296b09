#include "die.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fm_die(const char *fmt, ...)
{
	va_list ap;

	fputs("st87-fakemodem: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *fm_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		fm_die("out of memory (%zu bytes)", n);
	return q;
}

char *fm_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(fm_realloc(NULL, n), s, n);
}
