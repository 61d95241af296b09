/* The port side of a modem model (wrapped_serial.h): nothing to open or close. */
#include "wrapped_serial.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

void *wrapped_serial_model;

struct st87_modem *wrapped_serial_open(void *model, const struct st87_modem_options *options)
{
	wrapped_serial_model = model;
	struct st87_modem *modem = NULL;
	assert_int_equal(st87_modem_open(options, &modem), 0);
	return modem;
}

void wrapped_serial_say(char *pending, size_t *len, size_t size, const char *text)
{
	size_t text_len = strlen(text);
	assert_true(*len + text_len <= size);
	memcpy(pending + *len, text, text_len);
	*len += text_len;
}

void wrapped_serial_hear(char *written, size_t *len, size_t size, const void *data, size_t n)
{
	assert_true(*len + n <= size);
	memcpy(written + *len, data, n);
	*len += n;
}

bool wrapped_serial_line(const char *written, size_t written_len, size_t *line_start, char *line)
{
	if (written_len == *line_start || written[written_len - 1] != '\r')
		return false;
	size_t len = written_len - *line_start - 1;
	memcpy(line, written + *line_start, len);
	line[len] = '\0';
	*line_start = written_len;
	return true;
}

size_t wrapped_serial_give(char *pending, size_t *pending_len, void *buf, size_t len)
{
	size_t n = *pending_len < len ? *pending_len : len;
	memcpy(buf, pending, n);
	memmove(pending, pending + n, *pending_len - n);
	*pending_len -= n;
	return n;
}

int __wrap_st87_serial_open(const char *path, const struct st87_serial_options *options,
			    struct st87_serial **out)
{
	(void)path;
	(void)options;
	*out = wrapped_serial_model;
	return 0;
}

void __wrap_st87_serial_close(struct st87_serial *serial)
{
	(void)serial;
}

const char *__wrap_st87_serial_path(const struct st87_serial *serial)
{
	(void)serial;
	return "modem-model";
}
