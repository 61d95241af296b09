/*
 * A modem that misbehaves: one that stops answering (every call must come
 * back with -ETIMEDOUT at its deadline), and one that reboots in the middle
 * of a transfer (reported, not waited on; a new start-up brings it back).
 */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "echo_exchange.h"
#include "session.h"

/* Start-up takes fewer commands than this, so the fault comes after it. */
#define COMMANDS_BEFORE_STALL 20
#define COMMANDS_BEFORE_REBOOT 40
/* One st87_send_tcp() of this many bytes is 40 AT#IPSENDTCP: the reboot lands inside it. */
#define ONE_SEND_BYTES (40 * ST87_NOTE_SEND)
#define COMMANDS_BEFORE_REBOOT_IN_SEND 20
#define TEXT_OF(number) #number
#define SWITCH_VALUE(macro) TEXT_OF(macro)
#define ECHO_BYTES (100 * 1024)
#define ECHO_AFTER_REBOOT_BYTES 4096

static const char *const stall_switches[] = {"--stall-after", SWITCH_VALUE(COMMANDS_BEFORE_STALL), NULL};
static const char *const reboot_switches[] = {"--reboot-after", SWITCH_VALUE(COMMANDS_BEFORE_REBOOT),
					      NULL};
static const char *const reboot_in_send_switches[] = {"--reboot-after",
						      SWITCH_VALUE(COMMANDS_BEFORE_REBOOT_IN_SEND),
						      NULL};
static struct session_config reboot_in_send = {.switches = reboot_in_send_switches};
static struct session_config stall = {.switches = stall_switches, .scaled_deadlines = true};
static struct session_config reboot = {.switches = reboot_switches};

SESSION_CASE(test_stalled_modem_times_out, &stall)
{
	struct test_session *s = *state;
	open_started_modem(s);

	/* Cheap commands until the fake modem stops answering: the first unanswered one fails. */
	struct st87_ipcfg ipcfg;
	int err = 0;
	for (int i = 0; i < COMMANDS_BEFORE_STALL && !err; i++)
		err = st87_ipcfg_read(s->modem, &ipcfg);
	assert_int_equal(err, -ETIMEDOUT);
	assert_non_null(strstr(st87_last_error(), "no answer"));

	/* It stays silent, and every later call still comes back. */
	assert_int_equal(st87_socket_create(s->modem, 0, ST87_TCP, 0), -ETIMEDOUT);
	struct st87_socket_info sockets[SESSION_SOCKET_IDS];
	assert_int_equal(st87_socket_list(s->modem, sockets, SESSION_SOCKET_IDS), -ETIMEDOUT);
	finish_session(s);
}

SESSION_CASE(test_reboot_during_transfer, &reboot)
{
	struct test_session *s = *state;
	uint8_t *out, *in;
	struct echo_outcome outcome;
	int old_id = echo_over_new_connection(s, ECHO_BYTES, &out, &in, &outcome);
	assert_false(outcome.stuck);
	assert_false(outcome.too_much);
	assert_true(outcome.received < ECHO_BYTES);
	/* A call that was running got -ENETRESET, or the event came while none was. */
	bool reported = outcome.error == -ENETRESET ||
		(s->events.link_down > 0 && st87_modem_needs_start(s->modem));
	if (!reported)
		fail_msg("the reboot went unreported: %s returned %d (%s), LINK_DOWN events %u",
			 outcome.failed_call ? outcome.failed_call : "no call", outcome.error,
			 outcome.error ? st87_strerror(outcome.error) : "-", s->events.link_down);
	assert_true(st87_modem_needs_start(s->modem));
	/* The profile's first boot line: the note's #SIMST, the maker's #REBOOT_RESET. */
	assert_true(saw_unsolicited(s, "#SIMST:") || saw_unsolicited(s, "#REBOOT_RESET"));

	int err = st87_modem_start(s->modem, SESSION_LINK_TIMEOUT_MS, false);
	if (err)
		print_error("st87_modem_start after the reboot: %s\n", st87_last_error());
	assert_int_equal(err, 0);
	assert_false(st87_modem_needs_start(s->modem));
	/* The reboot closed every modem socket. */
	assert_int_equal(st87_socket_close(s->modem, old_id), -EBADF);

	int new_id = connected_tcp_socket(s, s->server.port);
	s->events.link_down = 0; /* the reboot's, already handled */
	echo_exchange(s, new_id, out, in, ECHO_AFTER_REBOOT_BYTES, &outcome);
	assert_int_equal(outcome.error, 0);
	assert_false(outcome.link_down);
	assert_int_equal(outcome.received, ECHO_AFTER_REBOOT_BYTES);
	assert_memory_equal(in, out, ECHO_AFTER_REBOOT_BYTES);
	assert_int_equal(st87_socket_close(s->modem, new_id), 0);
	finish_session(s);
	assert_int_equal(stats_number(s, "reboots"), 1);
}

SESSION_CASE(test_reboot_during_one_send, &reboot_in_send)
{
	struct test_session *s = *state;
	uint8_t *out = session_buffer(s, ONE_SEND_BYTES);
	fill_shuffled_bytes(out, ONE_SEND_BYTES);
	assert_int_equal(loopback_server_start(&s->server, TCP_ECHO_SERVER, NULL, 0), 0);
	open_started_modem(s);
	int id = connected_tcp_socket(s, s->server.port);

	/* st87.h: "Returns @p len or a negative errno": a short count would pass for success. */
	ssize_t sent = st87_send_tcp(s->modem, id, out, ONE_SEND_BYTES);
	if (sent >= 0 && sent != ONE_SEND_BYTES)
		fail_msg("st87_send_tcp returned %zd of %d bytes when the modem rebooted during it",
			 sent, ONE_SEND_BYTES);
	assert_int_equal(sent, -ENETRESET);
	assert_true(s->events.link_down > 0);
	assert_true(st87_modem_needs_start(s->modem));

	assert_int_equal(st87_modem_start(s->modem, SESSION_LINK_TIMEOUT_MS, false), 0);
	id = connected_tcp_socket(s, s->server.port);
	assert_int_equal(st87_socket_close(s->modem, id), 0);
	finish_session(s);
}

int main(int argc, char **argv)
{
	if (!take_fake_modem_path(argc, argv))
		return 1;
	return test_cases_run("libst87 faults", NULL, NULL);
}
