/* The port side of a modem model (wrapped_serial.h): nothing to open or close. */
#include "wrapped_serial.h"

void *wrapped_serial_model;

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
