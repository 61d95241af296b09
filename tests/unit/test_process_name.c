/*
 * A process names itself (prctl(PR_SET_NAME), argv[0]): st87d shows that
 * name to root's terminal and writes it to its log, so it comes back as one
 * line of printable ASCII, whatever bytes the process chose.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"
#include "test_cases.h"

static char own_name[16];

static int keep_own_name(void **state)
{
	(void)state;
	return prctl(PR_GET_NAME, own_name, 0, 0, 0);
}

static int restore_own_name(void **state)
{
	(void)state;
	return prctl(PR_SET_NAME, own_name, 0, 0, 0);
}

/* Names this process @given and reads its name back, as st87d reads a client's, into @name. */
static void read_back_name(const char *given, char name[ST87_PROCESS_NAME_SIZE])
{
	assert_int_equal(prctl(PR_SET_NAME, given, 0, 0, 0), 0);
	st87_process_name((long)getpid(), name, ST87_PROCESS_NAME_SIZE);
}

TEST_CASE(test_a_hostile_name_comes_back_escaped)
{
	(void)state;
	char name[ST87_PROCESS_NAME_SIZE];
	/* A terminal's clear-screen, a backslash, DEL, a right-to-left mark, a newline. */
	read_back_name("\x1b[2J\\\x7f\xe2\x80\x8f\nx", name);
	assert_string_equal(name, "\\x1b[2J\\x5c\\x7f\\xe2\\x80\\x8f\\x0ax");
}

TEST_CASE(test_a_longest_name_escaped_whole_fits)
{
	(void)state;
	char name[ST87_PROCESS_NAME_SIZE];
	read_back_name("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", name);
	assert_int_equal(strlen(name), 15 * 4);
	assert_memory_equal(name + 14 * 4, "\\x0f", 4);
}

TEST_CASE(test_a_plain_name_is_unchanged)
{
	(void)state;
	char name[ST87_PROCESS_NAME_SIZE];
	read_back_name("curl", name);
	assert_string_equal(name, "curl");
}

TEST_CASE(test_no_process_gives_an_empty_name)
{
	(void)state;
	char name[ST87_PROCESS_NAME_SIZE] = "stale";
	st87_process_name(-1, name, sizeof(name));
	assert_string_equal(name, "");
}

TEST_CASE(test_what_does_not_fit_is_left_out_never_half_an_escape)
{
	(void)state;
	char out[6];
	st87_printable("\x01"
		       "abc",
		       4, out, sizeof(out));
	assert_string_equal(out, "\\x01a");
	st87_printable("a\x01", 2, out, 5);
	assert_string_equal(out, "a");
	st87_printable("\x01", 1, out, 4);
	assert_string_equal(out, "");
}

int main(void)
{
	return test_cases_run("tests", keep_own_name, restore_own_name);
}
