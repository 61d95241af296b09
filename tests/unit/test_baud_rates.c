/*
 * One set of baud rates everywhere: each rate in libst87's table is taken by
 * the shim's ST87_BAUD, by st87ctl --baud, and by the serial layer, which
 * sets a pseudo-terminal to it (the kernel's own numeric speed is checked);
 * each rate outside it is refused by all three.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* termios2 gives the line speed as a number; glibc's <termios.h> must stay out. */
#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "st87/st87.h"

/* st87ctl's exit status for a bad option (ST87CTL_EXIT_USAGE). */
#define ST87CTL_USAGE_ERROR 2

/* Rates no layer may take: other termios speeds, common non-Linux ones, the table's edges. */
static const int unlisted_rates[] = {
	0, 50, 300, 600, 1800, 7200, 14400, 28800, 76800, 128000, 153600, 256000, 4000001, 5000000,
};

static char baud_text[16];
static int pty_master = -1;
static char pty_path[64];

static const char *baud_only_getenv(const char *name)
{
	return strcmp(name, "ST87_BAUD") == 0 ? baud_text : NULL;
}

/* The shim's parser on ST87_BAUD=@rate: true when taken, with the rate in its config. */
static bool shim_accepts(int rate)
{
	static struct st87_shim_config config;
	char errors[512];

	snprintf(baud_text, sizeof baud_text, "%d", rate);
	if (st87_config_parse(baud_only_getenv, &config, errors, sizeof errors) != 0)
		return false;
	assert_int_equal(config.baud, rate);
	return true;
}

/* st87ctl --baud @rate ports: true unless it stopped with a usage error. */
static bool st87ctl_accepts(int rate)
{
	const char *st87ctl = getenv("ST87_TEST_ST87CTL");
	char rate_text[16];
	char *argv[] = {(char *)"st87ctl", (char *)"--baud", rate_text, (char *)"ports", NULL};
	posix_spawn_file_actions_t quiet;
	pid_t pid;
	int status;

	assert_non_null(st87ctl);
	snprintf(rate_text, sizeof rate_text, "%d", rate);
	assert_int_equal(posix_spawn_file_actions_init(&quiet), 0);
	posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	assert_int_equal(posix_spawn(&pid, st87ctl, &quiet, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&quiet);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status) != ST87CTL_USAGE_ERROR;
}

/* Opens the pseudo-terminal at @rate through libst87: 0 with the kernel's speed in *@line_speed. */
static int serial_open_at(int rate, unsigned int *line_speed)
{
	struct st87_serial_options options = {.baud = rate};
	struct st87_serial *serial;
	struct termios2 line;
	int err = st87_serial_open(pty_path, &options, &serial);

	if (err < 0)
		return err;
	assert_int_equal(ioctl(st87_serial_fd(serial), TCGETS2, &line), 0);
	*line_speed = line.c_ospeed;
	st87_serial_close(serial);
	return 0;
}

static int open_pty(void **state)
{
	(void)state;
	pty_master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(pty_master >= 0);
	assert_int_equal(grantpt(pty_master), 0);
	assert_int_equal(unlockpt(pty_master), 0);
	assert_int_equal(ptsname_r(pty_master, pty_path, sizeof pty_path), 0);
	return 0;
}

static int close_pty(void **state)
{
	(void)state;
	close(pty_master);
	return 0;
}

static void test_table_holds_the_standard_rates_in_order(void **state)
{
	size_t count = 0;

	(void)state;
	assert_int_equal(st87_baud_rate_at(0), 1200);
	while (st87_baud_rate_at(count + 1) != 0) {
		assert_true(st87_baud_rate_at(count) < st87_baud_rate_at(count + 1));
		count++;
	}
	assert_int_equal(st87_baud_rate_at(count), 4000000);
	assert_int_equal(count + 1, 21);
	assert_true(st87_baud_supported(115200));
	assert_true(st87_baud_supported(500000));
	assert_true(st87_baud_supported(3500000));
}

static void test_every_listed_rate_is_taken_by_every_layer(void **state)
{
	(void)state;
	for (size_t i = 0; st87_baud_rate_at(i) != 0; i++) {
		int rate = st87_baud_rate_at(i);
		unsigned int line_speed = 0;

		if (!shim_accepts(rate))
			fail_msg("ST87_BAUD=%d refused", rate);
		if (!st87ctl_accepts(rate))
			fail_msg("st87ctl --baud %d refused", rate);
		if (serial_open_at(rate, &line_speed) != 0)
			fail_msg("serial port at %d: %s", rate, st87_last_error());
		if (line_speed != (unsigned int)rate)
			fail_msg("serial port asked for %d runs at %u", rate, line_speed);
	}
}

static void check_refused_everywhere(int rate)
{
	unsigned int line_speed;

	if (shim_accepts(rate))
		fail_msg("ST87_BAUD=%d taken", rate);
	if (st87ctl_accepts(rate))
		fail_msg("st87ctl --baud %d taken", rate);
	/* 0 asks the serial layer for its default rate. */
	if (rate != 0 && serial_open_at(rate, &line_speed) != -EINVAL)
		fail_msg("serial port opened at %d", rate);
	assert_false(st87_baud_supported(rate));
}

static void test_unlisted_rates_are_refused_by_every_layer(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof unlisted_rates / sizeof unlisted_rates[0]; i++)
		check_refused_everywhere(unlisted_rates[i]);
	/* Off by one from each listed rate: a typo. */
	for (size_t i = 0; st87_baud_rate_at(i) != 0; i++) {
		check_refused_everywhere(st87_baud_rate_at(i) - 1);
		check_refused_everywhere(st87_baud_rate_at(i) + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_holds_the_standard_rates_in_order),
		cmocka_unit_test(test_every_listed_rate_is_taken_by_every_layer),
		cmocka_unit_test(test_unlisted_rates_are_refused_by_every_layer),
	};

	return cmocka_run_group_tests(tests, open_pty, close_pty);
}
