/*
 * Socket bookkeeping: the modem's limit of 1 TCP and 2 UDP sockets, the
 * list of open sockets, closing (and closing what is not open), TCP
 * connects that are refused or already made, and start-up reclaiming the
 * sockets an earlier process left open.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "session.h"

SESSION_CASE(test_socket_limit, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	int tcp = create_socket(s, ST87_TCP);
	int udp_first = create_socket(s, ST87_UDP);
	int udp_second = create_socket(s, ST87_UDP);
	assert_true(tcp != udp_first && tcp != udp_second && udp_first != udp_second);

	assert_int_equal(st87_socket_create(s->modem, 0, ST87_TCP, 0), -EMFILE);
	assert_int_equal(st87_modem_last_cme(s->modem), 2150);
	assert_non_null(strstr(st87_last_error(), "TCP"));
	assert_non_null(strstr(st87_last_error(), "socket"));

	assert_int_equal(st87_socket_create(s->modem, 0, ST87_UDP, 0), -EMFILE);
	assert_int_equal(st87_modem_last_cme(s->modem), 2150);
	assert_non_null(strstr(st87_last_error(), "UDP"));

	assert_int_equal(st87_socket_close(s->modem, tcp), 0);
	assert_int_equal(st87_socket_close(s->modem, udp_first), 0);
	assert_int_equal(st87_socket_close(s->modem, udp_second), 0);
	finish_session(s);
}

static const struct st87_socket_info *find_socket(const struct st87_socket_info *sockets, int count,
						  int id)
{
	for (int i = 0; i < count; i++)
		if (sockets[i].socket_id == id)
			return &sockets[i];
	return NULL;
}

SESSION_CASE(test_socket_list_and_close, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	struct st87_socket_info sockets[SESSION_SOCKET_IDS];
	assert_int_equal(st87_socket_list(s->modem, sockets, SESSION_SOCKET_IDS), 0);

	int tcp = create_socket(s, ST87_TCP);
	int udp = create_socket(s, ST87_UDP);
	int count = st87_socket_list(s->modem, sockets, SESSION_SOCKET_IDS);
	assert_int_equal(count, 2);
	const struct st87_socket_info *listed = find_socket(sockets, count, tcp);
	assert_non_null(listed);
	assert_string_equal(listed->type, "TCP");
	assert_int_equal(listed->cid, profile_cid());
	listed = find_socket(sockets, count, udp);
	assert_non_null(listed);
	assert_string_equal(listed->type, "UDP");
	assert_int_equal(listed->cid, profile_cid());

	/* Room for one: the count still says how many there are. */
	assert_int_equal(st87_socket_list(s->modem, sockets, 1), 2);

	assert_int_equal(st87_socket_close(s->modem, tcp), 0);
	count = st87_socket_list(s->modem, sockets, SESSION_SOCKET_IDS);
	assert_int_equal(count, 1);
	assert_int_equal(sockets[0].socket_id, udp);
	assert_int_equal(st87_socket_close(s->modem, udp), 0);
	assert_int_equal(st87_socket_list(s->modem, sockets, SESSION_SOCKET_IDS), 0);

	/* Closed already, and never opened: both unknown to the modem. */
	assert_int_equal(st87_socket_close(s->modem, tcp), -EBADF);
	assert_int_equal(st87_modem_last_cme(s->modem), 2104);
	assert_int_equal(st87_socket_close(s->modem, 2), -EBADF);
	assert_int_equal(st87_modem_last_cme(s->modem), 2104);
	uint8_t byte;
	assert_int_equal(st87_read(s->modem, udp, &byte, 1), -EBADF);
	assert_int_equal(st87_read(s->modem, SESSION_SOCKET_IDS, &byte, 1), -EBADF);
	/* No TCP socket is listed: "3 if not listed". */
	assert_int_equal(st87_tcp_status(s->modem, tcp), 3);
	finish_session(s);
}

SESSION_CASE(test_refused_connect, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	int holder_fd = -1;
	int port = refusing_port(&holder_fd);
	assert_true(port > 0);

	int tcp = create_socket(s, ST87_TCP);
	int err = st87_tcp_connect(s->modem, tcp, "127.0.0.1", port);
	close(holder_fd);
	assert_int_equal(err, -ECONNREFUSED);
	assert_int_equal(st87_modem_last_cme(s->modem), 2152);
	assert_int_equal(st87_tcp_status(s->modem, tcp), 3);
	assert_int_equal(st87_socket_close(s->modem, tcp), 0);
	finish_session(s);
}

SESSION_CASE(test_connect_twice_is_eisconn, NULL)
{
	struct test_session *s = *state;
	assert_int_equal(loopback_server_start(&s->server, TCP_ECHO_SERVER, NULL, 0), 0);
	open_started_modem(s);
	int tcp = connected_tcp_socket(s, s->server.port);
	assert_int_equal(st87_tcp_connect(s->modem, tcp, "127.0.0.1", s->server.port), -EISCONN);
	assert_int_equal(st87_modem_last_cme(s->modem), 2157);
	assert_int_equal(st87_socket_close(s->modem, tcp), 0);
	finish_session(s);
}

/* A modem that takes its time to connect: the call waits for the link, within its deadline. */
static const char *const connect_delay_switches[] = {"--connect-delay", "1500", NULL};
static struct session_config connect_delay = {.switches = connect_delay_switches};

SESSION_CASE(test_slow_connect, &connect_delay)
{
	struct test_session *s = *state;
	assert_int_equal(loopback_server_start(&s->server, TCP_ECHO_SERVER, NULL, 0), 0);
	open_started_modem(s);
	int tcp = connected_tcp_socket(s, s->server.port);
	assert_int_equal(st87_socket_close(s->modem, tcp), 0);
	finish_session(s);
}

/* Sockets outlive the host process that made them; the next start-up with reclaim frees them. */
SESSION_CASE(test_start_reclaims_orphan_sockets, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	create_socket(s, ST87_TCP);
	create_socket(s, ST87_UDP);
	/* As if the process died: the port is let go, the modem's sockets are not closed. */
	st87_modem_close(s->modem);
	s->modem = NULL;

	struct st87_modem_options options;
	session_options(s, &options);
	assert_int_equal(st87_modem_open(&options, &s->modem), 0);
	assert_int_equal(st87_modem_start(s->modem, SESSION_LINK_TIMEOUT_MS, true), 0);
	struct st87_socket_info sockets[SESSION_SOCKET_IDS];
	assert_int_equal(st87_socket_list(s->modem, sockets, SESSION_SOCKET_IDS), 0);
	int tcp = create_socket(s, ST87_TCP);
	assert_int_equal(st87_socket_close(s->modem, tcp), 0);
	finish_session(s);
}

int main(int argc, char **argv)
{
	if (!take_fake_modem_path(argc, argv))
		return 1;
	return test_cases_run("libst87 sockets", NULL, NULL);
}
