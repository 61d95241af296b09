/*
 * st87ctl: see what an ST87MXX modem is doing, in the manner of mmcli and
 * ping(8). This file parses the global options, and the settings st87ctl
 * uses with the shim's parser (ST87_* variables, st87.conf), then hands the
 * rest of the command line to a subcommand.
 *
 *   st87ctl [--port P] [--baud B] [--rtscts] [--json] [--log LEVEL] [--trace FILE] COMMAND ...
 *
 * Exit codes (see st87ctl.h): 0 success; 1 the modem answered with an error,
 * or ping got no reply; 2 usage error (ping: any other error too); 3 no
 * modem (port missing, busy, or nothing answers).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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
	{"doctor", "[--name NAME] [--tcp ADDRESS:PORT] [--program PATH] [--json]",
	 "check the port, baud rate, SIM, registration, IP link, DNS, a TCP connect and whether the "
	 "shim "
	 "can reach a program, saying what to fix",
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
		"      --rtscts      RTS/CTS flow control, for a modem wired with them\n"
		"                    (default: $ST87_RTSCTS, else off)\n"
		"      --json        JSON on stdout (status, ping, doctor)\n"
		"      --log LEVEL   libst87 messages on stderr: none, error, warn, info, debug\n"
		"                    (default: $ST87_LOG, else error)\n"
		"      --trace FILE  append the AT traffic to FILE (default: $ST87_TRACE)\n"
		"  -h, --help        this help; 'st87ctl COMMAND --help' for a command's own\n"
		"  -V, --version     the version\n"
		"\n"
		"Settings the command line leaves out come from the ST87_* variables, then from\n"
		"/etc/st87/st87.conf (or $ST87_CONF), checked as the shim checks them; the\n"
		"shim's own (ST87_ROUTE, ST87_DNS, ...) are not read. While st87d serves the\n"
		"modem (its socket /run/st87/st87d.sock, or $ST87_DAEMON; 'off' never),\n"
		"status, doctor, close-all and 'at COMMAND' go through it; the other commands\n"
		"need the port itself.\n"
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

/* A setting the command line gave: its option, and the variable it stands for. */
struct given_setting {
	const char *option;
	const char *variable;
	const char *value; /* NULL: not given */
};

enum { GIVEN_PORT, GIVEN_BAUD, GIVEN_RTSCTS, GIVEN_LOG, GIVEN_TRACE, GIVEN_COUNT };

/* Settings given on the command line; the variables and the file fill in the rest. */
struct command_line_settings {
	struct given_setting settings[GIVEN_COUNT];
	bool json;
};

/*
 * The variables st87ctl uses; the others (ST87_ROUTE, ST87_DNS, ...) are the
 * shim's, and a bad one must not stop a look at the modem.
 */
static const char *const variables_used[] = {"ST87_PORT", "ST87_BAUD",  "ST87_RTSCTS",
					     "ST87_LOG",  "ST87_TRACE", "ST87_DAEMON"};

#define VARIABLES_USED_COUNT (sizeof(variables_used) / sizeof(variables_used[0]))

static bool given_on_command_line(const struct command_line_settings *given, const char *variable)
{
	for (size_t i = 0; i < GIVEN_COUNT; i++) {
		if (given->settings[i].value && strcmp(given->settings[i].variable, variable) == 0)
			return true;
	}
	return false;
}

/* Prints each of the parser's error lines ("ST87_BAUD=..." or "FILE:LINE: ...") on its own. */
static void print_setting_errors(char *errors)
{
	for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n"))
		st87ctl_error("%s", line);
}

/*
 * Resolves the global settings with the shim's parser: the command line
 * first, then the ST87_* variables, then the configuration file, then the
 * defaults. Only the settings st87ctl uses are read, and a variable the
 * command line overrides is not. Returns ST87CTL_EXIT_OK, or prints what is
 * wrong (naming the option, the variable or the file's line) and returns
 * ST87CTL_EXIT_USAGE.
 */
static int resolve_globals(const struct command_line_settings *given, struct st87ctl_globals *globals)
{
	/* Static: the settings hold paths of 4 KiB, and globals points into them. */
	static struct shim_config settings;
	const char *names[VARIABLES_USED_COUNT + 1];
	size_t count = 0;

	for (size_t i = 0; i < VARIABLES_USED_COUNT; i++) {
		if (!given_on_command_line(given, variables_used[i]))
			names[count++] = variables_used[i];
	}
	names[count] = NULL;
	char errors[4096];
	if (shim_config_parse_some(NULL, names, &settings, errors, sizeof(errors)) < 0) {
		print_setting_errors(errors);
		return ST87CTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < GIVEN_COUNT; i++) {
		const struct given_setting *setting = &given->settings[i];
		char problem[512];
		if (setting->value &&
		    shim_config_parse_value(setting->variable, setting->value, &settings, problem,
					    sizeof(problem)) < 0)
			return st87ctl_usage_error(NULL, "%s '%s': %s", setting->option, setting->value,
						   problem);
	}

	globals->port = settings.port;
	globals->baud = settings.baud;
	globals->rtscts = settings.rtscts;
	globals->trace_path = settings.trace_path[0] ? settings.trace_path : NULL;
	globals->json = given->json;
	globals->daemon_socket = settings.daemon_use == SHIM_DAEMON_OFF ? NULL : settings.daemon_socket;
	globals->daemon_required = settings.daemon_use == SHIM_DAEMON_REQUIRED;
	st87_log_set_level(settings.log_level);
	return ST87CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'},
		{"baud", required_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"log", required_argument, NULL, 'l'},
		{"trace", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"rtscts", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct command_line_settings given = {
		.settings =
			{
				[GIVEN_PORT] = {"--port", "ST87_PORT", NULL},
				[GIVEN_BAUD] = {"--baud", "ST87_BAUD", NULL},
				[GIVEN_RTSCTS] = {"--rtscts", "ST87_RTSCTS", NULL},
				[GIVEN_LOG] = {"--log", "ST87_LOG", NULL},
				[GIVEN_TRACE] = {"--trace", "ST87_TRACE", NULL},
			},
	};
	int option;
	/* "+": stop at the subcommand; its options are its own. */
	while ((option = getopt_long(argc, argv, "+:p:b:hV", options, NULL)) != -1) {
		switch (option) {
		case 'p':
			given.settings[GIVEN_PORT].value = optarg;
			break;
		case 'b':
			given.settings[GIVEN_BAUD].value = optarg;
			break;
		case 'j':
			given.json = true;
			break;
		case 'R':
			given.settings[GIVEN_RTSCTS].value = "1";
			break;
		case 'l':
			given.settings[GIVEN_LOG].value = optarg;
			break;
		case 't':
			given.settings[GIVEN_TRACE].value = optarg;
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
