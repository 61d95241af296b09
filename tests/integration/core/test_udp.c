/*
 * UDP through the modem: datagrams of 1 to 512 bytes, every byte value
 * among them, echoed back intact (binary and hex payloads); 513 bytes is
 * too many (or whatever st87_modem_options.max_send allows); and a
 * datagram read into a short buffer loses its tail, as recv() does.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"

/* Sizes that end on every awkward boundary; together they hold every byte value. */
static const size_t datagram_sizes[] = {1, 2, 17, 255, 256, 257, 300, 511, 512, 512};

static int open_udp_socket(struct test_session *s)
{
	assert_int_equal(loopback_server_start(&s->server, UDP_ECHO_SERVER, NULL, 0), 0);
	open_started_modem(s);
	return create_socket(s, ST87_UDP);
}

/* Sends one datagram to the echo server and reads its echo, which must be the same bytes. */
static void echo_datagram(struct test_session *s, int id, const uint8_t *data, size_t len)
{
	ssize_t sent = st87_send_udp(s->modem, id, "127.0.0.1", s->server.port, 0, data, len);
	if (sent < 0)
		print_error("st87_send_udp of %zu bytes: %s\n", len, st87_last_error());
	assert_int_equal(sent, (ssize_t)len);

	int err = wait_until_readable(s, id);
	if (err)
		fail_msg("no echo of a %zu-byte datagram: %d (%s)", len, err, st87_last_error());
	s->events.readable[id] = false;
	uint8_t echo[ST87_MAX_READ];
	assert_int_equal(st87_read(s->modem, id, echo, sizeof(echo)), (ssize_t)len);
	assert_memory_equal(echo, data, len);
	/* One datagram per read: nothing else is waiting. */
	assert_int_equal(st87_read(s->modem, id, echo, sizeof(echo)), 0);
}

static void test_udp_echo(void **state)
{
	struct test_session *s = *state;
	size_t total = 0;
	for (size_t i = 0; i < sizeof(datagram_sizes) / sizeof(datagram_sizes[0]); i++)
		total += datagram_sizes[i];
	uint8_t *data = session_buffer(s, total);
	fill_shuffled_bytes(data, total);
	int id = open_udp_socket(s);

	size_t offset = 0;
	for (size_t i = 0; i < sizeof(datagram_sizes) / sizeof(datagram_sizes[0]); i++) {
		echo_datagram(s, id, data + offset, datagram_sizes[i]);
		offset += datagram_sizes[i];
	}

	assert_int_equal(st87_socket_close(s->modem, id), 0);
	finish_session(s);
	assert_int_equal(stats_number(s, "payload_sent"), (long)total);
	assert_int_equal(stats_number(s, "udp_dropped"), 0);
}

SESSION_CASE(test_udp_datagram_too_big, NULL)
{
	struct test_session *s = *state;
	size_t largest = profile_max_send();
	uint8_t *data = session_buffer(s, largest + 1);
	fill_shuffled_bytes(data, largest + 1);
	int id = open_udp_socket(s);

	ssize_t sent = st87_send_udp(s->modem, id, "127.0.0.1", s->server.port, 0, data, largest + 1);
	assert_int_equal(sent, -EMSGSIZE);
	/* Refused before anything was sent: the socket still carries the largest datagram. */
	echo_datagram(s, id, data, largest);

	assert_int_equal(st87_socket_close(s->modem, id), 0);
	finish_session(s);
	assert_int_equal(stats_number(s, "payload_sent"), largest);
}

SESSION_CASE(test_udp_short_read_drops_the_rest, NULL)
{
	struct test_session *s = *state;
	uint8_t *data = session_buffer(s, ST87_NOTE_SEND);
	fill_shuffled_bytes(data, ST87_NOTE_SEND);
	int id = open_udp_socket(s);

	assert_int_equal(st87_send_udp(s->modem, id, "127.0.0.1", s->server.port, 0, data,
				       ST87_NOTE_SEND),
			 ST87_NOTE_SEND);
	assert_int_equal(wait_until_readable(s, id), 0);
	uint8_t head[100];
	assert_int_equal(st87_read(s->modem, id, head, sizeof(head)), (ssize_t)sizeof(head));
	assert_memory_equal(head, data, sizeof(head));
	assert_int_equal(st87_read(s->modem, id, head, sizeof(head)), 0);

	assert_int_equal(st87_socket_close(s->modem, id), 0);
	finish_session(s);
}

/* st87_modem_options.max_send lowers the largest datagram. */
static struct session_config hex = {.hex_send = true};
static struct session_config small_max_send = {.max_send = 200};

SESSION_CASE(test_udp_max_send_option, &small_max_send)
{
	struct test_session *s = *state;
	size_t max_send = s->config->max_send;
	uint8_t *data = session_buffer(s, max_send + 1);
	fill_shuffled_bytes(data, max_send + 1);
	int id = open_udp_socket(s);

	echo_datagram(s, id, data, max_send);
	assert_int_equal(st87_send_udp(s->modem, id, "127.0.0.1", s->server.port, 0, data, max_send + 1),
			 -EMSGSIZE);
	assert_int_equal(st87_socket_close(s->modem, id), 0);
	finish_session(s);
}

SESSION_CASE_NAMED("udp_echo", test_udp_echo, NULL)
SESSION_CASE_NAMED("udp_echo_hex", test_udp_echo, &hex)

int main(int argc, char **argv)
{
	if (!take_fake_modem_path(argc, argv))
		return 1;
	return test_cases_run("libst87 udp", NULL, NULL);
}
