/*
 * One AT command and its reply on stdout, for `st87ctl at COMMAND` and for
 * each line of the interactive terminal: the deadline the note gives the
 * command, then the reply as the modem sent it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "st87ctl_at.h"

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

static int note_deadline_ms(const char *text)
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

int st87ctl_at_deadline_ms(const char *text)
{
	return note_deadline_ms(text) + ST87CTL_AT_DEADLINE_MARGIN_MS;
}

int st87ctl_at_send(struct st87_modem *modem, const char *text, int timeout_ms)
{
	if (timeout_ms <= 0)
		timeout_ms = st87ctl_at_deadline_ms(text);
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
