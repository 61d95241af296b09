/*
 * st87ctl through st87d: while the daemon holds the port, status and
 * close-all are its to answer (it knows which program holds each socket).
 * ST87_DAEMON as in the shim (st87ctl.c reads it with the shim's parser):
 * unset tries the default socket, a path requires that daemon, "off" always
 * uses the port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"
#include "st87ctl.h"

int st87ctl_via_daemon(const struct st87ctl_globals *globals, int kind, bool json)
{
	struct st87d_request request = {.kind = (uint32_t)kind};
	return st87ctl_daemon_request(globals, &request, json, stdout);
}

int st87ctl_daemon_request(const struct st87ctl_globals *globals, struct st87d_request *request,
			   bool json, FILE *out)
{
	if (!globals->daemon_socket)
		return -1;
	bool required = globals->daemon_required;
	const char *path = globals->daemon_socket;
	int connection = st87d_dial(path);
	if (connection < 0) {
		if (!required && (connection == -ENOENT || connection == -ECONNREFUSED))
			return -1;
		st87ctl_error("st87d at %s: %s", path, strerror(-connection));
		return ST87CTL_EXIT_NO_MODEM;
	}
	int err = st87d_send_request(connection, request, -1);
	struct st87d_reply reply;
	bool first = true;
	if (json) {
		fprintf(out, "{\"daemon\": ");
		st87ctl_json_string(out, path);
		fprintf(out, ", \"lines\": [");
	}
	int got = 0;
	/* An AT command's lines come when it has finished: wait as long as it may take, and a little. */
	int wait_ms = request->kind == ST87D_AT && request->timeout_ms > 0 ? request->timeout_ms + 10000
									   : 60000;
	while (!err && (got = st87d_receive_reply(connection, &reply, wait_ms)) == 1 &&
	       reply.kind == ST87D_TEXT) {
		if (json) {
			fprintf(out, "%s", first ? "" : ", ");
			st87ctl_json_string(out, reply.text);
		} else {
			fprintf(out, "%s\n", reply.text);
		}
		first = false;
	}
	bool answered = !err && got == 1 && (reply.kind == ST87D_ANSWER || reply.kind == ST87D_FAILED);
	bool other_version = got == -EPROTONOSUPPORT;
	if (json) {
		fprintf(out, "], \"error\": ");
		st87ctl_json_string(out,
				    answered                ? reply.text
					    : other_version ? ST87D_OTHER_VERSION
							    : "st87d did not answer");
		fprintf(out, "}\n");
	}
	close(connection);
	if (!answered && other_version) {
		st87ctl_error("st87d at %s: %s", path, ST87D_OTHER_VERSION);
		return ST87CTL_EXIT_NO_MODEM;
	}
	if (!answered) {
		st87ctl_error("st87d at %s did not answer", path);
		return ST87CTL_EXIT_NO_MODEM;
	}
	if (reply.error) {
		st87ctl_error("st87d: %s", reply.text);
		return reply.error == EACCES || reply.error == EPERM ? ST87CTL_EXIT_USAGE
								     : ST87CTL_EXIT_MODEM_ERROR;
	}
	return ST87CTL_EXIT_OK;
}

int st87ctl_daemon_lines(const char *socket_path, int kind, void (*take)(void *user, const char *line),
			 void *user, char *why, size_t why_len)
{
	int connection = st87d_dial(socket_path);
	if (connection < 0) {
		snprintf(why, why_len, "st87d at %s: %s", socket_path, strerror(-connection));
		return connection;
	}
	struct st87d_request request = {.kind = (uint32_t)kind};
	int err = st87d_send_request(connection, &request, -1);
	struct st87d_reply reply;
	int got = 0;
	/* The answer's lines come once its engine job ran: eight queries may take minutes on a slow modem. */
	while (!err && (got = st87d_receive_reply(connection, &reply, 180000)) == 1 &&
	       reply.kind == ST87D_TEXT)
		take(user, reply.text);
	close(connection);
	if (err || got != 1 || reply.kind != ST87D_ANSWER) {
		snprintf(why, why_len, "st87d at %s did not answer", socket_path);
		return err ? err : -EPROTO;
	}
	if (reply.error) {
		snprintf(why, why_len, "st87d: %s", reply.text);
		return -reply.error;
	}
	return 0;
}
