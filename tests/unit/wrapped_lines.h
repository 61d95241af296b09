/*
 * The port half of a modem model that reacts line by line (wrapped_serial.h
 * replaces the serial port): what the driver writes is kept until a CR ends
 * a command line, which goes to the model's on_line; what the model says is
 * what the driver reads. A test's model puts a struct wrapped_lines first
 * and opens the modem with wrapped_serial_open() on it.
 */
#ifndef ST87_TEST_WRAPPED_LINES_H
#define ST87_TEST_WRAPPED_LINES_H

#include <stddef.h>

struct wrapped_lines {
	/* Each command line, its CR dropped; a lone CR (the wake probe's) is no command and never comes. */
	void (*on_line)(struct wrapped_lines *port, const char *line);
	size_t max_read; /* the bytes a read gives at most, so lines arrive in fragments; 0: no cap */
	char written[2048];
	size_t written_len, line_start;
	char pending[2048]; /* what the model said and the driver has not read yet */
	size_t pending_len;
};

/* Appends @p text to what the model says; fails the test when it would not fit. */
void wrapped_lines_say(struct wrapped_lines *port, const char *text);

#endif
