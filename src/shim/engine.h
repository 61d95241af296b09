/*
 * The engine: the thread that owns the serial port and bridges each routed
 * socket's pair to its modem socket (engine.c, engine_io.c, evict.c). The
 * shim hands it sockets and jobs; st87d runs it as the daemon's core. Its
 * state is its own; the routed socket records it shares with the program's
 * threads are guarded by shim.lock (shim.h).
 */
#ifndef ST87_SHIM_ENGINE_H
#define ST87_SHIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "st87/st87.h"

struct routed_socket;

/* Work for the engine thread, which alone talks to the modem (a name looked up by the modem, say). */
struct engine_job {
	int (*run)(struct st87_modem *modem, void *arg);
	void *arg;
	unsigned failed_attempts_before; /* set by engine_run_job */
	/* set by the engine */
	int result;
	bool done;
	char error[320]; /* st87_last_error() of the engine thread when it failed */
	struct engine_job *next;
};

/* Starts the engine thread if needed and queues @socket (its pair's engine end set). 0 or -errno. */
int engine_submit(struct routed_socket *socket);
/* Runs @job on the engine thread with the modem open, and waits for it: its result, or -ENETDOWN. */
int engine_run_job(struct engine_job *job);
/* Looks @name up with the modem's AT#DNS on the engine thread: 0 and @address, or -errno and @error. */
int engine_look_up(const char *name, int ip_version, char address[ST87_ADDR_LEN], char *error,
		   size_t error_len);
/* At exit: lets the engine flush and close every modem socket, within the configured bound. */
void engine_flush_at_exit(void);
/* Called once before anything else (the engine's condition variable). */
void engine_init(void);
/* In a forked child (one thread, shim.lock re-made): the parent's engine is not the child's. */
void engine_after_fork_in_child(void);

/* st87d, on the engine thread (from a job): one line per routed socket; close them all. */
void engine_list_sockets(char *out, size_t len);
void engine_close_everything(void);

#endif
