/* The port side of a modem model (wrapped_serial.h): nothing to open or close. */
#include "wrapped_serial.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

void *wrapped_serial_model;

void wrapped_serial_say(char *pending, size_t *len, size_t size, const char *text)
{
	size_t text_len = strlen(text);
	assert_true(*len + text_len <= size);
	memcpy(pending + *len, text, text_len);
	*len += text_len;
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
