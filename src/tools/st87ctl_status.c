/*
 * st87ctl status: whether the modem answers, its IP link, its IP stack
 * settings, whether it sleeps, the radio (st87ctl_radio.c) and the sockets in use. Read-only: it opens the modem (which
 * only probes with "AT") and sends nothing but read commands, so looking
 * never changes what is being looked at (AT+CEREG's presentation, set for
 * the cell, is put back as it was).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "st87ctl.h"
#include "st87ctl_radio.h"

/* The modem has 3 sockets; room for more in case firmware grows some. */
#define MAX_LISTED_SOCKETS 8

/* Everything status learns, gathered first so text and JSON print the same facts. */
struct modem_status {
	char port[256];
	int cid;

	int ipcfg_err; /* -ENOENT: the context is not configured, not a failure */
	struct st87_ipcfg ipcfg;
	char ipcfg_error[256];

	int cgpaddr_err;
	char network_ipv4[ST87_ADDR_LEN], network_ipv6[ST87_ADDR_LEN];
	char cgpaddr_error[256];

	int ipparams_err;
	struct st87_ipparams ipparams;
	char ipparams_error[256];

	int sleepmode_err; /* -ENOSYS: the firmware has no AT#SLEEPMODE, not a failure */
	struct st87_sleepmode sleepmode;
	char sleepmode_error[256];

	struct st87_radio radio; /* each query's fields absent when the firmware does not know it */

	int socket_count; /* or a negative errno */
	struct st87_socket_info sockets[MAX_LISTED_SOCKETS];
	char sockets_error[256];
};

static void print_help(void)
{
	printf("Usage: st87ctl status [--json]\n"
	       "Show whether the modem answers, the state and addresses of its IP link\n"
	       "(AT#IPCFG?, AT+CGPADDR), its IP stack settings (AT#IPPARAMS?), whether\n"
	       "it sleeps (AT#SLEEPMODE?, \"unknown\" where the firmware has no such\n"
	       "command), the radio (AT+CGSN, AT+CGMR, AT+CESQ, AT+CSQ, AT+CEREG?,\n"
	       "AT+CSCON?, AT+CPSMS?, AT+CEDRXS?; what the firmware does not know is\n"
	       "left out) and the modem sockets in use (AT#SOCKETCREATE?). Changes\n"
	       "nothing on the modem. Through st87d, the daemon answers: each socket with\n"
	       "its program and bytes each way, the connects waiting for the TCP socket,\n"
	       "and each client program's bytes each way.\n\n"
	       "  --json     print one JSON object on stdout\n"
	       "  -h, --help this help\n\n%s",
	       st87ctl_exit_code_help);
}

/* Keeps libst87's account of a failed query, since the next query overwrites it. */
static void note_error(int err, char *out, size_t len)
{
	snprintf(out, len, "%s", err ? st87ctl_describe(err) : "");
}

static void gather(struct st87_modem *modem, struct modem_status *status)
{
	st87ctl_modem_path(modem, status->port, sizeof(status->port));
	status->cid = st87_modem_cid(modem);

	status->ipcfg_err = st87_ipcfg_read(modem, &status->ipcfg);
	note_error(status->ipcfg_err, status->ipcfg_error, sizeof(status->ipcfg_error));

	status->cgpaddr_err = st87_cgpaddr(modem, status->network_ipv4, status->network_ipv6);
	note_error(status->cgpaddr_err, status->cgpaddr_error, sizeof(status->cgpaddr_error));

	status->ipparams_err = st87_ipparams_read(modem, &status->ipparams);
	note_error(status->ipparams_err, status->ipparams_error, sizeof(status->ipparams_error));

	status->sleepmode_err = st87_sleepmode_read(modem, &status->sleepmode);
	note_error(status->sleepmode_err, status->sleepmode_error, sizeof(status->sleepmode_error));

	st87_radio_read(modem, &status->radio);

	status->socket_count = st87_socket_list(modem, status->sockets, MAX_LISTED_SOCKETS);
	note_error(status->socket_count < 0 ? status->socket_count : 0, status->sockets_error,
		   sizeof(status->sockets_error));
}

/* The worst exit code among the queries: no answer beats a modem error. */
static int status_exit_code(const struct modem_status *status)
{
	int errs[] = {status->ipcfg_err == -ENOENT ? 0 : status->ipcfg_err, status->cgpaddr_err,
		      status->ipparams_err, status->sleepmode_err == -ENOSYS ? 0 : status->sleepmode_err,
		      status->socket_count < 0 ? status->socket_count : 0};
	int code = st87ctl_radio_exit_code(&status->radio);
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		int this_code = errs[i] ? st87ctl_exit_for(errs[i]) : ST87CTL_EXIT_OK;
		if (this_code > code)
			code = this_code;
	}
	return code;
}

static const char *link_state(const struct modem_status *status)
{
	if (status->ipcfg_err == -ENOENT)
		return "not configured";
	if (status->ipcfg_err)
		return "unknown";
	switch (status->ipcfg.status) {
	case 0:
		return "down";
	case 1:
		return "up";
	case 2:
		return "deleted";
	default:
		return "unknown status";
	}
}

/* "yes", "no" or "unknown" (the firmware has no AT#SLEEPMODE). */
static const char *sleeps_word(const struct modem_status *status)
{
	if (status->sleepmode_err)
		return "unknown";
	return status->sleepmode.sleeps ? "yes" : "no";
}

/* <socket_status> of AT#SOCKETCREATE? in the note's words (section 3.8). */
static const char *socket_state(int status)
{
	static const char *const names[] = {
		"not assigned",
		"not activated",
		"activating",
		"activated",
		"UDP socket created",
		"raw link",
		"TCP socket not connected",
		"TCP socket connected",
	};
	return status >= 0 && status < (int)(sizeof(names) / sizeof(names[0])) ? names[status]
									       : "unknown status";
}

/* One "  Section  |        key: value" row, the way mmcli lays them out. */
static void row(const char *section, const char *key, const char *format, ...) ST87CTL_PRINTF(3, 4);
static void row(const char *section, const char *key, const char *format, ...)
{
	printf("  %-9s| %16s: ", section, key);
	va_list args;
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	putchar('\n');
}

static void rule(void)
{
	printf("  ------------------------------------------------\n");
}

static void radio_row(const char *section, const char *key, const char *value)
{
	row(section, key, "%s", value);
}

static const char *or_none(const char *address)
{
	return *address ? address : "none";
}

static void print_text(const struct modem_status *status)
{
	rule();
	row("Modem", "port", "%s", status->port);
	row("", "answers", "yes");
	rule();
	row("IP link", "context", "%d", status->cid);
	if (status->ipcfg_err && status->ipcfg_err != -ENOENT) {
		row("", "error", "%s", status->ipcfg_error);
	} else {
		row("", "state", "%s", link_state(status));
		if (status->ipcfg_err == 0) {
			row("", "IPv4", "%s", or_none(status->ipcfg.ipv4));
			row("", "IPv6", "%s", or_none(status->ipcfg.ipv6));
		}
	}
	rule();
	if (status->cgpaddr_err) {
		row("Network", "error", "%s", status->cgpaddr_error);
	} else {
		row("Network", "IPv4 (CGPADDR)", "%s", or_none(status->network_ipv4));
		row("", "IPv6 (CGPADDR)", "%s", or_none(status->network_ipv6));
	}
	rule();
	if (status->ipparams_err) {
		row("IP stack", "error", "%s", status->ipparams_error);
	} else {
		const struct st87_ipparams *params = &status->ipparams;
		row("IP stack", "auto IP", "%s", params->auto_ip ? "on" : "off");
		row("", "preferred", "%s", params->preferred_ip_version ? "IPv6" : "IPv4");
		row("", "periodicity", "%d s", params->max_ipstack_periodicity);
		row("", "auto-IP timeout", "%d s", params->auto_ip_timeout);
	}
	rule();
	if (status->sleepmode_err && status->sleepmode_err != -ENOSYS)
		row("Power", "error", "%s", status->sleepmode_error);
	else
		row("Power", "sleeps", "%s", sleeps_word(status));
	if (!status->sleepmode_err && status->sleepmode.hold_s >= 0)
		row("", "hold", "%d s", status->sleepmode.hold_s);
	rule();
	st87ctl_radio_print_text(&status->radio, radio_row);
	rule();
	if (status->socket_count < 0) {
		row("Sockets", "error", "%s", status->sockets_error);
	} else {
		row("Sockets", "in use", "%d", status->socket_count);
		for (int i = 0; i < status->socket_count && i < MAX_LISTED_SOCKETS; i++) {
			const struct st87_socket_info *socket = &status->sockets[i];
			char key[32];
			snprintf(key, sizeof(key), "socket %d", socket->socket_id);
			row("", key, "%s, context %d, %s (%d), UDP port %d", socket->type, socket->cid,
			    socket_state(socket->status), socket->status, socket->udp_port);
		}
	}
	rule();
}

/* An address as JSON: null when the modem gave none. */
static void json_address(const char *address)
{
	if (*address)
		st87ctl_json_string(stdout, address);
	else
		fputs("null", stdout);
}

static void json_error(const char *text)
{
	printf("{\"error\": ");
	st87ctl_json_string(stdout, text);
	printf("}");
}

static void print_json(const struct modem_status *status)
{
	printf("{\"port\": ");
	st87ctl_json_string(stdout, status->port);
	printf(", \"answers\": true, \"context\": %d,\n \"link\": ", status->cid);
	if (status->ipcfg_err && status->ipcfg_err != -ENOENT) {
		json_error(status->ipcfg_error);
	} else {
		printf("{\"state\": ");
		st87ctl_json_string(stdout, link_state(status));
		printf(", \"up\": %s, \"ipv4\": ",
		       status->ipcfg_err == 0 && status->ipcfg.status == 1 ? "true" : "false");
		json_address(status->ipcfg_err ? "" : status->ipcfg.ipv4);
		printf(", \"ipv6\": ");
		json_address(status->ipcfg_err ? "" : status->ipcfg.ipv6);
		printf("}");
	}
	printf(",\n \"network\": ");
	if (status->cgpaddr_err) {
		json_error(status->cgpaddr_error);
	} else {
		printf("{\"ipv4\": ");
		json_address(status->network_ipv4);
		printf(", \"ipv6\": ");
		json_address(status->network_ipv6);
		printf("}");
	}
	printf(",\n \"ipparams\": ");
	if (status->ipparams_err) {
		json_error(status->ipparams_error);
	} else {
		const struct st87_ipparams *params = &status->ipparams;
		printf("{\"auto_ip\": %s, \"preferred_ip_version\": \"%s\", "
		       "\"max_ipstack_periodicity\": %d, \"auto_ip_timeout\": %d}",
		       params->auto_ip ? "true" : "false",
		       params->preferred_ip_version ? "ipv6" : "ipv4", params->max_ipstack_periodicity,
		       params->auto_ip_timeout);
	}
	printf(",\n \"sleep\": ");
	if (status->sleepmode_err && status->sleepmode_err != -ENOSYS) {
		json_error(status->sleepmode_error);
	} else {
		/* null: unknown (no AT#SLEEPMODE). */
		const char *sleeps = sleeps_word(status);
		printf("{\"sleeps\": %s",
		       !strcmp(sleeps, "unknown")         ? "null"
			       : status->sleepmode.sleeps ? "true"
							  : "false");
		if (!status->sleepmode_err && status->sleepmode.hold_s >= 0)
			printf(", \"hold_s\": %d", status->sleepmode.hold_s);
		printf("}");
	}
	printf(",\n \"radio\": ");
	st87ctl_radio_print_json(stdout, &status->radio);
	printf(",\n \"sockets\": ");
	if (status->socket_count < 0) {
		json_error(status->sockets_error);
	} else {
		printf("{\"in_use\": %d, \"list\": [", status->socket_count);
		for (int i = 0; i < status->socket_count && i < MAX_LISTED_SOCKETS; i++) {
			const struct st87_socket_info *socket = &status->sockets[i];
			printf("%s{\"context\": %d, \"id\": %d, \"status\": %d, \"state\": \"%s\", "
			       "\"type\": ",
			       i ? ", " : "", socket->cid, socket->socket_id, socket->status,
			       socket_state(socket->status));
			st87ctl_json_string(stdout, socket->type);
			printf(", \"udp_port\": %d}", socket->udp_port);
		}
		printf("]}");
	}
	printf("}\n");
}

/*
 * Through st87d: its answer as st87ctl_via_daemon() prints it, and the radio
 * as st87d's engine reads it (no second opener of the port): a "radio" key
 * in the JSON object, a section after the text. -1 when no daemon serves.
 */
static int status_via_daemon(const struct st87ctl_globals *globals, bool json)
{
	char *said = NULL;
	size_t said_len = 0;
	FILE *out = open_memstream(&said, &said_len);
	if (!out)
		return st87ctl_via_daemon(globals, ST87D_STATUS, json);
	struct st87d_request request = {.kind = ST87D_STATUS};
	int code = st87ctl_daemon_request(globals, &request, json, out);
	fclose(out);
	bool whole_object = said_len >= 2 && strcmp(said + said_len - 2, "}\n") == 0;
	if (code != ST87CTL_EXIT_OK || (json && !whole_object)) {
		fputs(said, stdout);
		free(said);
		return code;
	}
	struct st87_radio radio;
	char why[320];
	int err = st87ctl_radio_from_daemon(globals->daemon_socket, &radio, why, sizeof(why));
	if (json) {
		printf("%.*s,\n \"radio\": ", (int)(said_len - 2), said);
		if (err)
			json_error(why);
		else
			st87ctl_radio_print_json(stdout, &radio);
		printf("}\n");
	} else {
		fputs(said, stdout);
		rule();
		if (err)
			row("Radio", "error", "%s", why);
		else
			st87ctl_radio_print_text(&radio, radio_row);
		rule();
	}
	free(said);
	return err ? st87ctl_exit_for(err) : st87ctl_radio_exit_code(&radio);
}

int st87ctl_status_run(const struct st87ctl_globals *globals, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool json = globals->json;
	int option;
	while ((option = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (option) {
		case 'j':
			json = true;
			break;
		case 'h':
			print_help();
			return ST87CTL_EXIT_OK;
		default:
			return st87ctl_bad_option("status", option, argv);
		}
	}
	if (optind < argc)
		return st87ctl_usage_error("status", "unexpected argument '%s'", argv[optind]);

	int code = status_via_daemon(globals, json);
	if (code >= 0)
		return code;
	struct st87_modem *modem = NULL;
	code = st87ctl_open_modem(globals, NULL, NULL, NULL, &modem);
	if (code != ST87CTL_EXIT_OK) {
		/* "Does the modem answer?" is itself the question status answers. */
		if (json) {
			printf("{\"port\": ");
			st87ctl_json_string(stdout, globals->port);
			printf(", \"answers\": false, \"error\": ");
			st87ctl_json_string(stdout, st87_last_error());
			printf("}\n");
		}
		return code;
	}
	struct modem_status status;
	memset(&status, 0, sizeof(status));
	gather(modem, &status);
	st87_modem_close(modem);
	if (json)
		print_json(&status);
	else
		print_text(&status);
	return status_exit_code(&status);
}
