/* A growable FIFO of bytes. Used for the output to the pty, the input not yet
 * parsed, and each modem socket's receive and transmit buffers. */
#ifndef FM_BYTEBUF_H
#define FM_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>

struct bytebuf {
	uint8_t *data;
	size_t head; /* offset of the first queued byte */
	size_t len;  /* number of queued bytes */
	size_t cap;
};

void bytebuf_init(struct bytebuf *b);
void bytebuf_free(struct bytebuf *b);
void bytebuf_clear(struct bytebuf *b);
void bytebuf_append(struct bytebuf *b, const void *p, size_t n);
/* Returns room for n more bytes at the tail; bytebuf_commit() makes them part
 * of the queue. Lets read()/recv() fill the buffer without a copy. */
uint8_t *bytebuf_reserve(struct bytebuf *b, size_t n);
void bytebuf_commit(struct bytebuf *b, size_t n);
static inline const uint8_t *bytebuf_peek(const struct bytebuf *b)
{
	return b->data + b->head;
}
void bytebuf_consume(struct bytebuf *b, size_t n);

#endif
