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
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire.h"
#include "st87ctl_at.h"

/* Added to each Max Response Time of the note: the serial line and the host need a little too. */
#define DEADLINE_MARGIN_MS 2000
/* Commands the note gives no time for (AT, ATI, AT+CFUN, AT#RESET, ...). */
#define DEFAULT_DEADLINE_MS 10000
/* AT#IPPING's defaults in the note: 60 s per ping, 1 ping. */
#define PING_DEFAULT_TIMEOUT_S 60
#define PING_DEFAULT_COUNT 1

struct deadline_rule {
	const char *prefix; /* after "AT", case ignored */
	int deadline_ms;
};

/* The note's "Max Response Time" of each command it describes. */
static const struct deadline_rule deadline_rules[] = {
	{"#IPCFG", 1000},        {"#IPDEL", 1000},        {"#IPPARAMS", 1000},   {"+CGPADDR", 1000},
	{"#SOCKETCREATE", 2000}, {"#IPSENDTCP", 10000},   {"#IPSENDUDP", 10000}, {"#TCPCONNECT", 10000},
	{"#IPREAD", 30000},      {"#SOCKETCLOSE", 60000},
};

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

/*
 * AT#IPPING takes up to <timeout> seconds for each of <number_of_ping>
 * pings: AT#IPPING=<cid>,<ip>[,<timeout>[,<bytes>,<count>]].
 */
static int ping_deadline_ms(const char *arguments)
{
	int timeout_s = PING_DEFAULT_TIMEOUT_S, count = PING_DEFAULT_COUNT;
	int field = 0;
	for (const char *p = arguments; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (field == 2)
			timeout_s = atoi(p);
		else if (field == 4)
			count = atoi(p);
		field++;
	}
	if (timeout_s < 1 || timeout_s > 120)
		timeout_s = 120;
	if (count < 1 || count > 20)
		count = 20;
	return timeout_s * count * 1000;
}

static int command_deadline_ms(const char *text)
{
	if (strncasecmp(text, "AT", 2) != 0)
		return DEFAULT_DEADLINE_MS;
	const char *name = text + 2;
	if (strncasecmp(name, "#IPPING", 7) == 0 || strncasecmp(name, "#IPING", 6) == 0) {
		const char *arguments = strchr(name, '=');
		return arguments ? ping_deadline_ms(arguments + 1) : DEFAULT_DEADLINE_MS;
	}
	for (size_t i = 0; i < sizeof(deadline_rules) / sizeof(deadline_rules[0]); i++) {
		size_t len = strlen(deadline_rules[i].prefix);
		if (strncasecmp(name, deadline_rules[i].prefix, len) == 0)
			return deadline_rules[i].deadline_ms;
	}
	return DEFAULT_DEADLINE_MS;
}

/*
 * The data block of an AT#IPREAD: printable ASCII as is, other bytes as
 * \xNN, so binary data cannot upset the terminal and a script can undo it.
 */
static void print_block(const uint8_t *block, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (block[i] >= 0x20 && block[i] < 0x7f && block[i] != '\\')
			putchar(block[i]);
		else if (block[i] == '\\')
			fputs("\\\\", stdout);
		else
			printf("\\x%02X", block[i]);
	}
	putchar('\n');
}

int st87ctl_at_send(struct st87_modem *modem, const char *text, int timeout_ms)
{
	if (timeout_ms <= 0)
		timeout_ms = command_deadline_ms(text) + DEADLINE_MARGIN_MS;
	struct st87_at_reply reply;
	int err = st87_modem_raw(modem, text, timeout_ms, &reply);
	for (size_t i = 0; i < reply.n_lines; i++)
		printf("%s\n", reply.lines[i]);
	if (reply.block_len > 0)
		print_block(reply.block, reply.block_len);
	if (err == 0) {
		printf("OK\n");
		fflush(stdout);
		return ST87CTL_EXIT_OK;
	}
	if (err == -ETIMEDOUT) {
		fflush(stdout);
		st87ctl_error("%s", st87ctl_describe(err));
		return ST87CTL_EXIT_NO_MODEM;
	}
	/* The result line of the transcript: "+CME ERROR: 2104 (tcpip invalid parameter : socket id)". */
	printf("%s\n", st87ctl_describe(err));
	fflush(stdout);
	return st87ctl_exit_for(err);
}

/* Switches numeric error codes on, quietly: the user did not ask to see this command. */
static void enable_error_codes(struct st87_modem *modem)
{
	struct st87_at_reply reply;
	if (st87_modem_raw(modem, "AT+CMEE=1", 1000 + DEADLINE_MARGIN_MS, &reply))
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
							: command_deadline_ms(command) +
								DEADLINE_MARGIN_MS};
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
