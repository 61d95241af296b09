/*
 * A byte stream through a connected modem TCP socket and back from an echo
 * server, the way a program would drive the driver: st87_send_tcp() in
 * pieces, and st87_read() whenever the on_event callback said DATA, with
 * st87_modem_poll() to wait. It keeps at most a window of bytes in flight,
 * so neither the modem's small receive buffer nor the echo server ever
 * blocks the other.
 */
#ifndef ST87_CORE_TESTS_ECHO_EXCHANGE_H
#define ST87_CORE_TESTS_ECHO_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

struct echo_outcome {
	int error;               /* the first negative errno a driver call returned, or 0 */
	const char *failed_call; /* which call returned it */
	bool link_down;          /* an ST87_EVENT_LINK_DOWN arrived */
	bool stuck;              /* nothing came for wait_limit_ms(): the driver or modem hung */
	bool too_much;           /* more bytes came back than were sent */
	size_t sent, received;
};

/*
 * Sends @p len bytes of @p out on @p socket_id and reads the echo into @p in
 * (at least @p len bytes). Stops at the first failure, described in @p outcome.
 */
void echo_exchange(struct test_session *s, int socket_id, const uint8_t *out, uint8_t *in, size_t len,
		   struct echo_outcome *outcome);

/*
 * An echo exchange of @p len shuffled bytes from the start: the loopback
 * echo server, the modem opened and started, a TCP socket connected to the
 * server, then echo_exchange() between *@p out and *@p in (the session's
 * buffers). Returns the socket's id.
 */
int echo_over_new_connection(struct test_session *s, size_t len, uint8_t **out, uint8_t **in,
			     struct echo_outcome *outcome);

#endif
