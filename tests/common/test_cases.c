/* The registry behind TEST_CASE: filled by constructors before main runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_cases.h"

/* More than any test program here has; a program with more fails at once, saying so. */
#define MAX_CASES 256

struct registered_case {
	struct CMUnitTest test;
	const char *file;
	int line;
};

static struct registered_case registered[MAX_CASES];
static size_t registered_count;

void test_cases_add(const struct CMUnitTest *test, const char *file, int line)
{
	if (registered_count == MAX_CASES) {
		fprintf(stderr, "test_cases: more than %d cases; raise MAX_CASES\n", MAX_CASES);
		abort();
	}
	registered[registered_count++] = (struct registered_case){*test, file, line};
}

/* Constructors run in no promised order; the source's order is the one a reader expects. */
static int by_place_in_source(const void *a, const void *b)
{
	const struct registered_case *left = a, *right = b;
	int by_file = strcmp(left->file, right->file);
	if (by_file != 0)
		return by_file;
	return (left->line > right->line) - (left->line < right->line);
}

int test_cases_run(const char *group_name, CMFixtureFunction group_setup,
		   CMFixtureFunction group_teardown)
{
	if (registered_count == 0) {
		fprintf(stderr, "test_cases: %s has no cases\n", group_name);
		return 1;
	}
	qsort(registered, registered_count, sizeof(registered[0]), by_place_in_source);
	struct CMUnitTest tests[MAX_CASES];
	for (size_t i = 0; i < registered_count; i++)
		tests[i] = registered[i].test;
	return _cmocka_run_group_tests(group_name, tests, registered_count, group_setup, group_teardown);
}
