/* Splitting information lines into parameters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fields.h"
#include "test_cases.h"

TEST_CASE(test_quoted_and_bare)
{
	(void)state;
	struct st87_fields fields;
	assert_int_equal(st87_fields_split("#IPCFG: 5,1,\"100.115.11.113\", 2a02::1 ", true, &fields),
			 4);
	assert_string_equal(fields.value[2], "100.115.11.113");
	assert_string_equal(fields.value[3], "2a02::1");
	int value;
	assert_int_equal(st87_fields_int(&fields, 1, &value), 0);
	assert_int_equal(value, 1);
	assert_int_equal(st87_fields_int(&fields, 2, &value), -EPROTO);
	assert_int_equal(st87_fields_int(&fields, 9, &value), -EPROTO);
}

TEST_CASE(test_without_colon)
{
	(void)state;
	struct st87_fields fields;
	assert_int_equal(st87_fields_split("3,0,10,193", false, &fields), 4);
	assert_string_equal(fields.value[3], "193");
}

TEST_CASE(test_too_many_or_too_long)
{
	(void)state;
	struct st87_fields fields;
	assert_int_equal(st87_fields_split("#X: 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", true,
					   &fields),
			 -EPROTO);
	char line[200];
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(st87_fields_split(line, false, &fields), -EPROTO);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
