/* st87-fakemodem: a fake ST87MXX NB-IoT modem on a pseudo-terminal.
 * Options, signals and the single-threaded poll loop. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "modem.h"
#include "options.h"
#include "pty.h"
#include "timeutil.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_requested = 1;
	else
		stop_requested = 1;
}

/* The signals are blocked except inside ppoll(), so a signal can never slip
 * in between checking the flags and going to sleep. Returns the mask to
 * sleep with. */
static sigset_t setup_signals(void)
{
	struct sigaction sa;
	sigset_t block, sleep_mask;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	/* A peer that vanishes must not kill us; send() uses MSG_NOSIGNAL,
	 * this covers everything else. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &sleep_mask);
	sigdelset(&sleep_mask, SIGTERM);
	sigdelset(&sleep_mask, SIGINT);
	sigdelset(&sleep_mask, SIGUSR1);
	return sleep_mask;
}

static void write_stats(const struct modem *m, const char *path)
{
	int rc;

	if (!path)
		return;
	rc = modem_write_stats(m, path);
	if (rc)
		fprintf(stderr, "st87-fakemodem: --stats %s: %s\n", path, strerror(-rc));
}

static int serve(struct modem *m, const sigset_t *sleep_mask)
{
	while (!stop_requested) {
		struct pollfd fds[1 + FM_MAX_SOCKETS];
		int sids[1 + FM_MAX_SOCKETS];
		struct timespec ts, *tsp = NULL;
		int64_t now = now_us(), wake;
		size_t n;

		if (stats_requested) {
			stats_requested = 0;
			write_stats(m, m->opt->stats_path);
		}
		modem_tick(m, now);
		n = modem_pollfds(m, fds, sids, now, &wake);
		if (wake != FM_NEVER) {
			int64_t us = wake > now ? wake - now : 0;

			ts.tv_sec = (time_t)(us / 1000000);
			ts.tv_nsec = (long)(us % 1000000) * 1000;
			tsp = &ts;
		}
		if (ppoll(fds, n, tsp, sleep_mask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "st87-fakemodem: poll: %s\n", strerror(errno));
			return 1;
		}
		modem_handle(m, fds, sids, n, now_us());
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* Static: the modem holds a few KiB of line and payload buffers. */
	static struct modem modem;
	struct fm_options opt;
	struct fm_pty pty;
	struct trace *trace;
	sigset_t sleep_mask;
	char err[256];
	int rc = options_parse(argc, argv, &opt);

	if (rc >= 0)
		return rc;
	sleep_mask = setup_signals();
	if (pty_open(&pty, err, sizeof(err))) {
		fprintf(stderr, "st87-fakemodem: %s\n", err);
		return 1;
	}
	if (opt.link_path && pty_link(&pty, opt.link_path, err, sizeof(err))) {
		fprintf(stderr, "st87-fakemodem: %s\n", err);
		pty_close(&pty);
		return 1;
	}
	trace = trace_open(opt.trace_path);
	if (!trace) {
		fprintf(stderr, "st87-fakemodem: --trace %s: %s\n", opt.trace_path, strerror(errno));
		pty_close(&pty);
		return 1;
	}
	modem_init(&modem, &opt, pty.master, trace, now_us());
	/* The first line on stdout is the contract with whoever started us. */
	printf("%s\n", pty.path);
	fflush(stdout);

	rc = serve(&modem, &sleep_mask);

	write_stats(&modem, opt.stats_path);
	modem_free(&modem);
	trace_close(trace);
	pty_close(&pty);
	return rc;
}
