/*
 * Payload per program (src/engine/program_traffic.c): the clients the most
 * recently active first, the least recent given up for a new one; the
 * metrics' names capped, the later ones sharing "other". The tables live
 * for the process, so the cases run in order, each on what the last left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "program_traffic.h"
#include "test_cases.h"

static void count_for(int pid, const char *program, size_t to_modem, size_t from_modem)
{
	struct sockaddr_in remote = {.sin_family = AF_INET, .sin_port = htons(80)};
	struct routed_socket *s = routed_socket_new(AF_INET, SOCK_STREAM, (struct sockaddr *)&remote,
						    sizeof(remote));
	assert_non_null(s);
	s->client_pid = pid;
	snprintf(s->client_program, sizeof(s->client_program), "%s", program);
	program_traffic_count(s, to_modem, from_modem);
	routed_socket_discard(s);
}

TEST_CASE(engine_own_sockets_are_st87d)
{
	(void)state;
	count_for(0, "", 5, 7);
	struct program_traffic clients[PROGRAM_TRAFFIC_CLIENTS];
	assert_int_equal(program_traffic_by_client(clients, PROGRAM_TRAFFIC_CLIENTS), 1);
	assert_int_equal(clients[0].pid, 0);
	assert_string_equal(clients[0].name, PROGRAM_TRAFFIC_OWN);
	assert_int_equal(clients[0].to_modem, 5);
	assert_int_equal(clients[0].from_modem, 7);
}

TEST_CASE(latest_client_first_and_the_least_recent_given_up)
{
	(void)state;
	char name[16];
	for (int pid = 100; pid < 100 + PROGRAM_TRAFFIC_CLIENTS; pid++) {
		snprintf(name, sizeof(name), "p%d", pid);
		count_for(pid, name, 1, 2);
	}
	struct program_traffic clients[PROGRAM_TRAFFIC_CLIENTS];
	size_t count = program_traffic_by_client(clients, PROGRAM_TRAFFIC_CLIENTS);
	assert_int_equal(count, PROGRAM_TRAFFIC_CLIENTS);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(clients[i].pid, 100 + PROGRAM_TRAFFIC_CLIENTS - 1 - (int)i);
	count_for(100, "p100", 10, 0);
	assert_int_equal(program_traffic_by_client(clients, 2), 2);
	assert_int_equal(clients[0].pid, 100);
	assert_int_equal(clients[0].to_modem, 11);
	assert_int_equal(clients[1].pid, 100 + PROGRAM_TRAFFIC_CLIENTS - 1);
	/* Same name, another pid: another client. */
	count_for(999, "p100", 1, 0);
	assert_int_equal(program_traffic_by_client(clients, 1), 1);
	assert_int_equal(clients[0].pid, 999);
	assert_int_equal(clients[0].to_modem, 1);
}

TEST_CASE(names_after_the_cap_share_other)
{
	(void)state;
	/* st87d and p100 to p130 have names of their own; p131, the 33rd name, went to "other". */
	struct program_traffic names[PROGRAM_TRAFFIC_NAMES + 1];
	assert_int_equal(program_traffic_by_name(names, PROGRAM_TRAFFIC_NAMES + 1),
			 PROGRAM_TRAFFIC_NAMES + 1);
	assert_string_equal(names[0].name, PROGRAM_TRAFFIC_OWN);
	assert_string_equal(names[1].name, "p100");
	assert_int_equal(names[1].to_modem, 12); /* both pids of p100 */
	assert_string_equal(names[PROGRAM_TRAFFIC_NAMES - 1].name, "p130");
	assert_string_equal(names[PROGRAM_TRAFFIC_NAMES].name, PROGRAM_TRAFFIC_OTHER);
	assert_int_equal(names[PROGRAM_TRAFFIC_NAMES].to_modem, 1);
	assert_int_equal(names[PROGRAM_TRAFFIC_NAMES].from_modem, 2);
	count_for(500, "newcomer", 4, 0);
	assert_int_equal(program_traffic_by_name(names, PROGRAM_TRAFFIC_NAMES + 1),
			 PROGRAM_TRAFFIC_NAMES + 1);
	assert_int_equal(names[PROGRAM_TRAFFIC_NAMES].to_modem, 5);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
