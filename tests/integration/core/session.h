/*
 * One test's world: a temporary directory, a fake modem started for the
 * test alone, the driver's handle on it, the events the driver reported,
 * and at most one loopback server. CMocka setup and teardown functions
 * build and tear it down, whatever happened in the test.
 */
#ifndef ST87_CORE_TESTS_SESSION_H
#define ST87_CORE_TESTS_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_modem.h"
#include "loopback_server.h"
#include "st87/st87.h"
#include "test_cases.h"

/* What st87_modem_start() is given to bring the link up (--auto-ip takes far less). */
#define SESSION_LINK_TIMEOUT_MS 10000

/* Socket ids the driver keeps state for (0..7); the fake modem uses 0..2. */
#define SESSION_SOCKET_IDS 8

/* What a test wants of its fake modem and driver; handed to the setup as CMocka's prestate. */
struct session_config {
	const char *const *switches; /* extra fake modem switches, NULL-terminated; may be NULL */
	bool hex_send;               /* st87_modem_options.hex_send */
	size_t max_send;             /* st87_modem_options.max_send (0: the default) */
	bool no_fake_modem;          /* the test opens a port that is not there */
	int sleep_hold_ms;           /* st87_modem_options.sleep_hold_ms (0: the default) */
	bool scaled_deadlines;       /* a tenth of the real deadlines, unless ST87_TEST_FULL_SCALE=1 */
};

struct event_log {
	unsigned data[SESSION_SOCKET_IDS];
	unsigned peer_closed[SESSION_SOCKET_IDS];
	/* A DATA or PEER_CLOSED event the test has not read after yet. */
	bool readable[SESSION_SOCKET_IDS];
	unsigned link_down, link_up;
	/* The first lines st87_modem_options.on_unsolicited saw. */
	char unsolicited[16][80];
	unsigned n_unsolicited;
};

struct test_session {
	const struct session_config *config;
	char dir[PATH_MAX / 2];
	char link_path[PATH_MAX];
	char stats_path[PATH_MAX];
	char fake_trace_path[PATH_MAX];   /* the fake modem's view of the traffic */
	char driver_trace_path[PATH_MAX]; /* the driver's view (st87_modem_options.trace_path) */
	struct fake_modem fake;
	struct st87_modem *modem;
	struct event_log events;
	struct loopback_server server;
	void *buffers[4];
};

/* A case run in its own session; @p config is a struct session_config pointer or NULL. */
#define SESSION_CASE(function, config) TEST_CASE_WITH(function, session_setup, session_teardown, config)
/* One function run as a case named @p name with @p config: for several configurations. */
#define SESSION_CASE_NAMED(name, function, config) \
	TEST_CASE_REGISTER(name, function, session_setup, session_teardown, config)

/* Takes the fake modem's path from argv[1] (or $ST87_FAKEMODEM); false, with a message, if none. */
bool take_fake_modem_path(int argc, char **argv);

/* CMocka setup: *state holds a struct session_config (or NULL), and gets the session. */
int session_setup(void **state);
/* CMocka teardown: closes the driver, stops the server and the fake modem, removes the files. */
int session_teardown(void **state);

/* Options for st87_modem_open() on this session's fake modem, events going to s->events. */
void session_options(struct test_session *s, struct st87_modem_options *options);

/* st87_modem_open() and st87_modem_start(); both must return 0. */
void open_started_modem(struct test_session *s);

/* st87_socket_create() (IPv4), which must succeed: the socket id. */
int create_socket(struct test_session *s, enum st87_proto proto);

/* A TCP socket connected to 127.0.0.1:@p port, status 5: its id. */
int connected_tcp_socket(struct test_session *s, int port);

/* A buffer freed by the teardown, so a failing assertion leaks nothing. */
uint8_t *session_buffer(struct test_session *s, size_t size);

/* Milliseconds on the monotonic clock. */
long long monotonic_ms(void);

/*
 * How long a test waits for something the fake modem will certainly do (a
 * URC after data arrived, say). Only a guard against hanging: reaching it
 * is a failure, never an expected outcome.
 */
int wait_limit_ms(void);

/*
 * Handles URCs (st87_modem_poll()) until socket @p socket_id has a DATA or
 * PEER_CLOSED event not yet acted on. 0; -ENETRESET once a LINK_DOWN event
 * came; -ETIME past wait_limit_ms(); or st87_modem_poll()'s error.
 */
int wait_until_readable(struct test_session *s, int socket_id);

/* One st87_modem_poll() of at most @p timeout_ms: returns early when a URC comes. */
int wait_for_urcs(struct test_session *s, int timeout_ms);

/*
 * The end of a test: closes the driver, stops the fake modem (which must
 * exit cleanly), and checks its stats file shows "open_sockets": 0.
 */
void finish_session(struct test_session *s);

/* The integer after "@p key": in the stats JSON, which the fake modem writes at exit. */
long stats_number(struct test_session *s, const char *key);

/* True if on_unsolicited saw a line starting with @p prefix. */
bool saw_unsolicited(const struct test_session *s, const char *prefix);

/* True if a command line the fake modem received ("> ..." in its trace) holds @p text. */
bool fake_modem_received(struct test_session *s, const char *text);

/* The fake modem's context id and largest send under its profile (ST87_FAKEMODEM_PROFILE). */
int profile_cid(void);
size_t profile_max_send(void);
/* @p format with the profile's context id for its one %d ("AT+CGPADDR=%d"), in a static buffer. */
const char *with_profile_cid(const char *format);

/* Fills @p data with i % 256 in a fixed shuffled order: every byte value, no pattern. */
void fill_shuffled_bytes(uint8_t *data, size_t len);

#endif
