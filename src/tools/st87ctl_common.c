/* st87ctl: error reporting, number parsing, opening the modem, JSON strings. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st87ctl.h"

const char st87ctl_exit_code_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  the modem answered with an error (ping: no reply at all)\n"
	"  2  usage error (ping: also any other error, as ping(8) does)\n"
	"  3  no modem: the port is missing, busy or not a serial port, or nothing answers\n";

/* "st87ctl: <message>" on stderr, built in one buffer so the line reaches stderr in one piece. */
static void print_error(const char *format, va_list args)
{
	char line[1024];
	vsnprintf(line, sizeof(line), format, args);
	fprintf(stderr, "st87ctl: %s\n", line);
}

void st87ctl_error(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	print_error(format, args);
	va_end(args);
}

int st87ctl_usage_error(const char *command, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	print_error(format, args);
	va_end(args);
	fprintf(stderr, "Try 'st87ctl%s%s --help'.\n", command ? " " : "", command ? command : "");
	return ST87CTL_EXIT_USAGE;
}

int st87ctl_bad_option(const char *command, int option, char **argv)
{
	if (option == ':')
		return st87ctl_usage_error(command, "option '%s' needs a value", argv[optind - 1]);
	/* optopt names a bad short option; a bad long one leaves it 0. */
	if (optopt)
		return st87ctl_usage_error(command, "unknown option '-%c'", optopt);
	return st87ctl_usage_error(command, "unknown option '%s'", argv[optind - 1]);
}

int st87ctl_help_or_bad_option(const char *command, int option, char **argv, void (*print_help)(void))
{
	if (option != 'h')
		return st87ctl_bad_option(command, option, argv);
	print_help();
	return ST87CTL_EXIT_OK;
}

int st87ctl_no_argument_left(const char *command, int argc, char **argv)
{
	if (optind < argc)
		return st87ctl_usage_error(command, "unexpected argument '%s'", argv[optind]);
	return -1;
}

int st87ctl_parse_int(const char *text, int min, int max, int *value)
{
	if (!text)
		return -EINVAL;
	char *end;
	errno = 0;
	long parsed = strtol(text, &end, 10);
	if (end == text || errno == ERANGE) /* strtol skips leading blanks itself */
		return end == text ? -EINVAL : -ERANGE;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return -EINVAL;
	if (parsed < min || parsed > max)
		return -ERANGE;
	*value = (int)parsed;
	return 0;
}

const char *st87ctl_describe(int err)
{
	const char *text = st87_last_error();
	return text && *text ? text : st87_strerror(err);
}

int st87ctl_open_modem(const struct st87ctl_globals *globals, st87_event_fn on_event,
		       st87_urc_fn on_unsolicited, void *user, struct st87_modem **modem)
{
	struct st87_modem_options options = {
		.port = globals->port,
		.baud = globals->baud,
		.rtscts = globals->rtscts,
		.trace_path = globals->trace_path,
		.on_event = on_event,
		.on_unsolicited = on_unsolicited,
		.user = user,
	};
	int err = st87_modem_open(&options, modem);
	if (err == 0)
		return ST87CTL_EXIT_OK;
	/* libst87's message already names the port: "/dev/ttyUSB0: port busy (pid 42)". */
	st87ctl_error("%s", st87ctl_describe(err));
	return ST87CTL_EXIT_NO_MODEM;
}

int st87ctl_exit_for(int err)
{
	/*
	 * A deadline passing means the modem stopped answering. A port that
	 * failed also comes back as -EIO, the same errno as a bare "ERROR";
	 * the modem's answer is by far the likelier of the two, so -EIO counts
	 * as a modem error.
	 */
	return err == -ETIMEDOUT ? ST87CTL_EXIT_NO_MODEM : ST87CTL_EXIT_MODEM_ERROR;
}

const char *st87ctl_modem_path(struct st87_modem *modem, char *buf, size_t len)
{
	snprintf(buf, len, "%s", st87_modem_path(modem));
	return buf;
}

void st87ctl_json_string(FILE *out, const char *text)
{
	/* The characters JSON escapes with a letter, and those letters, in the same order. */
	static const char escaped[] = "\"\\\n\r\t";
	static const char letters[] = "\"\\nrt";
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		const char *special = strchr(escaped, *p);
		if (special)
			fprintf(out, "\\%c", letters[special - escaped]);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

int st87ctl_parse_no_arguments(const char *command, int argc, char **argv, void (*print_help)(void))
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int option = getopt_long(argc, argv, ":h", options, NULL);
	if (option != -1)
		return st87ctl_help_or_bad_option(command, option, argv, print_help);
	return st87ctl_no_argument_left(command, argc, argv);
}
