/*
 * The configuration file (st87.conf) beside the environment: its values
 * apply, the environment wins, and a bad line is reported like a bad
 * variable (file, line, key) and fails closed the same way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_file.h"
#include "config.h"
#include "test_cases.h"

static char conf_path[64];
static const char *environment_baud;
static struct shim_config config;
static char errors[4096];

static const char *fake_getenv(const char *name)
{
	if (strcmp(name, "ST87_CONF") == 0)
		return conf_path;
	if (strcmp(name, "ST87_BAUD") == 0)
		return environment_baud;
	return NULL;
}

static void write_conf(const char *text)
{
	FILE *out = fopen(conf_path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}

static int make_path(void **state)
{
	(void)state;
	snprintf(conf_path, sizeof(conf_path), "/tmp/st87-conf-test-%d.conf", (int)getpid());
	environment_baud = NULL;
	memset(errors, 0, sizeof(errors));
	return 0;
}

static int remove_file(void **state)
{
	(void)state;
	unlink(conf_path);
	return 0;
}

static int parse(void)
{
	return shim_config_parse(fake_getenv, &config, errors, sizeof(errors));
}

TEST_CASE_FIXED(test_values_apply_with_either_key_form, make_path, remove_file)
{
	(void)state;
	write_conf("# the modem on the gateway\n"
		   "\n"
		   "port = /dev/ttyUSB3\n"
		   "  BAUD=921600  \n"
		   "ST87_ROUTE = \"*\"\n"
		   "half_close_idle = 2000\n");
	assert_int_equal(parse(), 0);
	assert_string_equal(errors, "");
	assert_string_equal(config.port, "/dev/ttyUSB3");
	assert_int_equal(config.baud, 921600);
	assert_false(config.inert);
	assert_int_equal(config.half_close_idle_ms, 2000);
}

TEST_CASE_FIXED(test_the_environment_wins, make_path, remove_file)
{
	(void)state;
	write_conf("baud = 921600\nroute = *\n");
	environment_baud = "9600";
	assert_int_equal(parse(), 0);
	assert_int_equal(config.baud, 9600);
}

TEST_CASE_FIXED(test_a_later_line_wins, make_path, remove_file)
{
	(void)state;
	write_conf("baud = 921600\nbaud = 57600\n");
	assert_int_equal(parse(), 0);
	assert_int_equal(config.baud, 57600);
}

TEST_CASE_FIXED(test_a_bad_value_names_file_line_and_key, make_path, remove_file)
{
	(void)state;
	write_conf("route = *\n\nbaud = fast\n");
	assert_int_equal(parse(), -EINVAL);
	char expected[128];
	snprintf(expected, sizeof(expected), "%s:3: ST87_BAUD=\"fast\": expected", conf_path);
	assert_non_null(strstr(errors, expected));
	assert_true(config.fail_routed);
	assert_false(config.inert);
}

TEST_CASE_FIXED(test_an_unknown_key_fails_closed, make_path, remove_file)
{
	(void)state;
	write_conf("route = *\nbud = 9600\n");
	assert_int_equal(parse(), -EINVAL);
	char expected[128];
	snprintf(expected, sizeof(expected), "%s:2: unknown key bud\n", conf_path);
	assert_string_equal(errors, expected);
	assert_true(config.fail_routed);
}

TEST_CASE_FIXED(test_a_line_without_equals_fails_closed, make_path, remove_file)
{
	(void)state;
	write_conf("route = *\nport /dev/ttyUSB0\n");
	assert_int_equal(parse(), -EINVAL);
	assert_non_null(strstr(errors, ":2: expected key = value"));
	assert_true(config.fail_routed);
}

TEST_CASE_FIXED(test_a_bad_route_in_the_file_routes_nothing, make_path, remove_file)
{
	(void)state;
	write_conf("route = 300.1.2.3\n");
	assert_int_equal(parse(), -EINVAL);
	assert_true(config.inert);
	assert_non_null(strstr(errors, ":1: ST87_ROUTE=\"300.1.2.3\""));
}

TEST_CASE_FIXED(test_a_missing_named_file_fails_closed, make_path, remove_file)
{
	(void)state;
	unlink(conf_path);
	assert_int_equal(parse(), -EINVAL);
	char expected[128];
	snprintf(expected, sizeof(expected), "%s: cannot read: No such file or directory\n", conf_path);
	assert_string_equal(errors, expected);
	assert_true(config.fail_routed);
}

TEST_CASE_FIXED(test_only_a_regular_file_is_read, make_path, remove_file)
{
	(void)state;
	struct shim_conf_file *file = calloc(1, sizeof(*file));
	assert_non_null(file);
	/* /dev/zero would be read for ever; a directory is no file either. */
	assert_int_equal(shim_conf_file_load("/dev/zero", true, shim_config_variable_name, file, errors,
					     sizeof(errors)),
			 -EINVAL);
	assert_string_equal(errors, "/dev/zero: not read: expected a regular file of at most 64 KiB\n");
	assert_int_equal(shim_conf_file_load("/tmp", true, shim_config_variable_name, file, errors,
					     sizeof(errors)),
			 -EINVAL);
	free(file);
}

TEST_CASE_FIXED(test_a_fifo_is_refused_without_waiting_for_a_writer, make_path, remove_file)
{
	(void)state;
	assert_int_equal(mkfifo(conf_path, 0600), 0);
	struct shim_conf_file *file = calloc(1, sizeof(*file));
	assert_non_null(file);
	/* Before: open() waited for a writer that never comes (the test timed out). */
	assert_int_equal(shim_conf_file_load(conf_path, true, shim_config_variable_name, file, errors,
					     sizeof(errors)),
			 -EINVAL);
	char expected[128];
	snprintf(expected, sizeof(expected), "%s: not read: expected a regular file of at most 64 KiB\n",
		 conf_path);
	assert_string_equal(errors, expected);
	free(file);
}

/* Writes @len bytes as the file, loads it (expecting -EINVAL) and checks the one error line, @what at @line. */
static struct shim_conf_file *load_refusing_one_line(const char *bytes, size_t len, int line,
						     const char *what)
{
	FILE *out = fopen(conf_path, "w");
	assert_non_null(out);
	assert_int_equal(fwrite(bytes, 1, len, out), len);
	fclose(out);
	struct shim_conf_file *file = calloc(1, sizeof(*file));
	assert_non_null(file);
	assert_int_equal(shim_conf_file_load(conf_path, true, shim_config_variable_name, file, errors,
					     sizeof(errors)),
			 -EINVAL);
	char expected[128];
	snprintf(expected, sizeof(expected), "%s:%d: %s\n", conf_path, line, what);
	assert_string_equal(errors, expected);
	return file;
}

TEST_CASE_FIXED(test_a_nul_byte_is_an_error_on_its_own_line, make_path, remove_file)
{
	(void)state;
	static const char text[] = "log = debug\nport = /dev/tty\0USB0\nbaud = 57600\n";
	struct shim_conf_file *file = load_refusing_one_line(text, sizeof(text) - 1, 2,
							     "a NUL byte in the line");
	/* The lines around it are read (before, the next line was swallowed with it). */
	int line = 0;
	assert_null(shim_conf_file_value(file, "ST87_PORT", &line));
	assert_string_equal(shim_conf_file_value(file, "ST87_BAUD", &line), "57600");
	assert_int_equal(line, 3);
	assert_string_equal(shim_conf_file_value(file, "ST87_LOG", &line), "debug");
	free(file);
}

TEST_CASE_FIXED(test_a_line_too_long_is_an_error_and_the_next_line_is_read, make_path, remove_file)
{
	(void)state;
	char text[SHIM_CONF_VALUE_SIZE + 256];
	memset(text, 'x', sizeof(text));
	memcpy(text, "port = ", 7);
	static const char next[] = "\nbaud = 57600\n";
	memcpy(text + sizeof(text) - sizeof(next), next, sizeof(next));
	struct shim_conf_file *file = load_refusing_one_line(text, strlen(text), 1, "line too long");
	int line = 0;
	assert_string_equal(shim_conf_file_value(file, "ST87_BAUD", &line), "57600");
	assert_int_equal(line, 2);
	free(file);
}

TEST_CASE_FIXED(test_an_unprintable_path_is_quoted, make_path, remove_file)
{
	(void)state;
	struct shim_conf_file *file = calloc(1, sizeof(*file));
	assert_non_null(file);
	assert_int_equal(shim_conf_file_load("/nonexistent/\x01\xff.conf", true,
					     shim_config_variable_name, file, errors, sizeof(errors)),
			 -ENOENT);
	assert_string_equal(errors,
			    "/nonexistent/\\x01\\xff.conf: cannot read: No such file or directory\n");
	free(file);
}

TEST_CASE_FIXED(test_the_loader_reports_where_a_value_came_from, make_path, remove_file)
{
	(void)state;
	write_conf("\n# comment\nlog = debug\n");
	struct shim_conf_file *file = calloc(1, sizeof(*file));
	assert_non_null(file);
	assert_int_equal(shim_conf_file_load(conf_path, true, shim_config_variable_name, file, errors,
					     sizeof(errors)),
			 0);
	int line = 0;
	assert_string_equal(shim_conf_file_value(file, "ST87_LOG", &line), "debug");
	assert_int_equal(line, 3);
	assert_null(shim_conf_file_value(file, "ST87_PORT", &line));
	assert_int_equal(shim_conf_file_load("/nonexistent/st87.conf", false, shim_config_variable_name,
					     file, errors, sizeof(errors)),
			 0);
	assert_int_equal(file->count, 0);
	free(file);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
