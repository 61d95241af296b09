/* Paces one direction of the pty like a strict UART: baud / 10 bytes per
 * second (8 data bits plus start and stop bit), never faster, and no credit
 * for idle time. One pacer per direction.
 *
 * A busy period starts when bytes are waiting and the line is free. Within
 * it the bytes delivered since its start never exceed rate * (now - start):
 * a byte is handed over no earlier than its last bit would arrive on a real
 * line. When nothing more is waiting, the period ends; the line is free
 * again from start + sent / rate (the end of its last byte), and the next
 * bytes start a new period when they come (never before that end). A
 * direction that was idle therefore restarts at line rate, not above it.
 *
 * The owner says when bytes start waiting (tb_waiting) and when nothing is
 * left (tb_idle); it delivers at most tb_available() bytes and reports them
 * with tb_take(). To avoid a wake-up per byte it sleeps until
 * tb_ready_at(tb, tb_batch(tb, pending)): about 1 ms of bytes, or all that
 * wait if fewer. A late wake-up delivers what the line would have carried
 * by then (the sum since the period's start is the limit), so the fake
 * modem's own latency costs no line time, and the line never runs above
 * its rate measured from the start of the period.
 *
 * Both directions (writer.c: modem to host; modem.c: host to modem, where
 * POLLIN starts the period and FIONREAD tells what waits) use it. A
 * direction held up by flow control (the host not reading, the modem not
 * taking input) ends its period and restarts at line rate afterwards. An
 * answer to input starts its period, on a free line, when the input's last
 * byte came off the line (tb_sent_at()), not when the modem woke up to
 * read it.
 *
 * (The struct keeps its old name, token_bucket, which modem.h uses.) */
#ifndef FM_PACING_H
#define FM_PACING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct token_bucket {
	bool enabled;
	uint64_t rate;    /* bytes per second */
	bool busy;        /* a busy period is open: bytes wait or were sent */
	int64_t start_us; /* start of the busy period */
	uint64_t sent;    /* bytes delivered in it */
	int64_t free_us;  /* after a period: when its last byte ended */
};

/* bytes_per_sec 0 disables pacing: every query then answers "unlimited". */
void tb_init(struct token_bucket *tb, unsigned long bytes_per_sec, int64_t now);
/* Bytes wait since `since`: opens a busy period then (or when the line is
 * free, if later) unless one is open. */
void tb_waiting(struct token_bucket *tb, int64_t since);
/* Nothing waits any more: the busy period ends. */
void tb_idle(struct token_bucket *tb);
/* Whole bytes that may pass now: 0 outside a busy period, SIZE_MAX when
 * pacing is off. */
size_t tb_available(const struct token_bucket *tb, int64_t now);
void tb_take(struct token_bucket *tb, size_t n);
/* When the last byte delivered so far ended on the line: start + sent /
 * rate (0 outside a busy period or when pacing is off). */
int64_t tb_sent_at(const struct token_bucket *tb);
/* The bytes worth a wake-up when `pending` wait: about 1 ms of the line,
 * or `pending` if fewer (at least 1). */
size_t tb_batch(const struct token_bucket *tb, size_t pending);
/* When `want` bytes may pass (now if they already may). Only meaningful in
 * a busy period. */
int64_t tb_ready_at(const struct token_bucket *tb, size_t want, int64_t now);

#endif
