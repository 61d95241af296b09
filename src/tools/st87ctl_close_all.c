/*
 * st87ctl close-all: close every modem socket. Modem sockets outlive the
 * host process that made them (docs/PROTOCOL.md §6), and the modem has only
 * three; this frees the ones a crashed program left behind.
 */
#include <getopt.h>
#include <stdio.h>

#include "wire.h"
#include "st87ctl.h"

#define MAX_LISTED_SOCKETS 8

static void print_help(void)
{
	printf("Usage: st87ctl close-all\n"
	       "Close every socket the modem has open on its context (AT#SOCKETCREATE?,\n"
	       "then AT#SOCKETCLOSE for each) and say what was closed. A program still\n"
	       "using one of them loses it. While st87d serves the modem, st87d closes\n"
	       "them (for root or st87d's user) and their programs get ECONNABORTED.\n\n%s",
	       st87ctl_exit_code_help);
}

int st87ctl_close_all_run(const struct st87ctl_globals *globals, int argc, char **argv)
{
	int parsed = st87ctl_parse_no_arguments("close-all", argc, argv, print_help);
	if (parsed >= 0)
		return parsed;

	int code = st87ctl_via_daemon(globals, ST87D_CLOSE_ALL, false);
	if (code >= 0)
		return code;
	struct st87_modem *modem = NULL;
	code = st87ctl_open_modem(globals, NULL, NULL, NULL, &modem);
	if (code != ST87CTL_EXIT_OK)
		return code;
	/* Reading the link learns the modem's context id (5 on the note's firmware, 1 on others). */
	struct st87_ipcfg link;
	st87_ipcfg_read(modem, &link);
	struct st87_socket_info sockets[MAX_LISTED_SOCKETS];
	int count = st87_socket_list(modem, sockets, MAX_LISTED_SOCKETS);
	if (count < 0) {
		st87ctl_error("cannot list the modem's sockets: %s", st87ctl_describe(count));
		st87_modem_close(modem);
		return st87ctl_exit_for(count);
	}
	if (count > MAX_LISTED_SOCKETS)
		st87ctl_error("the modem lists %d sockets; closing the first %d", count,
			      MAX_LISTED_SOCKETS);
	int cid = st87_modem_cid(modem), closed = 0;
	for (int i = 0; i < count && i < MAX_LISTED_SOCKETS; i++) {
		const struct st87_socket_info *socket = &sockets[i];
		/* AT#SOCKETCLOSE names our context; a socket on another one is not ours to name. */
		if (socket->cid != cid) {
			printf("left socket %d (%s): it is on context %d, st87ctl uses %d\n",
			       socket->socket_id, socket->type, socket->cid, cid);
			continue;
		}
		int err = st87_socket_close(modem, socket->socket_id);
		if (err) {
			st87ctl_error("socket %d (%s): %s", socket->socket_id, socket->type,
				      st87ctl_describe(err));
			int this_code = st87ctl_exit_for(err);
			code = this_code > code ? this_code : code;
			if (this_code == ST87CTL_EXIT_NO_MODEM)
				break;
			continue;
		}
		printf("closed socket %d (%s)\n", socket->socket_id, socket->type);
		closed++;
	}
	if (count == 0)
		printf("no modem socket is open\n");
	else if (code == ST87CTL_EXIT_OK)
		printf("%d socket%s closed\n", closed, closed == 1 ? "" : "s");
	st87_modem_close(modem);
	return code;
}
