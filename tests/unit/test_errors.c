/* CME codes: text from the note, errno for socket calls. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cme_table.h"
#include "internal.h"
#include "st87/st87.h"
#include "test_cases.h"

TEST_CASE(test_every_code_has_text_and_table_is_sorted)
{
	(void)state;
	assert_true(st87_cme_table_len > 250);
	for (size_t i = 0; i < st87_cme_table_len; i++) {
		if (i > 0)
			assert_true(st87_cme_table[i - 1].code < st87_cme_table[i].code);
		assert_ptr_equal(st87_cme_text(st87_cme_table[i].code), st87_cme_table[i].text);
		assert_true(st87_cme_errno(st87_cme_table[i].code) > 0);
	}
}

TEST_CASE(test_note_wording)
{
	(void)state;
	assert_string_equal(st87_cme_text(2150), "tcpip socket creation error");
	assert_string_equal(st87_cme_text(2152), "tcpip socket error while connecting");
	assert_string_equal(st87_cme_text(1), "no connection to phone");
	assert_string_equal(st87_cme_text(2712), "gnss busy");
	assert_null(st87_cme_text(9999));
}

TEST_CASE(test_socket_errnos)
{
	(void)state;
	assert_int_equal(st87_cme_errno(2150), EMFILE);
	assert_int_equal(st87_cme_errno(2152), ECONNREFUSED);
	assert_int_equal(st87_cme_errno(2157), EISCONN);
	assert_int_equal(st87_cme_errno(2106), ENETDOWN);
	assert_int_equal(st87_cme_errno(2154), EPIPE);
	assert_int_equal(st87_cme_errno(2146), EMSGSIZE);
	assert_int_equal(st87_cme_errno(2159), EADDRINUSE);
	assert_int_equal(st87_cme_errno(2141), EINVAL);
	assert_int_equal(st87_cme_errno(31), ETIMEDOUT);
	assert_int_equal(st87_cme_errno(12345), EIO);
}

/* A failure that quotes the one before it, as many do: "outer (inner)", not a garbled mix of the two. */
TEST_CASE(test_failure_quoting_the_last_error)
{
	(void)state;
	assert_int_equal(st87_fail(-EIO, "AT+CGPADDR: no answer from the modem within %d ms", 2000),
			 -EIO);
	assert_int_equal(st87_fail(-ENETDOWN, "the network gave the modem no address (%s)",
				   st87_last_error()),
			 -ENETDOWN);
	assert_string_equal(st87_last_error(),
			    "the network gave the modem no address "
			    "(AT+CGPADDR: no answer from the modem within 2000 ms)");
}

TEST_CASE(test_log_levels)
{
	(void)state;
	enum st87_log_level level;
	assert_int_equal(st87_log_parse_level("debug", &level), 0);
	assert_int_equal(level, ST87_LOG_DEBUG);
	assert_int_equal(st87_log_parse_level("WARN", &level), 0);
	assert_int_equal(level, ST87_LOG_WARN);
	assert_int_equal(st87_log_parse_level("0", &level), 0);
	assert_int_equal(level, ST87_LOG_NONE);
	assert_int_equal(st87_log_parse_level("loud", &level), -EINVAL);
	assert_int_equal(st87_log_parse_level("5", &level), -EINVAL);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
