#include "program_traffic.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t traffic_lock = PTHREAD_MUTEX_INITIALIZER;

struct client_entry {
	struct program_traffic traffic;
	unsigned long long last_active; /* the turn counter at its last byte: the least is replaced */
};

static struct client_entry clients[PROGRAM_TRAFFIC_CLIENTS];
static size_t client_count;
static unsigned long long turns;

/*
 * Each name is a time series the metrics' scraper keeps for good, and names
 * are the clients' own (any local user may start a program called anything),
 * so a client could otherwise make the scraper store without bound. The
 * first PROGRAM_TRAFFIC_NAMES names keep their label for st87d's life (a
 * series that vanished and came back would read as a counter reset); the
 * rest share PROGRAM_TRAFFIC_OTHER.
 */
static struct program_traffic names[PROGRAM_TRAFFIC_NAMES];
static size_t name_count;
static struct program_traffic other = {.name = PROGRAM_TRAFFIC_OTHER};

static const char *name_of(const struct routed_socket *s)
{
	return s->client_pid > 0 || s->client_program[0] ? s->client_program : PROGRAM_TRAFFIC_OWN;
}

static struct client_entry *client_entry(int pid, const char *name)
{
	struct client_entry *least = &clients[0];
	for (size_t i = 0; i < client_count; i++) {
		if (clients[i].traffic.pid == pid && !strcmp(clients[i].traffic.name, name))
			return &clients[i];
		if (clients[i].last_active < least->last_active)
			least = &clients[i];
	}
	struct client_entry *entry = client_count < PROGRAM_TRAFFIC_CLIENTS ? &clients[client_count++]
									    : least;
	memset(entry, 0, sizeof(*entry));
	entry->traffic.pid = pid;
	snprintf(entry->traffic.name, sizeof(entry->traffic.name), "%s", name);
	return entry;
}

static struct program_traffic *name_entry(const char *name)
{
	for (size_t i = 0; i < name_count; i++)
		if (!strcmp(names[i].name, name))
			return &names[i];
	if (name_count == PROGRAM_TRAFFIC_NAMES)
		return &other;
	struct program_traffic *entry = &names[name_count++];
	snprintf(entry->name, sizeof(entry->name), "%s", name);
	return entry;
}

void program_traffic_count(const struct routed_socket *s, size_t to_modem, size_t from_modem)
{
	const char *name = name_of(s);
	pthread_mutex_lock(&traffic_lock);
	struct client_entry *client = client_entry(s->client_pid, name);
	client->traffic.to_modem += to_modem;
	client->traffic.from_modem += from_modem;
	client->last_active = ++turns;
	struct program_traffic *by_name = name_entry(name);
	by_name->to_modem += to_modem;
	by_name->from_modem += from_modem;
	pthread_mutex_unlock(&traffic_lock);
}

size_t program_traffic_by_client(struct program_traffic *out, size_t most)
{
	pthread_mutex_lock(&traffic_lock);
	size_t given = 0;
	/* The most recent first: each pass takes the latest not yet given (a handful of entries). */
	for (unsigned long long below = turns + 1; given < most && given < client_count; given++) {
		const struct client_entry *latest = NULL;
		for (size_t i = 0; i < client_count; i++)
			if (clients[i].last_active < below &&
			    (!latest || clients[i].last_active > latest->last_active))
				latest = &clients[i];
		out[given] = latest->traffic;
		below = latest->last_active;
	}
	pthread_mutex_unlock(&traffic_lock);
	return given;
}

size_t program_traffic_by_name(struct program_traffic *out, size_t most)
{
	pthread_mutex_lock(&traffic_lock);
	size_t given = 0;
	for (; given < most && given < name_count; given++)
		out[given] = names[given];
	if (given < most && (other.to_modem || other.from_modem))
		out[given++] = other;
	pthread_mutex_unlock(&traffic_lock);
	return given;
}
