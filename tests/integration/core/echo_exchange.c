#include "echo_exchange.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* Not a multiple of 512, so the driver's chunking ends on short pieces too. */
#define SEND_PIECE 1900
#define WINDOW 8192

/* Read sizes taken in turn: some smaller than an #IPREAD block, so the driver keeps leftovers. */
static const size_t read_caps[] = {ST87_MAX_READ, 700, 1, 1500, 333};

static void failed(struct echo_outcome *outcome, const char *call, int error)
{
	outcome->error = error;
	outcome->failed_call = call;
}

/* Reads until the modem's buffer is empty. False when the exchange must stop. */
static bool read_available(struct test_session *s, int socket_id, uint8_t *in, size_t len,
			   struct echo_outcome *outcome)
{
	uint8_t bounce[ST87_MAX_READ];
	static size_t turn;
	s->events.readable[socket_id] = false;
	for (;;) {
		size_t cap = read_caps[turn++ % (sizeof(read_caps) / sizeof(read_caps[0]))];
		ssize_t n = st87_read(s->modem, socket_id, bounce, cap);
		if (n < 0) {
			failed(outcome, "st87_read", (int)n);
			return false;
		}
		if (n == 0)
			return true;
		if (outcome->received + (size_t)n > len) {
			outcome->too_much = true;
			return false;
		}
		memcpy(in + outcome->received, bounce, (size_t)n);
		outcome->received += (size_t)n;
	}
}

void echo_exchange(struct test_session *s, int socket_id, const uint8_t *out, uint8_t *in, size_t len,
		   struct echo_outcome *outcome)
{
	memset(outcome, 0, sizeof(*outcome));
	while (outcome->received < len) {
		if (s->events.link_down) {
			outcome->link_down = true;
			return;
		}
		size_t in_flight = outcome->sent - outcome->received;
		if (outcome->sent < len && in_flight < WINDOW) {
			size_t piece = len - outcome->sent;
			if (piece > SEND_PIECE)
				piece = SEND_PIECE;
			if (piece > WINDOW - in_flight)
				piece = WINDOW - in_flight;
			ssize_t n = st87_send_tcp(s->modem, socket_id, out + outcome->sent, piece);
			if (n < 0) {
				failed(outcome, "st87_send_tcp", (int)n);
				return;
			}
			/* A short count (a failure after some chunks went): like write(), go on. */
			outcome->sent += (size_t)n;
		} else {
			int err = wait_until_readable(s, socket_id);
			if (err == -ENETRESET) {
				outcome->link_down = true;
				return;
			}
			if (err == -ETIME) {
				outcome->stuck = true;
				return;
			}
			if (err) {
				failed(outcome, "st87_modem_poll", err);
				return;
			}
		}
		if (s->events.readable[socket_id] && !read_available(s, socket_id, in, len, outcome))
			return;
	}
}

int echo_over_new_connection(struct test_session *s, size_t len, uint8_t **out, uint8_t **in,
			     struct echo_outcome *outcome)
{
	*out = session_buffer(s, len);
	*in = session_buffer(s, len);
	fill_shuffled_bytes(*out, len);
	assert_int_equal(loopback_server_start(&s->server, TCP_ECHO_SERVER, NULL, 0), 0);
	open_started_modem(s);
	int id = connected_tcp_socket(s, s->server.port);
	echo_exchange(s, id, *out, *in, len, outcome);
	return id;
}
