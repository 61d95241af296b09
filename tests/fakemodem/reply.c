/* Output framing, URC deferral, and the noise a real modem adds between
 * lines (--urc-noise, --garbage). Noise only ever goes in front of a whole
 * line, so it never lands inside a line or a binary block. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "modem.h"

/* Longest formatted line: an #IPCFG with two addresses fits easily. */
#define LINE_MAX_TEXT 512

/* What ends (and starts) each line: V.25ter's S3 S4, S4 empty with --answers-end-in-cr. */
static void put_line_end(struct modem *m)
{
	writer_put(&m->out, "\r\n", m->opt->answers_end_in_cr ? 1 : 2);
}

static void put_framed(struct modem *m, const char *text, size_t len)
{
	put_line_end(m);
	writer_put(&m->out, text, len);
	put_line_end(m);
	trace_line(m->trace, '<', text, len);
}

/* Formats a line into @text (LINE_MAX_TEXT bytes), cut to fit: its length, or -1 when it cannot be formatted. */
static int format_line(char *text, const char *fmt, va_list ap)
{
	int n = vsnprintf(text, LINE_MAX_TEXT, fmt, ap);

	if (n >= LINE_MAX_TEXT)
		n = LINE_MAX_TEXT - 1;
	return n;
}

static void vput_framed(struct modem *m, const char *fmt, va_list ap)
{
	char text[LINE_MAX_TEXT];
	int n = format_line(text, fmt, ap);

	if (n >= 0)
		put_framed(m, text, (size_t)n);
}

void emit_line(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput_framed(m, fmt, ap);
	va_end(ap);
}

void emit_echo(struct modem *m, const void *line, size_t len)
{
	writer_put(&m->out, line, len);
	if (m->opt->echo_cr_alone)
		writer_put(&m->out, "\r",
			   1); /* a character echo repeats the host's CR, which has no LF */
	else
		put_line_end(m);
	trace_line(m->trace, '<', line, len);
}

/* Junk that no driver may mistake for a response: it never starts with
 * AT, OK, ERROR, +CME or #, has no comma (per-ping lines are bare
 * "n,r,b,t") and no quote. */
static void put_garbage(struct modem *m)
{
	static const char first[] = "~?!%&*^";
	static const char rest[] = "abcdefghijklmnopqrstuvwxyz0123456789~?!%&*^-_.:;/@ ";
	char text[16];
	size_t len = rng_range(&m->rng, 3, 12);

	text[0] = first[rng_range(&m->rng, 0, sizeof(first) - 2)];
	for (size_t i = 1; i < len; i++)
		text[i] = rest[rng_range(&m->rng, 0, sizeof(rest) - 2)];
	/* no trailing blank: a driver may trim, and then see nothing odd */
	if (text[len - 1] == ' ')
		text[len - 1] = '.';
	put_framed(m, text, len);
}

/* Called before every response line of a command: the places where a real
 * modem may slip something in. */
static void line_boundary(struct modem *m)
{
	if (m->opt->urc_noise && rng_chance(&m->rng, 3)) {
		static const char *const noise[] = {"+CEREG: 1", "+CSCON: 1"};
		const char *t = noise[rng_range(&m->rng, 0, 1)];

		put_framed(m, t, strlen(t));
	}
	if (m->opt->garbage && rng_chance(&m->rng, 4))
		put_garbage(m);
	if (m->opt->urc_interleave)
		flush_urcs(m, false);
}

void vreply_info(struct modem *m, const char *fmt, va_list ap)
{
	line_boundary(m);
	vput_framed(m, fmt, ap);
}

void reply_info(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply_info(m, fmt, ap);
	va_end(ap);
}

void reply_block(struct modem *m, const void *data, size_t n)
{
	writer_put(&m->out, data, n);
	put_line_end(m);
	trace_binary(m->trace, '<', n);
}

/* --long-line: a line longer than most drivers' buffers (a certificate's,
 * say), which no command asked for. */
static void put_long_line(struct modem *m)
{
	static const char prefix[] = "#CERT: ";
	size_t len = (size_t)m->opt->long_line;

	put_line_end(m);
	writer_put(&m->out, prefix, sizeof(prefix) - 1);
	for (size_t i = sizeof(prefix) - 1; i < len; i++)
		writer_put(&m->out,
			   &"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64],
			   1);
	put_line_end(m);
	trace_note(m->trace, '<', "a long line");
}

void reply_final(struct modem *m, int code)
{
	if (m->opt->long_line)
		put_long_line(m);
	line_boundary(m);
	if (code == 0)
		emit_line(m, "OK");
	else if (code > 0 && m->cmee && m->opt->cme_without_code)
		emit_line(m, "+CME ERROR"); /* iLabs' firmware: the code left out */
	else if (code > 0 && m->cmee)
		emit_line(m, "+CME ERROR: %d", code);
	else
		emit_line(m, "ERROR");
}

static void queue_urc(struct bytebuf *q, const char *fmt, va_list ap)
{
	char text[LINE_MAX_TEXT];
	int n = format_line(text, fmt, ap);

	if (n >= 0)
		bytebuf_append(q, text, (size_t)n + 1);
}

void emit_urc(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	if (m->stalled)
		return; /* a hung modem says nothing at all */
	va_start(ap, fmt);
	if (m->cmd.state == CMD_IDLE)
		vput_framed(m, fmt, ap);
	else
		queue_urc(&m->urc_deferred, fmt, ap);
	va_end(ap);
}

void emit_urc_after_final(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	queue_urc(&m->urc_after_final, fmt, ap);
	va_end(ap);
}

static void flush_queue(struct modem *m, struct bytebuf *q)
{
	while (q->len) {
		const char *text = (const char *)bytebuf_peek(q);
		size_t len = strlen(text);

		put_framed(m, text, len);
		bytebuf_consume(q, len + 1);
	}
}

void flush_urcs(struct modem *m, bool after_final)
{
	flush_queue(m, &m->urc_deferred);
	if (after_final)
		flush_queue(m, &m->urc_after_final);
}
