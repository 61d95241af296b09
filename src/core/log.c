/* Leveled logging to stderr, shared by the core, the shim and the tools. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "internal.h"
#include "st87/st87.h"

static atomic_int current_level = ST87_LOG_ERROR;
static const char *_Atomic log_name = "st87";

void st87_log_set_name(const char *name)
{
	atomic_store(&log_name, name);
}

void st87_log_set_level(enum st87_log_level level)
{
	atomic_store(&current_level, (int)level);
}

enum st87_log_level st87_log_get_level(void)
{
	return (enum st87_log_level)atomic_load(&current_level);
}

void st87_log(enum st87_log_level level, const char *format, ...)
{
	if ((int)level > atomic_load(&current_level))
		return;
	char line[512];
	va_list args;
	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	/* One write per line, so lines of several threads never interleave. */
	fprintf(stderr, "%s: %s\n", atomic_load(&log_name), line);
}
