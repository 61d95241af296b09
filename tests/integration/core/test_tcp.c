/*
 * TCP through the modem: a 100 KiB echo holding every byte value, on a
 * quiet modem, on a noisy one (echo, fragments, URCs, garbage) and with
 * hex payloads; and a peer that closes, announced by #IPRECV, by
 * #SOCKETCLOSED, or not at all (found by asking AT#TCPCONNECT?).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "echo_exchange.h"
#include "session.h"

#define ECHO_BYTES (100 * 1024)
/* More than the modem's receive buffer, so the peer's close waits behind flow control. */
#define PEER_CLOSE_BYTES 10000

static void assert_echo_complete(const struct echo_outcome *outcome, size_t len)
{
	if (outcome->error)
		fail_msg("%s returned %d (%s) after %zu bytes sent, %zu back: %s", outcome->failed_call,
			 outcome->error, st87_strerror(outcome->error), outcome->sent, outcome->received,
			 st87_last_error());
	assert_false(outcome->link_down);
	assert_false(outcome->stuck);
	assert_false(outcome->too_much);
	assert_int_equal(outcome->received, len);
}

static void test_tcp_echo(void **state)
{
	struct test_session *s = *state;
	uint8_t *out, *in;
	struct echo_outcome outcome;
	int id = echo_over_new_connection(s, ECHO_BYTES, &out, &in, &outcome);
	assert_echo_complete(&outcome, ECHO_BYTES);
	assert_memory_equal(in, out, ECHO_BYTES);
	assert_true(s->events.data[id] > 0);

	assert_int_equal(st87_socket_close(s->modem, id), 0);
	finish_session(s);
	assert_int_equal(stats_number(s, "payload_sent"), ECHO_BYTES);
	assert_int_equal(stats_number(s, "payload_received"), ECHO_BYTES);
}

/*
 * Reads the peer's bytes, then goes on until st87_read() finds the buffer
 * empty and st87_tcp_status() says 3. Between tries it waits for URCs
 * (returning early when one comes): without a close URC there is nothing
 * else to wait for.
 */
static void read_until_peer_closed(struct test_session *s, int id, uint8_t *in, size_t len)
{
	size_t received = 0;
	while (received < len) {
		int err = wait_until_readable(s, id);
		if (err)
			fail_msg("waiting for data after %zu of %zu bytes: %d (%s)", received, len, err,
				 st87_last_error());
		s->events.readable[id] = false;
		ssize_t n;
		while ((n = st87_read(s->modem, id, in + received, len - received)) > 0)
			received += (size_t)n;
		assert_true(n == 0);
	}

	long long give_up = monotonic_ms() + wait_limit_ms();
	for (;;) {
		uint8_t extra[64];
		assert_int_equal(st87_read(s->modem, id, extra, sizeof(extra)), 0);
		int status = st87_tcp_status(s->modem, id);
		if (status == 3)
			break;
		/* Connected still: the fake modem has not seen the close yet. */
		assert_int_equal(status, 5);
		if (monotonic_ms() > give_up)
			fail_msg("the peer's close was never reported (status still 5)");
		assert_int_equal(wait_for_urcs(s, 200), 0);
	}
	assert_int_equal(st87_read(s->modem, id, in, len), 0);
}

/* A peer that sends PEER_CLOSE_BYTES and closes; all of them must arrive before the EOF. */
static int receive_from_closing_peer(struct test_session *s)
{
	uint8_t *sent = session_buffer(s, PEER_CLOSE_BYTES);
	uint8_t *in = session_buffer(s, PEER_CLOSE_BYTES);
	fill_shuffled_bytes(sent, PEER_CLOSE_BYTES);
	assert_int_equal(loopback_server_start(&s->server, TCP_SEND_CLOSE_SERVER, sent,
					       PEER_CLOSE_BYTES),
			 0);
	open_started_modem(s);
	int id = connected_tcp_socket(s, s->server.port);

	read_until_peer_closed(s, id, in, PEER_CLOSE_BYTES);
	assert_memory_equal(in, sent, PEER_CLOSE_BYTES);
	/* st87.h: -EPIPE when the link is down. */
	assert_int_equal(st87_send_tcp(s->modem, id, sent, 10), -EPIPE);
	return id;
}

static void test_peer_close(void **state)
{
	struct test_session *s = *state;
	int id = receive_from_closing_peer(s);
	assert_int_equal(st87_socket_close(s->modem, id), 0);
	finish_session(s);
}

static const char *const noisy_switches[] = {"--echo", "--fragment", "--urc-noise", "--garbage", NULL};
/* The same, with echo that ATE0 does not turn off: every command line comes back. */
static const char *const noisier_switches[] = {"--echo",      "--ignore-ate0", "--fragment",
					       "--urc-noise", "--garbage",     NULL};
/* URCs between response lines, small reads and a small buffer: more URCs, more reads. */
static const char *const interleaved_switches[] = {"--urc-interleave", "--read-chunk", "512",
						   "--rx-buffer",      "1024",         NULL};
static const char *const no_close_urc_switches[] = {"--no-close-urc", NULL};
static const char *const socketclosed_urc_switches[] = {"--socketclosed-urc", NULL};
static struct session_config noisy = {.switches = noisy_switches};
static struct session_config hex = {.hex_send = true};
static struct session_config hex_noisier = {.switches = noisier_switches, .hex_send = true};
static struct session_config interleaved = {.switches = interleaved_switches};
static struct session_config no_close_urc = {.switches = no_close_urc_switches};
static struct session_config socketclosed_urc = {.switches = socketclosed_urc_switches};

SESSION_CASE(test_peer_close_announced_by_socketclosed, &socketclosed_urc)
{
	struct test_session *s = *state;
	int id = receive_from_closing_peer(s);
	/* The URC went out when the fake modem saw the close, so before the status 3. */
	assert_int_equal(s->events.peer_closed[id], 1);
	assert_int_equal(st87_socket_close(s->modem, id), 0);
	finish_session(s);
}

SESSION_CASE_NAMED("tcp_echo", test_tcp_echo, NULL)
SESSION_CASE_NAMED("tcp_echo_noisy_modem", test_tcp_echo, &noisy)
SESSION_CASE_NAMED("tcp_echo_hex", test_tcp_echo, &hex)
SESSION_CASE_NAMED("tcp_echo_hex_echoing_noisy_modem", test_tcp_echo, &hex_noisier)
SESSION_CASE_NAMED("tcp_echo_interleaved_urcs", test_tcp_echo, &interleaved)
SESSION_CASE_NAMED("peer_close_announced_by_iprecv", test_peer_close, NULL)
SESSION_CASE_NAMED("peer_close_without_urc", test_peer_close, &no_close_urc)

int main(int argc, char **argv)
{
	if (!take_fake_modem_path(argc, argv))
		return 1;
	return test_cases_run("libst87 tcp", NULL, NULL);
}
