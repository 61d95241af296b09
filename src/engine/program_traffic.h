/*
 * Payload bytes per program (program_traffic.c): counted on the engine
 * thread where engine_io.c moves them, read from any thread (its own lock,
 * taken with no other held). Two views: by client (pid and name, as
 * st87d's status names them), for st87ctl status and watch; by name alone,
 * for the metrics' bounded "program" label.
 */
#ifndef ST87_ENGINE_PROGRAM_TRAFFIC_H
#define ST87_ENGINE_PROGRAM_TRAFFIC_H

#include <stddef.h>

#include "routed_socket.h"

/* The metrics' label for the engine's own sockets (st87d's DNS queries for its clients' lookups). */
#define PROGRAM_TRAFFIC_OWN "st87d"
/* The metrics' label shared by the names after the first PROGRAM_TRAFFIC_NAMES. */
#define PROGRAM_TRAFFIC_OTHER "other"
#define PROGRAM_TRAFFIC_NAMES 32
#define PROGRAM_TRAFFIC_CLIENTS 32

struct program_traffic {
	int pid; /* 0: the engine's own, or by name alone */
	char name[ST87_PROCESS_NAME_SIZE];
	unsigned long long to_modem, from_modem;
};

/* Engine thread: @s's program moved @to_modem bytes to the modem and @from_modem from it. */
void program_traffic_count(const struct routed_socket *s, size_t to_modem, size_t from_modem);

/*
 * Up to @most clients (pid and name) into @out, the most recently active
 * first; the count given. Only the last PROGRAM_TRAFFIC_CLIENTS are kept.
 */
size_t program_traffic_by_client(struct program_traffic *out, size_t most);

/* Up to @most names into @out, in the order they first moved a byte, PROGRAM_TRAFFIC_OTHER last when used. */
size_t program_traffic_by_name(struct program_traffic *out, size_t most);

#endif
