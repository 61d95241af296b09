/*
 * CMocka cases that register themselves where they are written: a program's
 * cases run in the order they stand in its source, and no list has to be kept
 * beside them (one less place to forget a case, and one less list per test
 * program to read).
 *
 *     TEST_CASE(test_echo_is_byte_exact)
 *     {
 *             (void)state;
 *             ...
 *     }
 *
 *     int main(void)
 *     {
 *             return test_cases_run("echo", NULL, NULL);
 *     }
 */
#ifndef ST87_TEST_CASES_H
#define ST87_TEST_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Takes one case; called by the constructors the macros below write. */
void test_cases_add(const struct CMUnitTest *test, const char *file, int line);

/* Runs every case registered so far, in source order, as one CMocka group. */
int test_cases_run(const char *group_name, CMFixtureFunction group_setup,
		   CMFixtureFunction group_teardown);

#define TEST_CASES_JOIN_(a, b) a##b
#define TEST_CASES_JOIN(a, b) TEST_CASES_JOIN_(a, b)

/*
 * Registers @p function as a case named @p case_name, run between @p setup and
 * @p teardown (either may be NULL) with @p initial_state as its state: for one
 * function run under several configurations.
 */
#define TEST_CASE_REGISTER(case_name, function, setup, teardown, initial_state)                       \
	__attribute__((constructor)) static void TEST_CASES_JOIN(register_case_, __LINE__)(void)      \
	{                                                                                             \
		const struct CMUnitTest test = {case_name, function, setup, teardown, initial_state}; \
		test_cases_add(&test, __FILE__, __LINE__);                                            \
	}

/* Defines and registers a case: the function's body follows the macro. */
#define TEST_CASE_WITH(name, setup, teardown, initial_state)            \
	static void name(void **state);                                 \
	TEST_CASE_REGISTER(#name, name, setup, teardown, initial_state) \
	static void name(void **state)

#define TEST_CASE(name) TEST_CASE_WITH(name, NULL, NULL, NULL)
#define TEST_CASE_FIXED(name, setup, teardown) TEST_CASE_WITH(name, setup, teardown, NULL)

#endif
