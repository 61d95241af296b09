/*
 * AT#DNS as the maker's firmware answers it (issue 25): a TTL after the
 * address, an error line after a valid answer, 2112 (no DNS server), and a
 * bare ERROR that came while error codes were off, which says nothing about
 * whether the firmware knows the command.
 *
 * The serial port is replaced (-Wl,--wrap) by a model that answers every
 * AT#DNS with the test's answer and counts them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "st87/st87.h"
#include "wrapped_lines.h"
#include "wrapped_serial.h"
#include "test_cases.h"

struct modem_model {
	struct wrapped_lines port;
	const char *dns_answer; /* what the model says to each AT#DNS */
	int dns_asked;
};

static void react(struct wrapped_lines *port, const char *line)
{
	struct modem_model *m = (struct modem_model *)port;
	if (strncmp(line, "AT#DNS=", 7) == 0) {
		m->dns_asked++;
		wrapped_lines_say(port, m->dns_answer);
	} else if (strcmp(line, "AT") == 0) {
		wrapped_lines_say(port, "\r\nOK\r\n");
	} else {
		fail_msg("the modem model was sent \"%s\"", line);
	}
}

/* A modem just opened: no start-up, so AT+CMEE=1 has not been sent. */
static struct st87_modem *open_model(struct modem_model *m, const char *dns_answer)
{
	*m = (struct modem_model){.port.on_line = react, .dns_answer = dns_answer};
	struct st87_modem_options options = {.port = "modem-model", .sleep_hold_ms = -1};
	return wrapped_serial_open(m, &options);
}

TEST_CASE(test_ttl_after_the_address_is_read)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_model(&model, "\r\n#DNS: 192.0.2.7,300\r\n\r\nOK\r\n");
	char address[ST87_ADDR_LEN];
	int ttl_s = 0;
	assert_int_equal(st87_dns_resolve_ttl(modem, "sensor.test", 0, address, &ttl_s), 0);
	assert_string_equal(address, "192.0.2.7");
	assert_int_equal(ttl_s, 300);
	st87_modem_close(modem);
}

TEST_CASE(test_error_line_after_a_valid_answer_leaves_it_standing)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_model(&model, "\r\n#DNS: 192.0.2.7\r\n\r\nERROR\r\n");
	char address[ST87_ADDR_LEN];
	assert_int_equal(st87_dns_resolve(modem, "sensor.test", 0, address), 0);
	assert_string_equal(address, "192.0.2.7");
	st87_modem_close(modem);
}

TEST_CASE(test_no_dns_server_says_so)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_model(&model, "\r\n+CME ERROR: 2112\r\n");
	char address[ST87_ADDR_LEN];
	assert_int_equal(st87_dns_resolve(modem, "sensor.test", 0, address), -EHOSTUNREACH);
	assert_non_null(strstr(st87_last_error(), "no DNS server"));
	assert_non_null(strstr(st87_last_error(), "AT#IPPARAMS"));
	st87_modem_close(modem);
}

/* Error codes off (a restart before AT+CMEE=1): the bare ERROR may be any error, so AT#DNS is asked again. */
TEST_CASE(test_bare_error_while_cmee_is_off_is_not_remembered)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_model(&model, "\r\nERROR\r\n");
	char address[ST87_ADDR_LEN];
	assert_int_equal(st87_dns_resolve(modem, "sensor.test", 0, address), -ENOSYS);
	model.dns_answer = "\r\n#DNS: 192.0.2.7\r\n\r\nOK\r\n";
	assert_int_equal(st87_dns_resolve(modem, "sensor.test", 0, address), 0);
	assert_int_equal(model.dns_asked, 2);
	st87_modem_close(modem);
}

/* iLabs' firmware: an error without its code is an error, not an unknown command. */
TEST_CASE(test_cme_error_without_a_code_is_an_error)
{
	(void)state;
	struct modem_model model;
	struct st87_modem *modem = open_model(&model, "\r\n+CME ERROR\r\n");
	char address[ST87_ADDR_LEN];
	assert_int_equal(st87_dns_resolve(modem, "sensor.test", 0, address), -EIO);
	assert_int_equal(model.dns_asked, 1);
	st87_modem_close(modem);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
