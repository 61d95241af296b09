/*
 * st87ctl at [COMMAND]: one AT command and its reply, or, without a
 * command, an interactive terminal (st87ctl_at_terminal.c).
 *
 * The engine under st87_modem_raw() still does its job: echoed lines are
 * dropped, every deadline holds, and +CME ERROR codes come with the note's
 * text. Numeric error codes need AT+CMEE=1, which a freshly powered modem
 * may not have yet; `at` sends it first unless told not to.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"
#include "st87ctl_at.h"

static void print_help(void)
{
	printf("Usage: st87ctl at [--timeout SECONDS] [--no-cmee] [COMMAND]\n"
	       "Send one AT command and print the reply lines, then the final result:\n"
	       "OK, or the modem's error with its text from the vendor's note.\n"
	       "Without COMMAND: an interactive terminal. Type one AT command per line;\n"
	       "modem events (#IPRECV, #SOCKETCLOSED, link up/down) are shown as they\n"
	       "arrive. 'exit' or end of input (Ctrl-D) leaves.\n"
	       "Payloads cannot follow a command line here: send with data type 0 (text)\n"
	       "or 2 (hex), not 1 (binary). AT#IPREAD data is printed with bytes outside\n"
	       "printable ASCII as \\xNN.\n\n"
	       "  -t, --timeout SECONDS  how long to wait for the final result (default:\n"
	       "                         the note's Max Response Time for the command, else 10 s)\n"
	       "      --no-cmee          do not send AT+CMEE=1 first (errors may then come\n"
	       "                         as a bare ERROR, without their code)\n"
	       "  -h, --help             this help\n\n"
	       "Example: st87ctl at 'AT#IPCFG?'\n\n%s",
	       st87ctl_exit_code_help);
}

/* Switches numeric error codes on, quietly: the user did not ask to see this command. */
static void enable_error_codes(struct st87_modem *modem)
{
	struct st87_at_reply reply;
	if (st87_modem_raw(modem, "AT+CMEE=1", 1000 + ST87CTL_AT_DEADLINE_MARGIN_MS, &reply))
		fprintf(stderr, "st87ctl: note: AT+CMEE=1 failed (%s); errors may lack their code\n",
			st87_last_error());
}

/* A command given on the command line may carry blanks or a newline by accident. */
static bool is_blank(const char *text)
{
	for (; *text; text++) {
		if (!isspace((unsigned char)*text))
			return false;
	}
	return true;
}

int st87ctl_at_run(const struct st87ctl_globals *globals, int argc, char **argv)
{
	static const struct option options[] = {
		{"timeout", required_argument, NULL, 't'},
		{"no-cmee", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int timeout_ms = 0, option;
	bool cmee = true;
	/* An AT command never starts with '-', so options may come before or after it. */
	while ((option = getopt_long(argc, argv, ":t:h", options, NULL)) != -1) {
		switch (option) {
		case 't': {
			int seconds;
			if (st87ctl_parse_int(optarg, 1, 24 * 3600, &seconds))
				return st87ctl_usage_error("at",
							   "--timeout '%s': expected 1..86400 seconds",
							   optarg);
			timeout_ms = seconds * 1000;
			break;
		}
		case 'n':
			cmee = false;
			break;
		default:
			return st87ctl_help_or_bad_option("at", option, argv, print_help);
		}
	}
	if (optind + 1 < argc)
		return st87ctl_usage_error("at",
					   "one command at a time (quote it: st87ctl at 'AT#IPCFG?')");
	const char *command = optind < argc ? argv[optind] : NULL;
	if (command && (is_blank(command) || strpbrk(command, "\r\n")))
		return st87ctl_usage_error("at", "COMMAND must be one non-empty line");

	/* While st87d holds the port, one command goes through it. */
	if (command) {
		struct st87d_request request = {.kind = ST87D_AT,
						.timeout_ms = timeout_ms > 0
							? timeout_ms
							: st87ctl_at_deadline_ms(command)};
		snprintf(request.name, sizeof(request.name), "%s", command);
		int code = st87ctl_daemon_request(globals, &request, false, stdout);
		if (code == ST87CTL_EXIT_OK)
			printf("OK\n");
		if (code >= 0)
			return code;
	}
	struct st87ctl_terminal terminal = {.timeout_ms = timeout_ms};
	int code = st87ctl_open_modem(globals, command ? NULL : st87ctl_at_terminal_event,
				      command ? NULL : st87ctl_at_terminal_line, &terminal,
				      &terminal.modem);
	if (code != ST87CTL_EXIT_OK)
		return code;
	if (cmee)
		enable_error_codes(terminal.modem);
	code = command ? st87ctl_at_send(terminal.modem, command, timeout_ms)
		       : st87ctl_at_terminal(&terminal);
	st87_modem_close(terminal.modem);
	return code;
}
