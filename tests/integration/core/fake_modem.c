#include "fake_modem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 40

static const char *program_path;

const char *fake_modem_program(void)
{
	if (program_path)
		return program_path;
	return getenv("ST87_FAKEMODEM");
}

void fake_modem_set_program(const char *path)
{
	program_path = path;
}

/* Reads the first line the fake modem prints: blocking, but it either prints or exits. */
static int read_first_line(int fd, char *line, size_t size)
{
	size_t len = 0;
	for (;;) {
		char byte;
		ssize_t n = read(fd, &byte, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		if (byte == '\n')
			break;
		if (len + 1 < size)
			line[len++] = byte;
	}
	line[len] = '\0';
	return len > 0 ? 0 : -EIO;
}

static void build_argv(const char *argv[MAX_ARGS], const struct fake_modem_files *files,
		       const char *const *switches)
{
	size_t argc = 0;
	argv[argc++] = fake_modem_program();
	argv[argc++] = "--link";
	argv[argc++] = files->link_path;
	argv[argc++] = "--stats";
	argv[argc++] = files->stats_path;
	argv[argc++] = "--trace";
	argv[argc++] = files->trace_path;
	/* The host ends every line in CR alone, so an LF after a send's line is its data. */
	argv[argc++] = "--cr-only";
	for (size_t i = 0; switches && switches[i] && argc < MAX_ARGS - 1; i++)
		argv[argc++] = switches[i];
	argv[argc] = NULL;
}

/*
 * In the child, between fork() and exec: only async-signal-safe calls.
 * PR_SET_PDEATHSIG ends the fake modem if the test dies without its
 * teardown (a sanitizer stops the process, say); otherwise the orphan
 * would hold the test's stderr open and meson would wait for it until the
 * test's timeout. posix_spawn() has no way to ask for that.
 */
static void exec_fake_modem(const char *const argv[], int stdout_fd, pid_t test_pid)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != test_pid)
		_exit(127);
	if (dup2(stdout_fd, STDOUT_FILENO) < 0)
		_exit(127);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

int fake_modem_start(struct fake_modem *modem, const struct fake_modem_files *files,
		     const char *const *switches)
{
	modem->pid = 0;
	modem->pty_path[0] = '\0';
	if (!fake_modem_program())
		return -ENOENT;

	const char *argv[MAX_ARGS];
	build_argv(argv, files, switches);

	/* Close-on-exec, so only the child's stdout (the dup2 copy) stays open in it. */
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	pid_t test_pid = getpid();
	pid_t pid = fork();
	if (pid == 0)
		exec_fake_modem(argv, out[1], test_pid);
	int err = pid < 0 ? -errno : 0;
	close(out[1]);
	if (err) {
		close(out[0]);
		return err;
	}
	modem->pid = pid;
	err = read_first_line(out[0], modem->pty_path, sizeof(modem->pty_path));
	close(out[0]);
	if (err) {
		/* It died on its options or its pty (or could not be run): reap it. */
		fake_modem_stop(modem);
		return err;
	}
	return 0;
}

int fake_modem_stop(struct fake_modem *modem)
{
	if (modem->pid <= 0)
		return -1;
	kill(modem->pid, SIGTERM);
	int status = 0;
	while (waitpid(modem->pid, &status, 0) < 0 && errno == EINTR)
		continue;
	modem->pid = 0;
	return status;
}
