/*
 * The engine: the thread that owns the serial port and bridges each routed
 * socket's pair to its modem socket (engine.c, the loop, and the parts it
 * drives). Its host hands it sockets and jobs: the shim in one program,
 * st87d for many. It knows nothing of either: the host gives it its
 * settings and hooks (engine_host.h) at start.
 *
 * Locks, in the order they may be taken:
 *   1. the host's own lock (the shim's fd map lock), if it has one;
 *   2. engine_lock (routed_socket.h): every record's shared fields and the
 *      engine's hand-over state (queues, start, exit);
 * so a host may take engine_lock while it holds its own, never the reverse.
 * The engine calls the host's hooks, and runs AT commands, with engine_lock
 * free; it never waits for the host's lock while holding engine_lock.
 * Starting the thread takes a lock of its own before both (start_lock: a
 * hook registers the wake-up fd under the host's lock).
 */
#ifndef ST87_ENGINE_ENGINE_H
#define ST87_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "dns_message.h"
#include "engine_host.h"
#include "routed_address.h"
#include "routed_socket.h"
#include "st87/st87.h"

/* Work for the engine thread, which alone talks to the modem (a name looked up by the modem, say). */
struct engine_job {
	int (*run)(struct st87_modem *modem, void *arg);
	void *arg;
	unsigned failed_attempts_before; /* set by engine_post_job */
	/* set by the engine */
	int result;
	bool done;
	char error[320]; /* st87_last_error() of the engine thread when it failed */
	/* Set by the caller: run only on a modem already open (-ENETDOWN else), never open one for it. */
	bool only_if_open;
	/* Set by the caller: a lookup, which carries no program's data: an exit need not wait for it. */
	bool exit_need_not_wait;
	struct engine_job *next;
};

/* True on the engine thread: a host that interposes libc lets its calls straight through. */
extern __attribute__((tls_model("initial-exec"))) _Thread_local bool on_engine_thread;

/* Called once before anything else, with the settings and the host's hooks (both copied). */
void engine_init(const struct engine_settings *settings, const struct engine_host *host);

/* Starts the engine thread if needed and queues @socket (engine_fd set), taking a reference. 0 or -errno. */
int engine_submit(struct routed_socket *socket);
/* Runs @job on the engine thread with the modem open, and waits for it: its result, or -ENETDOWN. */
int engine_run_job(struct engine_job *job);
/*
 * engine_run_job in two steps, for a caller that must not wait behind a long
 * command (a lookup holds the modem for minutes): queues @job, 0 or -ENETDOWN
 * (@job->error says why, and it is not queued). A queued job and its arg
 * belong to the engine until it is done: they must outlive the call that
 * queued them, and the job is queued again only once done.
 */
int engine_post_job(struct engine_job *job);
/*
 * Waits for a queued @job at most @timeout_ms (0: only looks; negative: until
 * it is done). True once it is done: @job->result is its result, or
 * -ENETDOWN when the engine ended first.
 */
bool engine_wait_job(struct engine_job *job, int timeout_ms);
/*
 * One name of one family, and who is asked: @resolver (@resolver_len bytes,
 * IPv4 or IPv6 with its port: ST87_DNS), or, with length 0, the DNS server
 * the modem is configured with (AT#IPPARAMS?) where @modem_dns_server allows
 * and it names one, else the modem's own AT#DNS.
 */
struct engine_lookup {
	const char *name;
	int family; /* AF_INET or AF_INET6 */
	const struct sockaddr *resolver;
	socklen_t resolver_len;
	bool modem_dns_server;
	char answered_by[64]; /* set by engine_resolve: who was asked (engine_resolver_name) */
};
/*
 * Looks @lookup up, unless the names cache has it (engine_names.c): a
 * resolver by a DNS query over a modem UDP socket asked from this thread,
 * AT#DNS as an engine job. Returns an enum shim_dns_outcome with @answer
 * (its ttl: the seconds the cache keeps it, 0 when it keeps none: no one
 * should keep it longer), -ENOSYS (no AT#DNS), or another -errno; @error
 * says why when it is not an outcome of the resolver's.
 */
int engine_resolve(struct engine_lookup *lookup, struct shim_dns_answer *answer, char *error,
		   size_t error_len);
/* How the cache names @resolver (length 0: AT#DNS): "AT#DNS", "192.0.2.53:53", "[2001:db8::53]:53". */
void engine_resolver_name(const struct sockaddr *resolver, socklen_t resolver_len, char *text,
			  size_t len);
/* The names cache every lookup through this engine shares (st87d's clients alike): name_cache.h. */
bool engine_cached_name(const char *resolver, const char *name, int family, int *outcome,
			struct shim_dns_answer *answer);
/* @timed: @answer->ttl came with the answer (a DNS reply); AT#DNS answers may carry none. */
void engine_cache_name(const char *resolver, const char *name, int family, int outcome,
		       const struct shim_dns_answer *answer, bool timed);
/* fork(): the names cache's lock taken before, released after; the child forgets the lookups in flight. */
void engine_names_before_fork(void);
void engine_names_after_fork_in_parent(void);
void engine_names_after_fork_in_child(void);
/* How long AT#DNS commands have held up other open sockets, in all: lookups that did, and their ms. */
void engine_dns_hold_up(unsigned long *lookups, unsigned long long *held_ms);
/* The engine thread's: routed sockets with a modem socket open now. */
int engine_live_socket_count(void);
/*
 * At exit: lets the engine flush and close every modem socket, within the
 * configured bound. While the engine runs a lookup (exit_need_not_wait) and
 * no program's data waits to be sent, it returns without waiting for the
 * modem's answer: the modem sockets stay open until the next start-up.
 */
void engine_flush_at_exit(void);

/* fork() (pthread_atfork, after the host's own lock): the child's engine is not the parent's. */
void engine_before_fork(void);
void engine_after_fork_in_parent(void);
/* In the child (one thread): the parent's engine, modem and queued work are left behind. */
void engine_after_fork_in_child(void);
/* The engine's own, for engine_fork.c: the child forgets the parent's engine thread and what it was handed. */
void engine_thread_after_fork_in_child(void);

/* st87d, on the engine thread (from a job): one line per routed socket; close them all. */
void engine_list_sockets(char *out, size_t len);
void engine_close_everything(void);

#endif
