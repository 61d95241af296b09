/*
 * Opening the port: a path that does not exist, and a port another process
 * holds. The lock is per process (a POSIX record lock), so the second
 * opener is a forked child; and the lock must hold for as long as the
 * first process has the port open.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "session.h"

static struct session_config without_fake_modem = {.no_fake_modem = true};

SESSION_CASE(test_missing_port_is_enoent, &without_fake_modem)
{
	struct test_session *s = *state;
	struct st87_modem_options options;
	session_options(s, &options);
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/no-such-modem", s->dir);
	options.port = missing;
	struct st87_modem *modem = NULL;
	assert_int_equal(st87_modem_open(&options, &modem), -ENOENT);
	assert_null(modem);
	assert_non_null(strstr(st87_last_error(), missing));
}

/* What the child's st87_modem_open() gave, sent up a pipe. */
struct open_result {
	int err;
	char last_error[256];
};

/* In the child: no CMocka, nothing of the parent's torn down, just the answer. */
static void open_in_child(const struct st87_modem_options *options, int answer_fd)
{
	struct open_result result;
	memset(&result, 0, sizeof(result));
	struct st87_modem *modem = NULL;
	result.err = st87_modem_open(options, &modem);
	snprintf(result.last_error, sizeof(result.last_error), "%s", st87_last_error());
	st87_modem_close(modem);
	ssize_t written = write(answer_fd, &result, sizeof(result));
	_exit(written == (ssize_t)sizeof(result) ? 0 : 1);
}

static void open_from_other_process(const struct st87_modem_options *options, struct open_result *result)
{
	int answer[2];
	assert_int_equal(pipe(answer), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(answer[0]);
		open_in_child(options, answer[1]);
	}
	close(answer[1]);
	memset(result, 0, sizeof(*result));
	ssize_t got = read(answer[0], result, sizeof(*result));
	close(answer[0]);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(got, (ssize_t)sizeof(*result));
}

SESSION_CASE(test_port_held_by_other_process_is_ebusy, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);

	struct st87_modem_options options;
	session_options(s, &options);
	options.trace_path = NULL; /* the child must not write into the parent's trace */
	struct open_result result;
	open_from_other_process(&options, &result);
	assert_int_equal(result.err, -EBUSY);
	char holder[64];
	snprintf(holder, sizeof(holder), "pid %ld", (long)getpid());
	if (!strstr(result.last_error, holder))
		fail_msg("st87_last_error() in the child: \"%s\"; expected it to name \"%s\"",
			 result.last_error, holder);

	/* The child's failed open did not disturb the parent's session... */
	struct st87_ipcfg ipcfg;
	assert_int_equal(st87_ipcfg_read(s->modem, &ipcfg), 0);
	/* ...and once the parent lets go, another process can have the port. */
	st87_modem_close(s->modem);
	s->modem = NULL;
	open_from_other_process(&options, &result);
	assert_int_equal(result.err, 0);
	finish_session(s);
}

/*
 * The lock must last as long as any handle on the port: a second handle in
 * the same process, opened and closed again, must not take it away from
 * the first (as closing any fd drops a process's POSIX record locks).
 */
SESSION_CASE(test_port_stays_locked_while_a_handle_is_open, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	struct st87_modem_options options;
	session_options(s, &options);
	options.trace_path = NULL;
	struct st87_modem *second = NULL;
	if (st87_modem_open(&options, &second) == 0)
		st87_modem_close(second);

	struct open_result result;
	open_from_other_process(&options, &result);
	if (result.err != -EBUSY)
		fail_msg("another process opened the port (result %d) while this one still has it "
			 "open",
			 result.err);
	struct st87_ipcfg ipcfg;
	assert_int_equal(st87_ipcfg_read(s->modem, &ipcfg), 0);
	finish_session(s);
}

int main(int argc, char **argv)
{
	if (!take_fake_modem_path(argc, argv))
		return 1;
	return test_cases_run("libst87 port", NULL, NULL);
}
