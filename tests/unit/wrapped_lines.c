/* The serial port's writes and reads for a modem model that reacts line by line (wrapped_lines.h). */
#include "wrapped_lines.h"

#include "wrapped_serial.h"

void wrapped_lines_say(struct wrapped_lines *port, const char *text)
{
	wrapped_serial_say(port->pending, &port->pending_len, sizeof(port->pending), text);
}

int __wrap_st87_serial_write_all(struct st87_serial *serial, const void *data, size_t len,
				 int timeout_ms)
{
	struct wrapped_lines *port = (struct wrapped_lines *)serial;
	(void)timeout_ms;
	wrapped_serial_hear(port->written, &port->written_len, sizeof(port->written), data, len);
	char line[sizeof(port->written)];
	if (wrapped_serial_line(port->written, port->written_len, &port->line_start, line) && line[0])
		port->on_line(port, line);
	return 0;
}

/* A read never waits: 0 (the deadline passed) once the model has said all. */
ssize_t __wrap_st87_serial_read(struct st87_serial *serial, void *buf, size_t len, int timeout_ms)
{
	struct wrapped_lines *port = (struct wrapped_lines *)serial;
	(void)timeout_ms;
	if (port->max_read && len > port->max_read)
		len = port->max_read;
	return (ssize_t)wrapped_serial_give(port->pending, &port->pending_len, buf, len);
}
