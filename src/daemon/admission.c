/* st87d: who gets a thread for a request (admission.h). */
#include "admission.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "wire.h"

/* Enough for a request's own work; the engine's jobs run on the engine's thread. */
#define REQUEST_STACK_BYTES (256 * 1024)
/* A flood is logged once a second at most, with a count, not a line per connection. */
#define REFUSAL_LOG_INTERVAL_MS 1000

struct open_count {
	uid_t uid;
	int open;
};

/* One entry per uid with requests open: there are never more than ADMISSION_TOTAL. */
static struct {
	pthread_mutex_t lock;
	struct open_count by_uid[ADMISSION_TOTAL];
	int total;
	long long last_refusal_log_ms;
	int refused_unlogged;
} admission = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct request_thread {
	int connection;
	struct ucred credentials;
	const struct access_policy *policy;
};

static struct open_count *count_of(uid_t uid)
{
	struct open_count *free_entry = NULL;
	for (size_t i = 0; i < ADMISSION_TOTAL; i++) {
		if (admission.by_uid[i].open > 0 && admission.by_uid[i].uid == uid)
			return &admission.by_uid[i];
		if (!free_entry && admission.by_uid[i].open == 0)
			free_entry = &admission.by_uid[i];
	}
	if (free_entry)
		free_entry->uid = uid;
	return free_entry;
}

/* Takes a place for one request of @uid; false with @why when its share (or st87d's) is taken. */
static bool take_place(uid_t uid, char *why, size_t why_len)
{
	pthread_mutex_lock(&admission.lock);
	struct open_count *count = admission.total < ADMISSION_TOTAL ? count_of(uid) : NULL;
	bool taken = count && count->open < ADMISSION_PER_UID;
	if (taken) {
		count->open++;
		admission.total++;
	} else if (count) {
		snprintf(why, why_len, "uid %d has %d open requests already, the most one user may have",
			 (int)uid, ADMISSION_PER_UID);
	} else {
		snprintf(why, why_len, "st87d has %d open requests already, the most it serves at once",
			 ADMISSION_TOTAL);
	}
	pthread_mutex_unlock(&admission.lock);
	return taken;
}

static void give_place_back(uid_t uid)
{
	pthread_mutex_lock(&admission.lock);
	struct open_count *count = count_of(uid);
	if (count && count->open > 0) {
		count->open--;
		admission.total--;
	}
	pthread_mutex_unlock(&admission.lock);
}

static void *serve_request(void *argument)
{
	struct request_thread *request = argument;
	serve_client(request->connection, &request->credentials, request->policy);
	give_place_back(request->credentials.uid);
	free(request);
	return NULL;
}

static void log_refusal(const struct ucred *peer, const char *why)
{
	pthread_mutex_lock(&admission.lock);
	long long now = st87_now_ms();
	bool due = now - admission.last_refusal_log_ms >= REFUSAL_LOG_INTERVAL_MS;
	int also = admission.refused_unlogged;
	if (due) {
		admission.last_refusal_log_ms = now;
		admission.refused_unlogged = 0;
	} else {
		admission.refused_unlogged++;
	}
	pthread_mutex_unlock(&admission.lock);
	if (due && also > 0)
		st87_log(ST87_LOG_WARN,
			 "pid %d refused: %s (and %d more connections since the last such line)",
			 (int)peer->pid, why, also);
	else if (due)
		st87_log(ST87_LOG_WARN, "pid %d refused: %s", (int)peer->pid, why);
}

/* Answered at once: the refusal never waits on the client (its connection is fresh, and non-blocking). */
static void refuse(int connection, const struct ucred *peer, int err, const char *why)
{
	log_refusal(peer, why);
	fcntl(connection, F_SETFL, O_NONBLOCK);
	st87d_send_reply(connection, ST87D_FAILED, err, why);
	close(connection);
}

static bool start_thread(struct request_thread *request)
{
	pthread_attr_t attributes;
	if (pthread_attr_init(&attributes) != 0)
		return false;
	pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attributes, REQUEST_STACK_BYTES);
	pthread_t thread;
	bool started = pthread_create(&thread, &attributes, serve_request, request) == 0;
	pthread_attr_destroy(&attributes);
	return started;
}

void admit_client(int connection, const struct access_policy *policy)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);
	if (getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) {
		close(connection);
		return;
	}
	char why[160];
	if (!take_place(peer.uid, why, sizeof(why))) {
		refuse(connection, &peer, EAGAIN, why);
		return;
	}
	struct request_thread *request = malloc(sizeof(*request));
	if (request)
		*request = (struct request_thread){.connection = connection,
						   .credentials = peer,
						   .policy = policy};
	if (!request || !start_thread(request)) {
		free(request);
		give_place_back(peer.uid);
		refuse(connection, &peer, EAGAIN, "st87d cannot start a thread for the request");
	}
}
