/*
 * The C tests' one way to start st87-fakemodem (the Python suites and the
 * scripts use tests/integration/fakemodem_fixture.py, which passes the same
 * --link, --stats and --trace): executed by path (so a
 * valgrind run of the test does not run the fake modem under valgrind too),
 * its pty path read from the first line it prints, stopped with SIGTERM,
 * and ended by the kernel if the test process dies first.
 */
#ifndef ST87_CORE_TESTS_FAKE_MODEM_H
#define ST87_CORE_TESTS_FAKE_MODEM_H

#include <stdbool.h>
#include <sys/types.h>

/* The files the fake modem is told about, all in one per-test directory. */
struct fake_modem_files {
	const char *link_path;
	const char *stats_path;
	const char *trace_path;
};

struct fake_modem {
	pid_t pid; /* 0 when not running */
	char pty_path[64];
};

/*
 * Where the st87-fakemodem executable is: the first argument of the test
 * program (meson passes fakemodem_exe), else $ST87_FAKEMODEM. NULL if neither.
 */
const char *fake_modem_program(void);
void fake_modem_set_program(const char *path);

/*
 * Starts the fake modem with the files and the extra @p switches
 * (NULL-terminated, may be NULL) and waits for its first line.
 * 0, or a negative errno (the fake modem exited before printing a line: -EIO).
 */
int fake_modem_start(struct fake_modem *modem, const struct fake_modem_files *files,
		     const char *const *switches);

/*
 * Sends SIGTERM and reaps the process; the fake modem writes its stats file
 * on the way out. Returns the wait status, or -1 when it was not running.
 */
int fake_modem_stop(struct fake_modem *modem);

#endif
