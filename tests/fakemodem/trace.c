#include "trace.h"

#include <stdio.h>
#include <stdlib.h>

#include "die.h"

struct trace {
	FILE *f;
};

struct trace *trace_open(const char *path)
{
	struct trace *t = fm_realloc(NULL, sizeof(*t));

	t->f = NULL;
	if (path) {
		t->f = fopen(path, "we");
		if (!t->f) {
			free(t);
			return NULL;
		}
	}
	return t;
}

void trace_close(struct trace *t)
{
	if (!t)
		return;
	if (t->f)
		fclose(t->f);
	free(t);
}

void trace_line(struct trace *t, char dir, const void *text, size_t len)
{
	const unsigned char *p = text;

	if (!t || !t->f)
		return;
	fputc(dir, t->f);
	fputc(' ', t->f);
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\')
			fputs("\\\\", t->f);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], t->f);
		else
			fprintf(t->f, "\\x%02X", p[i]);
	}
	fputc('\n', t->f);
	/* Flushed per line: the trace is read after crashes and timeouts. */
	fflush(t->f);
}

void trace_binary(struct trace *t, char dir, size_t n)
{
	if (!t || !t->f)
		return;
	fprintf(t->f, "%c [binary %zu bytes]\n", dir, n);
	fflush(t->f);
}

void trace_note(struct trace *t, char dir, const char *note)
{
	if (!t || !t->f)
		return;
	fprintf(t->f, "%c [%s]\n", dir, note);
	fflush(t->f);
}
