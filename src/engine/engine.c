/*
 * The engine thread: owns the serial port and the engine's ends of every
 * routed socket's pair, and bridges the two.
 *
 * One loop: poll() over the wake-up eventfd, the serial port and the pairs;
 * then take new sockets (create + connect on the modem), move what the
 * program wrote to the modem (AT#IPSEND*), and what the modem holds to the
 * program (AT#IPREAD), reading the modem only while the pair has room: the
 * pair's buffer is the back-pressure. The modem does one command at a time,
 * so doing the AT work synchronously here loses nothing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "engine_host.h"
#include "engine_io.h"
#include "engine_metrics.h"
#include "engine_modem.h"
#include "internal.h"
#include "monotonic.h"
#include "routed_address.h"
#include "socket_outcome.h"
#include "tcp_queue.h"
#include "libc_calls.h"

/* How long the modem may take to bring its IP link up at start. */
#define LINK_UP_TIMEOUT_MS 30000

struct engine {
	/* The engine thread's alone (its modem and sockets: engine_modem.h). */
	char open_error[256];
	/* The last attempt to open or start the modem failed, with this error (ensure_modem). */
	bool last_attempt_failed;
	int open_failed_err;

	/* Shared with the program's threads, under engine_lock. */
	bool started;
	pthread_t thread;
	int wake_fd;
	struct routed_socket *pending; /* handed over, not yet taken by the engine */
	struct engine_job *jobs;       /* handed over, not yet run */
	unsigned failed_attempts; /* to open or start the modem, ever: a request notes it when handed over */
	bool exiting;
	long long exit_progress_ms; /* when the exit began, or its flush last moved a byte or closed a socket */
	bool exit_stalled;          /* no progress for ST87_EXIT_FLUSH_TIMEOUT: stop flushing, close */
	/* The engine thread runs a job with exit_need_not_wait: its socket list stands still meanwhile. */
	bool in_job_exit_need_not_wait;
	bool done;
	pthread_cond_t changed; /* a job finished, or the engine did */
};

static struct engine engine = {.wake_fd = -1};
/* Held while the thread starts: the wake-up fd is given to the host before engine_lock is taken. */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
/* initial-exec: a preloaded host reads it on every intercepted call without a __tls_get_addr call. */
__attribute__((tls_model("initial-exec"))) _Thread_local bool on_engine_thread;

static int start_engine(void);
static void wake_engine(void);
static bool exit_asked(void);
static int unsent_bytes(const struct routed_socket *s);

void engine_init(const struct engine_settings *settings, const struct engine_host *hooks)
{
	engine_host_keep(settings, hooks);
	monotonic_cond_init(&engine.changed);
}

void engine_thread_after_fork_in_child(void)
{
	/* The threads that queued jobs are not in the child; their memory is left alone. */
	memset(&engine, 0, sizeof(engine));
	engine.wake_fd = -1;
	monotonic_cond_init(&engine.changed);
	pthread_mutex_init(&start_lock, NULL);
}

static struct routed_socket *find_by_modem_socket(int modem_socket)
{
	for (struct routed_socket *s = engine_sockets; s; s = s->next)
		if (s->modem_socket == modem_socket)
			return s;
	return NULL;
}

static void on_modem_event(void *user, enum st87_event_kind kind, int modem_socket)
{
	(void)user;
	struct routed_socket *s = modem_socket >= 0 ? find_by_modem_socket(modem_socket) : NULL;
	switch (kind) {
	case ST87_EVENT_DATA:
		if (s) {
			s->data_waiting = true;
			s->urc_since_status = true;
			s->urc_unread = true;
		}
		break;
	case ST87_EVENT_PEER_CLOSED:
		engine_closes_are_announced("#SOCKETCLOSED");
		if (s) {
			s->data_waiting = true;
			s->peer_closed = true;
		}
		break;
	case ST87_EVENT_LINK_DOWN:
	case ST87_EVENT_LINK_UP:
		break;
	}
}

/* ST87_SLEEP_HOLD as libst87 takes it: negative "never sleeps", 0 (with ask_sleep_hold) "ask the modem". */
static int sleep_hold_ms(int seconds)
{
	if (seconds == SHIM_CONFIG_SLEEP_HOLD_ASK)
		return 0;
	return seconds ? seconds * 1000 : -1;
}

static int open_modem(void)
{
	const struct engine_settings *given = &engine_settings_given;
	struct st87_modem_options options = {
		.port = given->port,
		.baud = given->baud,
		.rtscts = given->rtscts,
		.hex_send = given->hex_payloads,
		.handshake = given->send_handshake,
		.sleep_hold_ms = sleep_hold_ms(given->sleep_hold_s),
		.ask_sleep_hold = true,
		.deadline_percent = given->deadline_percent,
		.trace_path = given->trace_path && given->trace_path[0] ? given->trace_path : NULL,
		.on_event = on_modem_event,
		.min_fd = engine_min_private_fd(),
	};
	int err = st87_modem_open(&options, &engine_modem);
	if (!err) {
		engine_own_fd(st87_modem_fd(engine_modem));
		/* We hold the port's lock: sockets the modem lists belong to a dead process. */
		err = st87_modem_start(engine_modem, LINK_UP_TIMEOUT_MS, true);
		if (err)
			engine_forget_modem();
	}
	if (err) {
		snprintf(engine.open_error, sizeof(engine.open_error), "%s", st87_last_error());
		return err;
	}
	const struct st87_ipcfg *link = st87_modem_link(engine_modem);
	engine_publish_modem_addresses(link->ipv4, link->ipv6);
	st87_log(ST87_LOG_INFO, "modem on %s ready", given->port);
	return 0;
}

static int try_modem(void)
{
	/* It stopped answering in a start-up (a failed one fails nothing else): it may answer a fresh
	 * opening, as after a hang or a power cycle behind the same port. Sockets of the old link go first. */
	if (engine_modem && st87_modem_unresponsive(engine_modem)) {
		engine_link_lost();
		engine_forget_modem();
	}
	if (!engine_modem) {
		int err = open_modem();
		if (err)
			return err;
	}
	if (st87_modem_needs_start(engine_modem)) {
		engine_link_lost(); /* sockets of the lost link must fail before their ids are handed out again */
		int err = st87_modem_start(engine_modem, LINK_UP_TIMEOUT_MS, false);
		if (err) {
			snprintf(engine.open_error, sizeof(engine.open_error), "%s", st87_last_error());
			return err;
		}
	}
	return 0;
}

/*
 * The modem open and started for a request that was handed over when
 * @failed_before attempts had failed. A request that was already waiting
 * when the last attempt failed gets that attempt's answer: each would
 * otherwise probe a silent modem for seconds in turn, and a program with
 * many threads would wait their sum. One handed over later tries again.
 */
static int ensure_modem(unsigned failed_before)
{
	bool ready = engine_modem && !st87_modem_needs_start(engine_modem);
	/* Only this thread writes failed_attempts: reading it needs no lock here. */
	if (!ready && engine.last_attempt_failed && failed_before != engine.failed_attempts)
		return engine.open_failed_err;
	int err = try_modem();
	engine.last_attempt_failed = err != 0;
	if (err) {
		engine.open_failed_err = err;
		pthread_mutex_lock(&engine_lock);
		engine.failed_attempts++;
		pthread_mutex_unlock(&engine_lock);
	}
	return err;
}

/* How long the filler may take to be there: it was written before the socket was handed over. */
#define FILLER_WAIT_MS 2000

/*
 * Reads back the filler that kept the program's end unwritable while
 * connecting. False when it is not all there in time: st87d's client
 * announced more than it wrote, and the engine must not wait for it.
 */
static bool discard_filler(struct routed_socket *s)
{
	char scratch[1024];
	long long give_up = st87_now_ms() + FILLER_WAIT_MS;
	while (s->filler > 0) {
		size_t want = s->filler < sizeof(scratch) ? s->filler : sizeof(scratch);
		ssize_t n = libc_recv(s->engine_fd, scratch, want, MSG_DONTWAIT);
		if (n > 0) {
			s->filler -= (size_t)n;
			continue;
		}
		long long left = give_up - st87_now_ms();
		if (n < 0 && errno == EAGAIN && left > 0) {
			struct pollfd pfd = {.fd = s->engine_fd, .events = POLLIN};
			poll(&pfd, 1, (int)left);
			continue;
		}
		return false;
	}
	return true;
}

/*
 * The modem gave @id to @new_holder while an older record still holds it: the
 * modem dropped that socket without a word (or someone closed it behind the
 * engine's back). The old connection ends here, before the id is used:
 * otherwise its program's next send would reach the new connection's peer.
 */
static void fail_earlier_holders(int id, const struct routed_socket *new_holder)
{
	for (struct routed_socket *s = engine_sockets; s; s = s->next) {
		if (s == new_holder || s->modem_socket != id)
			continue;
		char what[160];
		engine_describe(s, what, sizeof(what));
		st87_fail(-ECONNRESET,
			  "the modem dropped this connection: it gave its socket %d to a new one", id);
		st87_log(ST87_LOG_ERROR, "%s: %s", what, st87_last_error());
		s->modem_socket = -1; /* no AT#SOCKETCLOSE: the id is the new connection's */
		engine_fail(s, ECONNRESET);
	}
}

static int open_modem_socket(struct routed_socket *s)
{
	char address[INET6_ADDRSTRLEN];
	int port, ip_version;
	engine_format_address(&s->remote, address, sizeof(address), &port, &ip_version);
	enum st87_proto proto = s->type == SOCK_STREAM ? ST87_TCP : ST87_UDP;
	int id = st87_socket_create(engine_modem, ip_version, proto,
				    proto == ST87_UDP ? s->local_port : 0);
	if (id < 0)
		return id;
	fail_earlier_holders(id, s);
	s->modem_socket = id;
	return proto == ST87_TCP ? st87_tcp_connect(engine_modem, id, address, port) : 0;
}

/*
 * The program closed its end of @s while the modem was being opened (the
 * link may take seconds to come up) and left nothing to send, or left only
 * the questions of a lookup that gave up: a modem socket would carry
 * nothing anyone waits for, and hold one of the modem's few while the loop
 * gets to the hang-up. A program's datagrams sent before its close still go.
 */
static bool asker_gone(struct routed_socket *s)
{
	struct pollfd end = {.fd = s->engine_fd, .events = POLLIN};
	if (s->engine_fd < 0)
		return true;
	if (poll(&end, 1, 0) != 1 || !(end.revents & POLLHUP))
		return false;
	return s->dns_queries || unsent_bytes(s) == 0;
}

/* Opens the modem socket of @s (a TCP socket's turn has come: tcp_queue.c) and reports the outcome. */
static void connect_now(struct routed_socket *s)
{
	char what[160];
	engine_describe(s, what, sizeof(what));
	int err = ensure_modem(s->failed_attempts_before);
	if (err) {
		st87_log(ST87_LOG_ERROR, "%s: modem unavailable: %s", what, engine.open_error);
		engine_fail(s, ENETDOWN);
		return;
	}
	if (asker_gone(s)) {
		st87_log(ST87_LOG_INFO,
			 "%s: its program closed it before it was connected: no modem socket", what);
		s->program_done = true; /* retired by the loop, as after any close */
		return;
	}
	err = open_modem_socket(s);
	/* 2150 with no routed socket holding one: the modem kept sockets we no longer know. */
	if (err == -EMFILE && s->modem_socket < 0 && st87_modem_reclaim_sockets(engine_modem) > 0)
		err = open_modem_socket(s);
	if (err) {
		st87_log(ST87_LOG_ERROR, "%s: %s", what, st87_last_error());
		if (engine_modem_trouble(err)) {
			engine_fail(s, err == -ETIMEDOUT ? ETIMEDOUT : ENETDOWN);
			return;
		}
		engine_close_modem_socket(s);
		engine_fail(s, -err);
		return;
	}
	/* Connected before the filler goes: the program may look the moment its end turns writable. */
	s->last_traffic_ms = st87_now_ms();
	pthread_mutex_lock(&engine_lock);
	if (s->state == ROUTED_CONNECTING)
		s->state = ROUTED_CONNECTED;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&engine_lock);
	engine_metrics_count_connect(true);
	engine_tell_client(s, ST87D_CONNECTED, 0, NULL);
	if (!discard_filler(s)) {
		st87_log(ST87_LOG_ERROR, "%s: the program's end lacks the %zu filler bytes announced",
			 what, s->filler);
		engine_close_modem_socket(s);
		engine_fail(s, EPROTO);
		return;
	}
	st87_log(ST87_LOG_INFO, "%s: connected over modem socket %d", what, s->modem_socket);
}

/* A TCP connect waits for the modem's one TCP socket; anything else is connected at once. */
static void connect_socket(struct routed_socket *s)
{
	if (s->type == SOCK_STREAM)
		tcp_queue_add(s, engine_sockets);
	else
		connect_now(s);
}

/* Connects the TCP sockets whose turn has come (tcp_queue.c). */
static void serve_tcp_queue(void)
{
	struct routed_socket *s;
	while ((s = tcp_queue_next(engine_modem, engine_sockets, st87_now_ms())))
		connect_now(s);
}

/* Drops @s from the engine's list and gives up the engine's reference. */
static void retire(struct routed_socket *s)
{
	tcp_queue_remove(s);
	for (struct routed_socket **p = &engine_sockets; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	if (s->engine_fd >= 0) {
		st87_log(ST87_LOG_DEBUG, "retiring engine end %d", s->engine_fd);
		engine_close_private_fd(s->engine_fd);
		s->engine_fd = -1;
	}
	if (s->client_fd >= 0) {
		libc_close(s->client_fd);
		s->client_fd = -1;
	}
	pthread_mutex_lock(&engine_lock);
	if (s->state != ROUTED_FAILED)
		s->state = ROUTED_CLOSED;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&engine_lock);
	routed_socket_release(s);
}

static void fail_at_exit(struct routed_socket *s)
{
	st87_fail(-ENETDOWN, "the modem's engine is stopping");
	engine_fail(s, ENETDOWN);
}

/*
 * Takes the sockets handed over into the engine's list, in the order they
 * came (the TCP line is first come, first served), doing @with_each to each
 * (connect, or fail).
 */
static void take_new_sockets(void (*with_each)(struct routed_socket *s))
{
	pthread_mutex_lock(&engine_lock);
	struct routed_socket *newest_first = engine.pending, *list = NULL;
	engine.pending = NULL;
	pthread_mutex_unlock(&engine_lock);
	while (newest_first) {
		struct routed_socket *s = newest_first;
		newest_first = s->next;
		s->next = list;
		list = s;
	}
	while (list) {
		struct routed_socket *s = list;
		list = s->next;
		s->next = engine_sockets;
		engine_sockets = s;
		with_each(s);
	}
}

static void finish_job(struct engine_job *job, int result)
{
	pthread_mutex_lock(&engine_lock);
	job->result = result;
	job->done = true;
	pthread_cond_broadcast(&engine.changed);
	pthread_mutex_unlock(&engine_lock);
}

/* Tells an exit under way that the engine now runs (or no longer runs) a job it need not wait for. */
static void note_job_exit_need_not_wait(bool need_not_wait)
{
	pthread_mutex_lock(&engine_lock);
	engine.in_job_exit_need_not_wait = need_not_wait;
	pthread_cond_broadcast(&engine.changed);
	pthread_mutex_unlock(&engine_lock);
}

static void run_jobs(bool exiting)
{
	pthread_mutex_lock(&engine_lock);
	struct engine_job *list = engine.jobs;
	engine.jobs = NULL;
	pthread_mutex_unlock(&engine_lock);
	while (list) {
		struct engine_job *job = list;
		list = job->next;
		/* A job handed over before the exit began is not started after it (a lookup takes minutes). */
		bool stopping = exiting || exit_asked();
		if (job->only_if_open && !engine_modem && !stopping) {
			snprintf(job->error, sizeof(job->error), "the modem is not open");
			finish_job(job, -ENETDOWN);
			continue;
		}
		int err = stopping ? -ENETDOWN : ensure_modem(job->failed_attempts_before);
		if (err) {
			snprintf(job->error, sizeof(job->error), "modem unavailable: %s",
				 stopping ? "the program is exiting" : engine.open_error);
			finish_job(job, -ENETDOWN);
			continue;
		}
		note_job_exit_need_not_wait(job->exit_need_not_wait);
		err = job->run(engine_modem, job->arg);
		note_job_exit_need_not_wait(false);
		if (err < 0) {
			snprintf(job->error, sizeof(job->error), "%s", st87_last_error());
			if (st87_modem_unresponsive(engine_modem) ||
			    st87_modem_needs_start(engine_modem))
				engine_modem_trouble(err);
		}
		finish_job(job, err);
	}
}

int engine_post_job(struct engine_job *job)
{
	job->error[0] = '\0';
	int err = start_engine();
	pthread_mutex_lock(&engine_lock);
	/* A job queued after the engine ended would wait for a thread that is gone. */
	if (!err && (engine.exiting || engine.done))
		err = -ENETDOWN;
	if (!err) {
		/* Under the lock: another thread may be waiting on this job's last run. */
		job->done = false;
		job->failed_attempts_before = engine.failed_attempts;
		job->next = engine.jobs;
		engine.jobs = job;
	}
	pthread_mutex_unlock(&engine_lock);
	if (err) {
		snprintf(job->error, sizeof(job->error), "the modem engine cannot start: %s",
			 strerror(-err));
		return -ENETDOWN;
	}
	wake_engine();
	return 0;
}

bool engine_wait_job(struct engine_job *job, int timeout_ms)
{
	struct timespec deadline = monotonic_deadline_after(timeout_ms > 0 ? timeout_ms : 0);
	bool timed_out = false;
	pthread_mutex_lock(&engine_lock);
	while (!job->done && !engine.done && !timed_out) {
		if (timeout_ms < 0)
			pthread_cond_wait(&engine.changed, &engine_lock);
		else
			timed_out = timeout_ms == 0 ||
				pthread_cond_timedwait(&engine.changed, &engine_lock, &deadline) ==
					ETIMEDOUT;
	}
	if (!job->done && engine.done) {
		snprintf(job->error, sizeof(job->error), "the program is exiting");
		job->result = -ENETDOWN;
		job->done = true;
	}
	bool done = job->done;
	pthread_mutex_unlock(&engine_lock);
	return done;
}

int engine_run_job(struct engine_job *job)
{
	int err = engine_post_job(job);
	if (err)
		return err;
	engine_wait_job(job, -1);
	return job->result;
}

static bool is_live(const struct routed_socket *s)
{
	return s->engine_fd >= 0 && s->modem_socket >= 0;
}

int engine_live_socket_count(void)
{
	int count = 0;
	for (const struct routed_socket *s = engine_sockets; s; s = s->next)
		count += is_live(s);
	return count;
}

/* A TCP socket whose program shut its writing side: its modem socket closes after this much quiet (0 never). */
static int half_close_wait_ms(const struct routed_socket *s)
{
	return s->type == SOCK_STREAM && s->program_eof && !s->peer_closed
		? engine_settings_given.half_close_idle_ms
		: 0;
}

/* The idle link check comes an interval after the last traffic or the last check, whichever is later. */
static long long link_check_due_ms(const struct routed_socket *s, int interval_ms)
{
	long long since = s->link_checked_ms > s->last_traffic_ms ? s->link_checked_ms
								  : s->last_traffic_ms;
	return since + interval_ms;
}

static void sooner(int *timeout, long long due_ms)
{
	int wait = due_ms < 0 ? 0 : due_ms > 86400000 ? 86400000 : (int)due_ms;
	if (*timeout < 0 || wait < *timeout)
		*timeout = wait;
}

static int poll_timeout(long long now)
{
	int timeout = -1;
	int interval_ms = engine_link_check_interval_ms();
	for (struct routed_socket *s = engine_sockets; s; s = s->next) {
		if (!is_live(s))
			continue;
		if (s->data_waiting && s->inbound_len == 0)
			return 0;
		if (s->type == SOCK_STREAM && interval_ms > 0)
			sooner(&timeout, link_check_due_ms(s, interval_ms) - now);
		if (half_close_wait_ms(s) > 0)
			sooner(&timeout, s->last_traffic_ms + half_close_wait_ms(s) - now);
	}
	long long queue_due = tcp_queue_due_ms(engine_sockets, now);
	if (queue_due >= 0)
		sooner(&timeout, queue_due - now);
	return timeout;
}

/*
 * The modem has no half-close: it cannot send a FIN and keep receiving. So
 * after the program's shutdown(SHUT_WR) the link stays up for the answer,
 * and once the peer has been quiet for ST87_HALF_CLOSE_IDLE the modem
 * socket is closed: a peer that waits for the end of the data (an upload
 * with nc -N) gets it, and the program sees EOF.
 */
static void finish_half_closed(struct routed_socket *s, long long now)
{
	int wait_ms = half_close_wait_ms(s);
	if (wait_ms <= 0 || now - s->last_traffic_ms < wait_ms || s->inbound_sent < s->inbound_len)
		return;
	char what[160];
	engine_describe(s, what, sizeof(what));
	st87_log(ST87_LOG_INFO,
		 "%s: quiet for %d ms since the program's shutdown: closing, the peer sees the end",
		 what, wait_ms);
	engine_give_eof(s);
}

/* The program's end is gone for good (POLLHUP) or failed: flush is done, close. */
static void finish_socket(struct routed_socket *s)
{
	engine_close_modem_socket(s);
	retire(s);
}

static void service_sockets(struct pollfd *fds, struct routed_socket **owners, int count)
{
	for (int i = 0; i < count; i++) {
		struct routed_socket *s = owners[i];
		if (!s || s->engine_fd != fds[i].fd)
			continue;
		short revents = fds[i].revents;
		if ((revents & POLLIN) && is_live(s))
			engine_pump_outbound(engine_modem, s);
		if (s->engine_fd >= 0 && (revents & POLLOUT))
			engine_flush_inbound(s);
		bool unread = (revents & POLLIN) && is_live(s) && !s->program_eof;
		if (s->engine_fd >= 0 && (revents & (POLLHUP | POLLERR | POLLNVAL)) && !unread) {
			st87_log(ST87_LOG_DEBUG,
				 "modem socket %d: the program closed its end (poll 0x%x)",
				 s->modem_socket, (unsigned)revents);
			s->program_done = true;
		}
		if (!engine_modem)
			return; /* the modem was lost: every socket has failed */
	}
}

/*
 * st87d: what a client says on its socket's connection after the request
 * (ST87_SO_RAI changed). A client that hung up (it closed its last copy of
 * the fd, or died) hears no more reports; the socket lives on for whoever
 * holds the pair's other end.
 */
static void service_clients(struct pollfd *fds, struct routed_socket **owners, int count)
{
	for (int i = 0; i < count; i++) {
		struct routed_socket *s = owners[i];
		if (s->client_fd != fds[i].fd || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		struct st87d_request request;
		int passed_fd;
		int err = st87d_receive_request(s->client_fd, &request, &passed_fd);
		if (passed_fd >= 0)
			libc_close(passed_fd);
		if (err == -EAGAIN)
			continue;
		if (!err && request.kind == ST87D_SET_RAI && request.rai >= 0 && request.rai <= 2) {
			__atomic_store_n(&s->rai, request.rai, __ATOMIC_RELAXED);
			continue;
		}
		libc_close(s->client_fd);
		s->client_fd = -1;
	}
}

static void service_modem_side(long long now)
{
	int interval_ms = engine_link_check_interval_ms();
	for (struct routed_socket *s = engine_sockets; s && engine_modem; s = s->next) {
		if (!is_live(s))
			continue;
		if (s->data_waiting && s->inbound_len == 0)
			engine_pump_inbound(engine_modem, s);
		else if (s->type == SOCK_STREAM && interval_ms > 0 && !s->peer_closed &&
			 now >= link_check_due_ms(s, interval_ms))
			engine_check_link(engine_modem, s, LINK_CHECK_IDLE);
		else if (is_live(s))
			finish_half_closed(s, now);
	}
}

static void retire_finished(void)
{
	struct routed_socket *s = engine_sockets;
	while (s) {
		struct routed_socket *next = s->next;
		if (s->engine_fd < 0 || s->program_done)
			finish_socket(s);
		s = next;
	}
}

/* Bytes the program wrote to @s that have not gone to the modem (the next datagram's, for UDP). */
static int unsent_bytes(const struct routed_socket *s)
{
	int queued = 0;
	if (s->engine_fd < 0 || ioctl(s->engine_fd, FIONREAD, &queued) < 0)
		return 0;
	return queued;
}

/* The exit's flush moved bytes or closed a socket: the program's exit keeps waiting. */
static void note_exit_progress(void)
{
	pthread_mutex_lock(&engine_lock);
	engine.exit_progress_ms = st87_now_ms();
	pthread_mutex_unlock(&engine_lock);
}

/* The exiting thread saw no progress for ST87_EXIT_FLUSH_TIMEOUT: what is left stays unsent. */
static bool exit_stalled(void)
{
	pthread_mutex_lock(&engine_lock);
	bool stalled = engine.exit_stalled;
	pthread_mutex_unlock(&engine_lock);
	return stalled;
}

static void report_unsent(const struct routed_socket *s, int queued, const char *why)
{
	char what[160];
	engine_describe(s, what, sizeof(what));
	st87_log(ST87_LOG_ERROR, "exit: %s: %d bytes%s not sent: %s", what, queued,
		 s->type == SOCK_STREAM ? "" : " (and the datagrams behind them)", why);
}

/*
 * At exit, what the program wrote to @s goes to the modem for as long as the
 * modem keeps taking it: no cap on the time, only on a stall (the exiting
 * thread gives up when no byte moved for ST87_EXIT_FLUSH_TIMEOUT) and on
 * the SO_LINGER time the program set.
 */
static void flush_at_exit(struct routed_socket *s, long long started_ms)
{
	pthread_mutex_lock(&engine_lock);
	bool lingers = s->linger_at_exit;
	int linger_ms = s->linger_ms;
	pthread_mutex_unlock(&engine_lock);
	while (is_live(s)) {
		int queued = unsent_bytes(s);
		if (queued > 0 && lingers && linger_ms == 0) {
			st87_log(ST87_LOG_INFO,
				 "exit: modem socket %d: %d bytes dropped, as SO_LINGER {1, 0} asks",
				 s->modem_socket, queued);
			return;
		}
		char why[96];
		if (queued > 0 && lingers && st87_now_ms() - started_ms >= linger_ms) {
			snprintf(why, sizeof(why), "SO_LINGER {1, %d} ran out", linger_ms / 1000);
			report_unsent(s, queued, why);
			return;
		}
		if (queued > 0 && exit_stalled()) {
			snprintf(why, sizeof(why),
				 "no byte reached the modem for %d ms (ST87_EXIT_FLUSH_TIMEOUT)",
				 engine_settings_given.exit_flush_timeout_ms);
			report_unsent(s, queued, why);
			return;
		}
		int moved = engine_pump_outbound_up_to(engine_modem, s,
						       st87_modem_send_limit(engine_modem));
		if (moved < 0 && queued > 0)
			report_unsent(s, queued, st87_last_error());
		if (moved <= 0)
			return;
		note_exit_progress();
	}
}

/* At exit: everything the program wrote goes out (flush_at_exit), then every modem socket is closed. */
static void flush_everything(void)
{
	/* Sockets handed over but not connected yet are not connected now: they fail. */
	take_new_sockets(fail_at_exit);
	tcp_queue_drain(fail_at_exit);
	run_jobs(true);
	long long started_ms = st87_now_ms();
	for (struct routed_socket *s = engine_sockets; s && engine_modem; s = s->next)
		flush_at_exit(s, started_ms);
	while (engine_sockets) {
		finish_socket(engine_sockets);
		note_exit_progress();
	}
	if (engine_modem)
		engine_forget_modem();
}

/* What one turn of the loop waits on: the wake-up, the port, st87d's clients, the pairs. */
struct poll_set {
	struct pollfd *fds;
	struct routed_socket **owners;
	size_t capacity;
	int count;
	bool has_modem;   /* fds[1] is the port */
	int first_client; /* st87d: the sockets' request connections from here */
	int first_socket; /* the pairs' engine ends from here */
};

/* Room for every fd this turn: two per socket (st87d's connection, the pair) and two more. False: no memory. */
static bool make_room(struct poll_set *set)
{
	size_t needed = 2;
	for (struct routed_socket *s = engine_sockets; s; s = s->next)
		needed += 2;
	if (needed <= set->capacity)
		return true;
	struct pollfd *fds = realloc(set->fds, needed * sizeof(*fds));
	if (fds)
		set->fds = fds;
	struct routed_socket **owners = fds ? realloc(set->owners, needed * sizeof(*owners)) : NULL;
	if (!owners)
		return false;
	set->owners = owners;
	set->capacity = needed;
	return true;
}

static void add_fd(struct poll_set *set, int fd, short events, struct routed_socket *owner)
{
	set->fds[set->count] = (struct pollfd){.fd = fd, .events = events};
	set->owners[set->count++] = owner;
}

static void gather(struct poll_set *set)
{
	set->count = 0;
	add_fd(set, engine.wake_fd, POLLIN, NULL);
	set->has_modem = engine_modem != NULL;
	if (set->has_modem)
		add_fd(set, st87_modem_fd(engine_modem), POLLIN, NULL);
	set->first_client = set->count;
	for (struct routed_socket *s = engine_sockets; s; s = s->next)
		if (s->client_fd >= 0)
			add_fd(set, s->client_fd, POLLIN, s);
	set->first_socket = set->count;
	for (struct routed_socket *s = engine_sockets; s; s = s->next) {
		/* Sockets whose modem side is gone stay here until POLLHUP says the program closed. */
		if (s->engine_fd < 0)
			continue;
		short events = 0;
		if (is_live(s) && s->state == ROUTED_CONNECTED && !s->program_eof)
			events |= POLLIN;
		if (s->inbound_sent < s->inbound_len)
			events |= POLLOUT;
		add_fd(set, s->engine_fd, events, s);
	}
}

static bool service(struct poll_set *set, int ready)
{
	if (set->fds[0].revents & POLLIN) {
		uint64_t value;
		if (read(engine.wake_fd, &value, sizeof(value)) < 0 && errno != EAGAIN)
			return false;
	}
	/* Polled when quiet too: a line the last command brought (#SIMST, +CEREG: 2) is settled there. */
	if (set->has_modem && engine_modem) {
		int err = st87_modem_poll(engine_modem, 0);
		if (err < 0)
			engine_modem_lost(-err);
	}
	if (ready > 0) {
		service_clients(set->fds + set->first_client, set->owners + set->first_client,
				set->first_socket - set->first_client);
		service_sockets(set->fds + set->first_socket, set->owners + set->first_socket,
				set->count - set->first_socket);
	}
	if (engine_modem && st87_modem_needs_start(engine_modem))
		engine_link_lost();
	service_modem_side(st87_now_ms());
	retire_finished();
	return true;
}

/*
 * Lines that came with a command's answer (a lost link, a +CEREG: 2 to
 * settle) were read with it: the port will not wake the loop for them, so
 * they are acted on before it waits. Otherwise a program waiting for data
 * on a socket the link took with it would wait for its own timeout.
 */
static void act_on_modem_news(void)
{
	if (!engine_modem)
		return;
	int err = st87_modem_poll(engine_modem, 0);
	if (err < 0) {
		engine_modem_lost(-err);
		return;
	}
	if (st87_modem_needs_start(engine_modem))
		engine_link_lost();
}

/* For the host's program threads (the shim's sends) and, in st87d, its clients' reports. */
static void publish_datagram_limit(void)
{
	if (!engine_modem)
		return;
	engine_publish_datagram_limit(st87_modem_datagram_limit(engine_modem));
}

static bool exit_asked(void)
{
	pthread_mutex_lock(&engine_lock);
	bool exiting = engine.exiting;
	pthread_mutex_unlock(&engine_lock);
	return exiting;
}

static void *engine_main(void *unused)
{
	(void)unused;
	on_engine_thread = true;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	static struct poll_set set;
	for (;;) {
		take_new_sockets(connect_socket);
		serve_tcp_queue();
		run_jobs(false);
		if (exit_asked())
			break;
		if (!make_room(&set)) {
			st87_log(ST87_LOG_ERROR, "the engine is out of memory: stopping");
			break;
		}
		act_on_modem_news();
		publish_datagram_limit();
		engine_metrics_publish(engine_modem, engine_live_socket_count());
		gather(&set);
		int ready = poll(set.fds, (nfds_t)set.count, poll_timeout(st87_now_ms()));
		if (ready < 0 && errno != EINTR)
			break;
		if (!service(&set, ready))
			break;
	}
	flush_everything();
	pthread_mutex_lock(&engine_lock);
	engine.done = true;
	pthread_cond_broadcast(&engine.changed);
	pthread_mutex_unlock(&engine_lock);
	return NULL;
}

static void wake_engine(void)
{
	uint64_t one = 1;
	if (write(engine.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		st87_log(ST87_LOG_WARN, "cannot wake the engine: %s", strerror(errno));
}

/* The wake-up eventfd, out of the program's way and the host's own. */
static int make_wake_fd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return fd < 0 ? -errno : engine_private_fd(fd);
}

/* Start lock held, not engine_lock (the host's hook takes its own lock). */
static int start_thread(void)
{
	int fd = make_wake_fd();
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&engine_lock);
	engine.wake_fd = fd;
	pthread_mutex_unlock(&engine_lock);
	pthread_attr_t attributes;
	pthread_attr_init(&attributes);
	pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&engine.thread, &attributes, engine_main, NULL);
	pthread_attr_destroy(&attributes);
	if (err)
		return -err;
	pthread_mutex_lock(&engine_lock);
	engine.started = true;
	pthread_mutex_unlock(&engine_lock);
	return 0;
}

/* Starts the thread unless it runs; -ENETDOWN once the exit began. */
static int start_engine(void)
{
	pthread_mutex_lock(&start_lock);
	pthread_mutex_lock(&engine_lock);
	bool exiting = engine.exiting, started = engine.started;
	pthread_mutex_unlock(&engine_lock);
	int err = exiting ? -ENETDOWN : started ? 0 : start_thread();
	pthread_mutex_unlock(&start_lock);
	return err;
}

int engine_submit(struct routed_socket *s)
{
	int err = start_engine();
	pthread_mutex_lock(&engine_lock);
	if (!err && engine.exiting)
		err = -ENETDOWN;
	if (!err) {
		routed_socket_hold(s);
		s->failed_attempts_before = engine.failed_attempts;
		s->next = engine.pending;
		engine.pending = s;
	}
	pthread_mutex_unlock(&engine_lock);
	if (!err)
		wake_engine();
	return err;
}

/*
 * How long past a stall the exit still waits for the engine to end what it is
 * doing (up to a 4 KiB burst of sends begun before the exit) and to close the
 * modem sockets. With the default stall bound, 80 s in all: within systemd's
 * 90 s for stopping st87d.
 */
#define EXIT_CLOSE_GRACE_MS 20000

/*
 * While the engine runs a lookup, the modem does nothing else until it
 * answers (AT#DNS: up to 210 s), so no socket could be closed before then
 * either. A lookup carries no program's data: when no pair holds any to
 * send, the exit leaves without the answer, and the modem sockets stay open
 * until the next start-up closes them. True when it leaves, said in a line.
 * engine_lock held; the engine thread is inside the job, so its list of
 * sockets stands still.
 */
static bool leave_during_lookup_locked(void)
{
	int open_sockets = 0;
	for (const struct routed_socket *s = engine_sockets; s; s = s->next) {
		if (!is_live(s))
			continue;
		if (unsent_bytes(s) > 0)
			return false;
		open_sockets++;
	}
	st87_log(ST87_LOG_INFO,
		 "exit: not waiting for the modem's answer to a lookup (it carries no data); "
		 "%d modem socket%s left open until the next start-up closes them",
		 open_sockets, open_sockets == 1 ? "" : "s");
	return true;
}

void engine_flush_at_exit(void)
{
	pthread_mutex_lock(&engine_lock);
	if (!engine.started || engine.exiting) {
		pthread_mutex_unlock(&engine_lock);
		return;
	}
	engine.exiting = true;
	engine.exit_progress_ms = st87_now_ms();
	pthread_mutex_unlock(&engine_lock);
	wake_engine();

	int stall_ms = engine_settings_given.exit_flush_timeout_ms;
	pthread_mutex_lock(&engine_lock);
	while (!engine.done) {
		if (engine.in_job_exit_need_not_wait && leave_during_lookup_locked())
			break;
		long long quiet_ms = st87_now_ms() - engine.exit_progress_ms;
		if (quiet_ms >= stall_ms)
			engine.exit_stalled = true; /* the engine reports what it leaves unsent */
		if (quiet_ms >= stall_ms + EXIT_CLOSE_GRACE_MS) {
			st87_log(ST87_LOG_ERROR,
				 "exit: the modem has not answered for %lld ms: giving up; what was not "
				 "sent "
				 "is lost, and modem sockets stay open until the port is opened again",
				 quiet_ms);
			break;
		}
		long long next_ms = quiet_ms < stall_ms ? stall_ms : stall_ms + EXIT_CLOSE_GRACE_MS;
		struct timespec deadline = monotonic_deadline_after((int)(next_ms - quiet_ms));
		pthread_cond_timedwait(&engine.changed, &engine_lock, &deadline);
	}
	pthread_mutex_unlock(&engine_lock);
}

/* st87d's status: one line per routed socket into @out. Engine thread. */
void engine_list_sockets(char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (struct routed_socket *s = engine_sockets; s && used < len; s = s->next) {
		char what[160];
		engine_describe(s, what, sizeof(what));
		const char *state = s->modem_socket < 0 ? "closed"
			: s->state == ROUTED_CONNECTING ? "connecting"
			: s->peer_closed                ? "peer closed"
							: "open";
		int place = tcp_queue_place(s);
		int n = place > 0
			? snprintf(out + used, len - used,
				   "waiting for the TCP socket, place %d in line: %s\n", place, what)
			: snprintf(out + used, len - used,
				   "modem socket %d: %s, %s, %llu B to the modem, %llu B from it\n",
				   s->modem_socket, what, state, s->bytes_to_modem, s->bytes_from_modem);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* st87d's close-all: every routed socket fails with ECONNABORTED and its modem socket is closed. Engine thread. */
void engine_close_everything(void)
{
	for (struct routed_socket *s = engine_sockets; s && engine_modem; s = s->next) {
		engine_close_modem_socket(s);
		st87_fail(-ECONNABORTED, "closed by st87ctl close-all");
		engine_fail(s, ECONNABORTED);
	}
}
