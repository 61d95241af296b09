/*
 * The line for the modem's one TCP socket (src/engine/tcp_queue.c): first
 * come first served, served only while no connection holds the socket, an
 * idle holder of the same program evicted, a quiet holder asked about, a
 * connect failed at its deadline with a line naming the holder. What the
 * line asks of the rest of the engine is wrapped (-Wl,--wrap): eviction's
 * verdict, eviction, the link check and a socket's failure, and the holder's
 * lookup (the moment a program may give up while the line looks); eviction's
 * own verdict (evict.c: whose connection may be taken) is tested through
 * __real_.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "engine_io.h"
#include "tcp_queue.h"
#include "test_cases.h"

/* A stand-in for the modem: the link check only needs one to be open. */
static struct st87_modem *const some_modem = (struct st87_modem *)&some_modem;

/* What the wrapped engine calls saw and answer. */
static int eviction_due_ms = -1;
static int failed_with, fail_calls, evict_calls, link_checks;
static bool link_check_finds_it_gone;

int __wrap_engine_eviction_due_ms(struct routed_socket *holder, const struct routed_socket *waiter,
				  long long now)
{
	(void)holder;
	(void)waiter;
	(void)now;
	return eviction_due_ms;
}

void __wrap_engine_evict(struct routed_socket *holder, const char *for_what)
{
	(void)for_what;
	evict_calls++;
	holder->modem_socket = -1;
}

void __wrap_engine_check_link(struct st87_modem *modem, struct routed_socket *s,
			      enum link_check_cause cause)
{
	(void)modem;
	(void)cause;
	link_checks++;
	s->link_checked_ms = st87_now_ms();
	if (link_check_finds_it_gone)
		s->modem_socket = -1;
}

void __wrap_engine_fail(struct routed_socket *s, int err)
{
	fail_calls++;
	failed_with = err;
	pthread_mutex_lock(&engine_lock);
	s->state = ROUTED_FAILED;
	s->error = err;
	pthread_mutex_unlock(&engine_lock);
}

/* A connect whose program gives up (its blocking wait ran out) while the line looks at it; NULL none. */
static struct routed_socket *gives_up_while_looked_at;

struct routed_socket *__real_engine_tcp_holder(struct routed_socket *sockets);

/* Called between the line's look at its first (still waiting?) and that one's turn: the program's moment. */
struct routed_socket *__wrap_engine_tcp_holder(struct routed_socket *sockets)
{
	struct routed_socket *s = gives_up_while_looked_at;
	gives_up_while_looked_at = NULL;
	if (s) {
		/* As route_socket.c wait_connected does, under the same lock: only while it is in line. */
		pthread_mutex_lock(&engine_lock);
		if (s->waiting_for_tcp) {
			s->state = ROUTED_FAILED;
			s->error = ETIMEDOUT;
		}
		pthread_mutex_unlock(&engine_lock);
	}
	return __real_engine_tcp_holder(sockets);
}

static struct routed_socket *records[8];
static int record_count;

/* A TCP socket to 192.0.2.1:@port, its pair end open (a stand-in number), no modem socket yet. */
static struct routed_socket *tcp_socket(int port, struct routed_socket *sockets)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
	struct routed_socket *s = routed_socket_new(AF_INET, SOCK_STREAM, (struct sockaddr *)&to,
						    sizeof(to));
	assert_non_null(s);
	s->engine_fd = 1000 + port;
	s->next = sockets;
	records[record_count++] = s;
	return s;
}

/* @s holds the modem's TCP socket, quiet since @quiet_since_ms. */
static void holds(struct routed_socket *s, long long quiet_since_ms)
{
	s->modem_socket = 0;
	s->state = ROUTED_CONNECTED;
	s->last_traffic_ms = quiet_since_ms;
}

static int fresh(void **state)
{
	(void)state;
	tcp_queue_forget();
	record_count = 0;
	eviction_due_ms = -1;
	failed_with = fail_calls = evict_calls = link_checks = 0;
	link_check_finds_it_gone = false;
	gives_up_while_looked_at = NULL;
	engine_settings_given.connect_timeout_ms = 60000;
	return 0;
}

static int free_records(void **state)
{
	(void)state;
	for (int i = 0; i < record_count; i++)
		routed_socket_discard(records[i]);
	return 0;
}

TEST_CASE_FIXED(test_first_come_first_served_once_the_socket_is_free, fresh, free_records)
{
	(void)state;
	long long now = st87_now_ms();
	struct routed_socket *holder = tcp_socket(1, NULL);
	holds(holder, now);
	struct routed_socket *a = tcp_socket(2, holder), *b = tcp_socket(3, a), *c = tcp_socket(4, b);
	struct routed_socket *sockets = c;
	tcp_queue_add(a, sockets);
	tcp_queue_add(b, sockets);
	tcp_queue_add(c, sockets);
	assert_int_equal(tcp_queue_place(a), 1);
	assert_int_equal(tcp_queue_place(c), 3);
	assert_true(a->waiting_for_tcp);
	assert_null(tcp_queue_next(some_modem, sockets, now));

	holder->modem_socket = -1; /* its program closed it: the loop finished it */
	assert_ptr_equal(tcp_queue_next(some_modem, sockets, now), a);
	assert_false(a->waiting_for_tcp);
	assert_int_equal(tcp_queue_place(b), 1);
	holds(a, now);
	assert_null(tcp_queue_next(some_modem, sockets, now));
	a->modem_socket = -1;
	assert_ptr_equal(tcp_queue_next(some_modem, sockets, now), b);
	b->modem_socket = -1;
	assert_ptr_equal(tcp_queue_next(some_modem, sockets, now), c);
	assert_null(tcp_queue_next(some_modem, sockets, now));
	assert_int_equal(fail_calls + evict_calls + link_checks, 0);
}

TEST_CASE_FIXED(test_a_connect_that_went_away_leaves_the_line, fresh, free_records)
{
	(void)state;
	long long now = st87_now_ms();
	struct routed_socket *holder = tcp_socket(1, NULL);
	holds(holder, now);
	struct routed_socket *gone = tcp_socket(2, holder), *failed = tcp_socket(3, gone),
			     *next = tcp_socket(4, failed);
	tcp_queue_add(gone, next);
	tcp_queue_add(failed, next);
	tcp_queue_add(next, next);
	gone->program_done = true;     /* its program closed the fd */
	failed->state = ROUTED_FAILED; /* the modem was lost, say */
	holder->modem_socket = -1;
	assert_ptr_equal(tcp_queue_next(some_modem, next, now), next);
	assert_false(gone->waiting_for_tcp);
	assert_false(failed->waiting_for_tcp);

	/* Retired from the middle of the line. */
	struct routed_socket *x = tcp_socket(5, next), *y = tcp_socket(6, x), *z = tcp_socket(7, y);
	holds(next, now);
	tcp_queue_add(x, z);
	tcp_queue_add(y, z);
	tcp_queue_add(z, z);
	tcp_queue_remove(y);
	assert_int_equal(tcp_queue_place(y), 0);
	assert_int_equal(tcp_queue_place(z), 2);
	tcp_queue_remove(z);
	tcp_queue_add(y, z); /* the end of the line is still known */
	assert_int_equal(tcp_queue_place(y), 2);
}

TEST_CASE_FIXED(test_a_connect_given_up_while_its_turn_comes_is_not_connected, fresh, free_records)
{
	(void)state;
	long long now = st87_now_ms();
	struct routed_socket *a = tcp_socket(1, NULL), *b = tcp_socket(2, a);
	tcp_queue_add(a, b);
	tcp_queue_add(b, b);
	/* The socket is free: a's turn, but its program's wait runs out just as the line looks. */
	gives_up_while_looked_at = a;
	assert_ptr_equal(tcp_queue_next(some_modem, b, now), b);
	assert_false(a->waiting_for_tcp);
	assert_int_equal(tcp_queue_place(a), 0);
	assert_int_equal(a->state, ROUTED_FAILED);
	/* Once its turn is taken, the program's timeout no longer fails it: the engine's verdict stands. */
	assert_false(b->waiting_for_tcp);
	gives_up_while_looked_at = b;
	__wrap_engine_tcp_holder(b);
	assert_int_equal(b->state, ROUTED_CONNECTING);
}

TEST_CASE_FIXED(test_an_idle_holder_of_the_same_program_gives_the_socket_up, fresh, free_records)
{
	(void)state;
	long long now = st87_now_ms();
	struct routed_socket *holder = tcp_socket(1, NULL);
	holds(holder, now);
	struct routed_socket *waiter = tcp_socket(2, holder);
	tcp_queue_add(waiter, waiter);
	eviction_due_ms = 150;
	assert_null(tcp_queue_next(some_modem, waiter, now));
	assert_int_equal(tcp_queue_due_ms(waiter, now), now + 150);
	eviction_due_ms = 0;
	assert_ptr_equal(tcp_queue_next(some_modem, waiter, now), waiter);
	assert_int_equal(evict_calls, 1);
}

TEST_CASE_FIXED(test_a_quiet_holder_is_asked_about_once_per_quiet_spell, fresh, free_records)
{
	(void)state;
	long long now = st87_now_ms();
	struct routed_socket *holder = tcp_socket(1, NULL);
	holds(holder, now - 500);
	struct routed_socket *waiter = tcp_socket(2, holder);
	tcp_queue_add(waiter, waiter);
	/* Another program's (never evicted): asked about after 2 s of quiet, not before. */
	assert_null(tcp_queue_next(some_modem, waiter, now));
	assert_int_equal(link_checks, 0);
	assert_int_equal(tcp_queue_due_ms(waiter, now), now - 500 + 2000);
	assert_null(tcp_queue_next(NULL, waiter, now + 1600)); /* no modem open: nothing to ask */
	assert_int_equal(link_checks, 0);
	assert_null(tcp_queue_next(some_modem, waiter, now + 1600));
	assert_int_equal(link_checks, 1);
	/* The wrapped check stamps the real clock, not the test's. */
	holder->link_checked_ms = now + 1600;
	/* Once per quiet spell: the question is not traffic, and is not asked again while it stays quiet. */
	assert_int_equal(holder->last_traffic_ms, now - 500);
	assert_null(tcp_queue_next(some_modem, waiter, now + 1700));
	assert_null(tcp_queue_next(some_modem, waiter, now + 9000));
	assert_int_equal(link_checks, 1);
	/* Only the waiter's deadline is due (ST87_CONNECT_TIMEOUT from when it joined). */
	assert_int_equal(tcp_queue_due_ms(waiter, now + 9000), waiter->queued_ms + 60000);
	/* New traffic starts a new spell: asked again 2 s after it. */
	holder->last_traffic_ms = now + 9000;
	assert_int_equal(tcp_queue_due_ms(waiter, now + 9000), now + 11000);
	assert_null(tcp_queue_next(some_modem, waiter, now + 10999));
	assert_int_equal(link_checks, 1);
	assert_null(tcp_queue_next(some_modem, waiter, now + 11000));
	assert_int_equal(link_checks, 2);
	/* Bytes still on their way to its program: not asked (the read would go where they wait). */
	holder->last_traffic_ms = now - 5000;
	holder->link_checked_ms = 0;
	holder->inbound_len = 10;
	assert_null(tcp_queue_next(some_modem, waiter, now));
	assert_int_equal(link_checks, 2);
	holder->inbound_len = 0;
	/* The modem says it is gone: the waiter's turn. */
	link_check_finds_it_gone = true;
	assert_ptr_equal(tcp_queue_next(some_modem, waiter, now), waiter);
	assert_int_equal(link_checks, 3);
}

int __real_engine_eviction_due_ms(struct routed_socket *holder, const struct routed_socket *waiter,
				  long long now);

/* Whose connection eviction may take (evict.c): the same program's only; "don't know" is another's. */
TEST_CASE_FIXED(test_eviction_takes_only_the_same_programs_connection, fresh, free_records)
{
	(void)state;
	long long now = st87_now_ms();
	engine_settings_given.tcp_evict_idle_ms = 200;
	struct routed_socket *holder = tcp_socket(1, NULL), *waiter = tcp_socket(2, holder);
	holds(holder, now);
	/* In a program's own engine every socket is its own (busy here: looked at again soon, not never). */
	assert_int_not_equal(__real_engine_eviction_due_ms(holder, waiter, now), -1);
	/* st87d: the same pid is the same program; another pid is not. */
	holder->of_client = waiter->of_client = true;
	holder->client_pid = waiter->client_pid = 4242;
	assert_int_not_equal(__real_engine_eviction_due_ms(holder, waiter, now), -1);
	waiter->client_pid = 4243;
	assert_int_equal(__real_engine_eviction_due_ms(holder, waiter, now), -1);
	/* pid 0 (another pid namespace) is never the same program, its client's connection open or closed. */
	holder->client_pid = waiter->client_pid = 0;
	holder->client_fd = -1;
	assert_int_equal(__real_engine_eviction_due_ms(holder, waiter, now), -1);
	engine_settings_given.tcp_evict_idle_ms = 0;
}

TEST_CASE_FIXED(test_the_deadline_fails_the_connect_naming_the_holder, fresh, free_records)
{
	(void)state;
	long long now = st87_now_ms();
	struct routed_socket *holder = tcp_socket(1, NULL);
	holds(holder, now);
	holder->client_pid = 4242;
	snprintf(holder->client_program, sizeof(holder->client_program), "mosquitto_sub");
	struct routed_socket *soon = tcp_socket(2, holder), *later = tcp_socket(3, soon);
	soon->connect_deadline_ms = now + 1000;
	tcp_queue_add(soon, later);
	tcp_queue_add(later, later); /* no deadline of its own: ST87_CONNECT_TIMEOUT from joining */
	assert_int_equal(tcp_queue_due_ms(later, now), now + 1000);
	assert_null(tcp_queue_next(some_modem, later, now + 999));
	assert_int_equal(fail_calls, 0);
	assert_null(tcp_queue_next(some_modem, later, now + 1000));
	assert_int_equal(fail_calls, 1);
	assert_int_equal(failed_with, ETIMEDOUT);
	assert_int_equal(tcp_queue_place(soon), 0);
	assert_int_equal(tcp_queue_place(later), 1);
	assert_non_null(strstr(st87_last_error(), "only TCP socket (ST87_CONNECT_TIMEOUT)"));
	assert_non_null(
		strstr(st87_last_error(), "TCP 192.0.2.1:1 of pid 4242 (mosquitto_sub) holds it"));
	/* Now the holder, quiet, is what the line waits on: its check is due before the other deadline. */
	assert_int_equal(tcp_queue_due_ms(later, now), now + 2000);

	/* A program that gave up first (its own wait ran out) said so: no second line, the record just goes. */
	later->connect_deadline_ms = now + 10;
	later->state = ROUTED_FAILED;
	st87_fail(-EIO, "unchanged");
	assert_null(tcp_queue_next(some_modem, later, now + 10));
	assert_int_equal(fail_calls, 2);
	assert_string_equal(st87_last_error(), "unchanged");
}

static void fail_it(struct routed_socket *s)
{
	__wrap_engine_fail(s, ENETDOWN);
}

TEST_CASE_FIXED(test_the_exit_empties_the_line, fresh, free_records)
{
	(void)state;
	long long now = st87_now_ms();
	struct routed_socket *holder = tcp_socket(1, NULL);
	holds(holder, now);
	struct routed_socket *a = tcp_socket(2, holder), *b = tcp_socket(3, a);
	tcp_queue_add(a, b);
	tcp_queue_add(b, b);
	tcp_queue_drain(fail_it);
	assert_int_equal(fail_calls, 2);
	assert_int_equal(tcp_queue_place(a) + tcp_queue_place(b), 0);
	assert_int_equal(tcp_queue_due_ms(b, now), -1);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
