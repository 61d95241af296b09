/*
 * st87ctl: see what an ST87MXX modem is doing, in the manner of mmcli and
 * ping(8). This file parses the global options (and the ST87_* variables the
 * shim reads), then hands the rest of the command line to a subcommand.
 *
 *   st87ctl [--port P] [--baud B] [--json] [--log LEVEL] [--trace FILE] COMMAND ...
 *
 * Exit codes (see st87ctl.h): 0 success; 1 the modem answered with an error,
 * or ping got no reply; 2 usage error (ping: any other error too); 3 no
 * modem (port missing, busy, or nothing answers).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st87ctl.h"

#ifndef ST87CTL_VERSION
#define ST87CTL_VERSION "unknown"
#endif

static const struct st87ctl_command commands[] = {
	{"ports", "", "list serial ports; '*' marks those that look like the modem", st87ctl_ports_run},
	{"status", "[--json]", "whether the modem answers, its IP link, settings and sockets",
	 st87ctl_status_run},
	{"ping", "HOST [-c COUNT] [-s SIZE] [-W TIMEOUT] [--json]",
	 "ping a numeric IPv4/IPv6 address from the modem (AT#IPPING)", st87ctl_ping_run},
	{"at", "[COMMAND]", "send one AT command; without one, an interactive terminal", st87ctl_at_run},
	{"close-all", "", "close every modem socket", st87ctl_close_all_run},
	{"doctor", "[--name NAME] [--tcp ADDRESS:PORT] [--json]",
	 "check the port, baud rate, SIM, registration, IP link, DNS and a TCP connect, saying what to "
	 "fix",
	 st87ctl_doctor_run},
	{"config", "[--auto-ip on|off] [--prefer ipv4|ipv6] [--periodicity N] [--auto-ip-timeout S]",
	 "show or change the IP stack settings (AT#IPPARAMS)", st87ctl_config_run},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: st87ctl [OPTION]... COMMAND [ARG]...\n"
		"Look at, and talk to, an ST87MXX NB-IoT modem through libst87.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  %s%s%s\n      %s\n", commands[i].name, *commands[i].synopsis ? " " : "",
			commands[i].synopsis, commands[i].summary);
	fprintf(out,
		"\n"
		"Options (before COMMAND):\n"
		"  -p, --port PATH   the modem's serial port, or \"auto\" to find it by USB id\n"
		"                    (default: $ST87_PORT, else auto)\n"
		"  -b, --baud RATE   serial speed (default: $ST87_BAUD, else 115200)\n"
		"      --json        JSON on stdout (status, ping, doctor)\n"
		"      --log LEVEL   libst87 messages on stderr: none, error, warn, info, debug\n"
		"                    (default: $ST87_LOG, else error)\n"
		"      --trace FILE  append the AT traffic to FILE (default: $ST87_TRACE)\n"
		"  -h, --help        this help; 'st87ctl COMMAND --help' for a command's own\n"
		"  -V, --version     the version\n"
		"\n"
		"Settings the command line leaves out come from the ST87_* variables, then from\n"
		"/etc/st87/st87.conf (or $ST87_CONF). While st87d serves the modem (its socket\n"
		"/run/st87/st87d.sock, or $ST87_DAEMON; 'off' never), status, doctor, close-all\n"
		"and 'at COMMAND' go through it; the other commands need the port itself.\n"
		"\n%s",
		st87ctl_exit_code_help);
}

static const struct st87ctl_command *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* The shim counts a variable set to "" as unset; so does st87ctl. */
static const char *environment(const char *name)
{
	const char *value = getenv(name);
	return value && *value ? value : NULL;
}

/* Checked here so that a mistyped rate is a usage error, not a modem that cannot be opened. */
static int parse_baud(const char *text, int *baud)
{
	int value;
	if (st87ctl_parse_int(text, 1, INT_MAX, &value) || !st87_baud_supported(value))
		return -EINVAL;
	*baud = value;
	return 0;
}

/*
 * Where a bad value came from, for its error: "--baud '12'" when the
 * command line gave @p option_value, else "ST87_BAUD=\"12\"".
 */
static void name_source(char *out, size_t len, const char *option_value, const char *option,
			const char *variable)
{
	char origin[4200] = "";
	if (option_value) {
		snprintf(out, len, "%s '%s'", option, option_value);
		return;
	}
	st87ctl_conf_origin(variable, origin, sizeof(origin));
	snprintf(out, len, "%s%s=\"%s\"", origin, variable, environment(variable));
}

/* Settings given on the command line; the environment fills in the rest. */
struct command_line_settings {
	const char *port, *baud, *log, *trace;
	bool json;
};

/*
 * Resolves the global settings: command line first, then the ST87_*
 * variables, then the defaults. Returns ST87CTL_EXIT_OK, or prints what
 * is wrong (naming the option or variable) and returns ST87CTL_EXIT_USAGE.
 */
static int resolve_globals(const struct command_line_settings *given, struct st87ctl_globals *globals)
{
	int loaded = st87ctl_load_conf();
	if (loaded != ST87CTL_EXIT_OK)
		return loaded;
	const char *baud = given->baud ? given->baud : environment("ST87_BAUD");
	const char *log = given->log ? given->log : environment("ST87_LOG");
	char source[256];

	globals->port = given->port ? given->port : environment("ST87_PORT");
	if (!globals->port)
		globals->port =
			"auto"; /* libst87 then looks for the one port that looks like the modem */
	globals->trace_path = given->trace ? given->trace : environment("ST87_TRACE");
	globals->json = given->json;
	globals->baud = 0;
	if (baud && parse_baud(baud, &globals->baud)) {
		name_source(source, sizeof(source), given->baud, "--baud", "ST87_BAUD");
		return st87ctl_usage_error(NULL, "%s: expected a standard baud rate such as 115200",
					   source);
	}
	if (log) {
		enum st87_log_level level;
		if (st87_log_parse_level(log, &level)) {
			name_source(source, sizeof(source), given->log, "--log", "ST87_LOG");
			return st87ctl_usage_error(NULL,
						   "%s: expected none, error, warn, info, debug or 0..4",
						   source);
		}
		st87_log_set_level(level);
	}
	return ST87CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'},  {"baud", required_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},        {"log", required_argument, NULL, 'l'},
		{"trace", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},     {NULL, 0, NULL, 0},
	};
	struct command_line_settings given = {0};
	int option;
	/* "+": stop at the subcommand; its options are its own. */
	while ((option = getopt_long(argc, argv, "+:p:b:hV", options, NULL)) != -1) {
		switch (option) {
		case 'p':
			given.port = optarg;
			break;
		case 'b':
			given.baud = optarg;
			break;
		case 'j':
			given.json = true;
			break;
		case 'l':
			given.log = optarg;
			break;
		case 't':
			given.trace = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return ST87CTL_EXIT_OK;
		case 'V':
			printf("st87ctl %s\n", ST87CTL_VERSION);
			return ST87CTL_EXIT_OK;
		default:
			return st87ctl_bad_option(NULL, option, argv);
		}
	}
	if (optind >= argc)
		return st87ctl_usage_error(NULL, "no command given");

	const char *name = argv[optind];
	if (strcmp(name, "help") == 0) {
		/* "st87ctl help ping" is "st87ctl ping --help". */
		if (optind + 1 >= argc) {
			print_usage(stdout);
			return ST87CTL_EXIT_OK;
		}
		const struct st87ctl_command *command = find_command(argv[optind + 1]);
		if (!command)
			return st87ctl_usage_error(NULL, "unknown command '%s'", argv[optind + 1]);
		static char help_option[] = "--help";
		char *help_argv[] = {argv[optind + 1], help_option, NULL};
		optind = 0; /* glibc: 0 re-initialises getopt for the subcommand's own parse */
		return command->run(&(struct st87ctl_globals){.port = "auto"}, 2, help_argv);
	}
	const struct st87ctl_command *command = find_command(name);
	if (!command)
		return st87ctl_usage_error(NULL, "unknown command '%s'", name);

	struct st87ctl_globals globals;
	int status = resolve_globals(&given, &globals);
	if (status != ST87CTL_EXIT_OK)
		return status;
	int command_argc = argc - optind;
	char **command_argv = argv + optind;
	optind = 0;
	return command->run(&globals, command_argc, command_argv);
}
