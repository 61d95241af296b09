/*
 * One set of values everywhere. Baud rates: each rate in libst87's table is
 * taken by the shim's ST87_BAUD, by st87ctl --baud, and by the serial layer,
 * which sets a pseudo-terminal to it (the kernel's own numeric speed is
 * checked); each rate outside it is refused by all three. Log levels: the
 * shim's ST87_LOG and st87ctl --log take what st87_log_parse_level() takes.
 * Ports: the shim's ST87_PORT, st87ctl's ST87_PORT and st87ctl --port take
 * the same values, "auto" in any case.
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
#include "test_cases.h"

/* st87ctl's exit status for a bad option (ST87CTL_EXIT_USAGE). */
#define ST87CTL_USAGE_ERROR 2

/* Rates no layer may take: other termios speeds, common non-Linux ones, the table's edges. */
static const int unlisted_rates[] = {
	0, 50, 300, 600, 1800, 7200, 14400, 28800, 76800, 128000, 153600, 256000, 4000001, 5000000,
};

/* Log levels as a user may write them, each with what it means (-1: refused). */
static const struct {
	const char *text;
	int level;
} log_level_texts[] = {
	{"none", ST87_LOG_NONE},
	{"error", ST87_LOG_ERROR},
	{"warn", ST87_LOG_WARN},
	{"info", ST87_LOG_INFO},
	{"debug", ST87_LOG_DEBUG},
	{"DEBUG", ST87_LOG_DEBUG},
	{" Warn\t", ST87_LOG_WARN},
	{"0", ST87_LOG_NONE},
	{"4", ST87_LOG_DEBUG},
	{"04", ST87_LOG_DEBUG},
	{"5", -1},
	{"-1", -1},
	{"verbose", -1},
	{"warning", -1},
	{"deb", -1},
	{"debugx", -1},
	{"", -1},
	{"1 2", -1},
};

static const char *shim_variable_name;
static const char *shim_variable_value;
static struct shim_config parsed_config;
static int pty_master = -1;
static char pty_path[64];

static const char *one_variable_getenv(const char *name)
{
	return strcmp(name, shim_variable_name) == 0 ? shim_variable_value : NULL;
}

/* The shim's parser on @name=@value alone: true when taken (parsed_config then holds it). */
static bool shim_accepts(const char *name, const char *value)
{
	char errors[512];

	shim_variable_name = name;
	shim_variable_value = value;
	return shim_config_parse(one_variable_getenv, &parsed_config, errors, sizeof errors) == 0;
}

static bool shim_accepts_baud(int rate)
{
	char rate_text[16];

	snprintf(rate_text, sizeof rate_text, "%d", rate);
	if (!shim_accepts("ST87_BAUD", rate_text))
		return false;
	assert_int_equal(parsed_config.baud, rate);
	return true;
}

/* st87ctl with @argv (ports, which opens nothing) in @envp: true unless it stopped with a usage error. */
static bool st87ctl_runs(char **argv, char **envp)
{
	const char *st87ctl = getenv("ST87_TEST_ST87CTL");
	posix_spawn_file_actions_t quiet;
	pid_t pid;
	int status;

	assert_non_null(st87ctl);
	assert_int_equal(posix_spawn_file_actions_init(&quiet), 0);
	posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	assert_int_equal(posix_spawn(&pid, st87ctl, &quiet, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&quiet);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status) != ST87CTL_USAGE_ERROR;
}

/* st87ctl @option @value ports: true unless it stopped with a usage error. */
static bool st87ctl_accepts(const char *option, const char *value)
{
	char *argv[] = {(char *)"st87ctl", (char *)option, (char *)value, (char *)"ports", NULL};

	return st87ctl_runs(argv, environ);
}

/* @name=@value st87ctl ports, that variable alone set: true unless it stopped with a usage error. */
static bool st87ctl_accepts_variable(const char *name, const char *value)
{
	char setting[SHIM_CONFIG_PATH_SIZE + 64];
	char *argv[] = {(char *)"st87ctl", (char *)"ports", NULL};
	char *envp[] = {setting, NULL};

	snprintf(setting, sizeof setting, "%s=%s", name, value);
	return st87ctl_runs(argv, envp);
}

static bool st87ctl_accepts_baud(int rate)
{
	char rate_text[16];

	snprintf(rate_text, sizeof rate_text, "%d", rate);
	return st87ctl_accepts("--baud", rate_text);
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

TEST_CASE(test_table_holds_the_standard_rates_in_order)
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

TEST_CASE(test_every_listed_rate_is_taken_by_every_layer)
{
	(void)state;
	for (size_t i = 0; st87_baud_rate_at(i) != 0; i++) {
		int rate = st87_baud_rate_at(i);
		unsigned int line_speed = 0;

		if (!shim_accepts_baud(rate))
			fail_msg("ST87_BAUD=%d refused", rate);
		if (!st87ctl_accepts_baud(rate))
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

	if (shim_accepts_baud(rate))
		fail_msg("ST87_BAUD=%d taken", rate);
	if (st87ctl_accepts_baud(rate))
		fail_msg("st87ctl --baud %d taken", rate);
	/* 0 asks the serial layer for its default rate. */
	if (rate != 0 && serial_open_at(rate, &line_speed) != -EINVAL)
		fail_msg("serial port opened at %d", rate);
	assert_false(st87_baud_supported(rate));
}

TEST_CASE(test_unlisted_rates_are_refused_by_every_layer)
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

TEST_CASE(test_log_levels_mean_the_same_in_every_layer)
{
	(void)state;
	for (size_t i = 0; i < sizeof log_level_texts / sizeof log_level_texts[0]; i++) {
		const char *text = log_level_texts[i].text;
		bool valid = log_level_texts[i].level >= 0;
		enum st87_log_level level = ST87_LOG_ERROR;

		if ((st87_log_parse_level(text, &level) == 0) != valid)
			fail_msg("st87_log_parse_level(\"%s\") %s it", text, valid ? "refused" : "took");
		if (valid)
			assert_int_equal(level, log_level_texts[i].level);
		/* The shim counts an empty variable as unset, so "" is not a level it refuses. */
		if (text[0] != '\0' && shim_accepts("ST87_LOG", text) != valid)
			fail_msg("ST87_LOG=\"%s\" %s", text, valid ? "refused" : "taken");
		if (valid)
			assert_int_equal(parsed_config.log_level, log_level_texts[i].level);
		if (st87ctl_accepts("--log", text) != valid)
			fail_msg("st87ctl --log \"%s\" %s", text, valid ? "refused" : "taken");
	}
}

/* ST87_PORT as a user may write it: taken (and then, for "auto" in any case, as auto) or refused. */
static const struct {
	const char *text;
	bool taken;
} port_texts[] = {
	{"auto", true},          {"AUTO", true},       {"Auto", true},       {"/dev/ttyUSB0", true},
	{"/dev/AUTO", true},     {"ttyUSB0", false},   {"./ttyUSB0", false}, {"dev/ttyUSB0", false},
	{"auto/ttyUSB0", false}, {"automatic", false}, {" auto", false},
};

TEST_CASE(test_ports_mean_the_same_in_every_layer)
{
	(void)state;
	for (size_t i = 0; i < sizeof port_texts / sizeof port_texts[0]; i++) {
		const char *text = port_texts[i].text;
		bool taken = port_texts[i].taken;

		if (shim_accepts("ST87_PORT", text) != taken)
			fail_msg("ST87_PORT=\"%s\" %s", text, taken ? "refused" : "taken");
		/* The one check of "auto": libst87 then gets it in the lower case it compares with. */
		if (taken && text[0] != '/')
			assert_string_equal(parsed_config.port, "auto");
		if (st87ctl_accepts_variable("ST87_PORT", text) != taken)
			fail_msg("ST87_PORT=\"%s\" st87ctl %s", text, taken ? "refused" : "took");
		if (st87ctl_accepts("--port", text) != taken)
			fail_msg("st87ctl --port \"%s\" %s", text, taken ? "refused" : "taken");
	}
}

/* A bad route beside a port written in capitals: what st87ctl (which uses the port alone) sees. */
static const char *bad_route_getenv(const char *name)
{
	if (strcmp(name, "ST87_ROUTE") == 0)
		return "10.0.0.0/99";
	return strcmp(name, "ST87_PORT") == 0 ? "AUTO" : NULL;
}

TEST_CASE(test_a_program_reads_only_the_settings_it_uses)
{
	static const char *const port_only[] = {"ST87_PORT", NULL};
	char errors[512];
	char problem[256];

	(void)state;
	assert_int_equal(shim_config_parse(bad_route_getenv, &parsed_config, errors, sizeof errors),
			 -EINVAL);
	assert_non_null(strstr(errors, "ST87_ROUTE="));
	assert_int_equal(shim_config_parse_some(bad_route_getenv, port_only, &parsed_config, errors,
						sizeof errors),
			 0);
	assert_string_equal(errors, "");
	assert_string_equal(parsed_config.port, "auto");
	/* A value given another way (st87ctl --port) goes through the same row. */
	assert_int_equal(shim_config_parse_value("ST87_PORT", "ttyUSB0", &parsed_config, problem,
						 sizeof problem),
			 -EINVAL);
	assert_string_equal(problem,
			    "expected \"auto\" or an absolute device path such as /dev/ttyUSB0");
	assert_int_equal(shim_config_parse_value("ST87_BAUD", "", &parsed_config, problem,
						 sizeof problem),
			 -EINVAL);
	assert_int_equal(shim_config_parse_value("ST87_NOTHING", "1", &parsed_config, problem,
						 sizeof problem),
			 -EINVAL);
}

int main(void)
{
	return test_cases_run("tests", open_pty, close_pty);
}
