#include "bytebuf.h"

#include <stdlib.h>
#include <string.h>

#include "die.h"

void bytebuf_init(struct bytebuf *b)
{
	b->data = NULL;
	b->head = b->len = b->cap = 0;
}

void bytebuf_free(struct bytebuf *b)
{
	free(b->data);
	bytebuf_init(b);
}

void bytebuf_clear(struct bytebuf *b)
{
	b->head = b->len = 0;
}

uint8_t *bytebuf_reserve(struct bytebuf *b, size_t n)
{
	if (b->head + b->len + n <= b->cap)
		return b->data + b->head + b->len;
	/* Move the queued bytes to the front before growing: consumers eat
	 * from the head, so the front is usually free. */
	if (b->head) {
		memmove(b->data, b->data + b->head, b->len);
		b->head = 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->data = fm_realloc(b->data, cap);
		b->cap = cap;
	}
	return b->data + b->len;
}

void bytebuf_commit(struct bytebuf *b, size_t n)
{
	b->len += n;
}

void bytebuf_append(struct bytebuf *b, const void *p, size_t n)
{
	if (!n)
		return;
	memcpy(bytebuf_reserve(b, n), p, n);
	bytebuf_commit(b, n);
}

void bytebuf_consume(struct bytebuf *b, size_t n)
{
	if (n >= b->len) {
		b->head = b->len = 0;
		return;
	}
	b->head += n;
	b->len -= n;
}
