/*
 * The IP link functions of libst87 against st87-fakemodem: start-up in its
 * three cases (link up, auto-IP, configured from AT+CGPADDR), AT#IPCFG,
 * AT#IPDEL, AT#IPPARAMS, AT+CGPADDR, AT#IPPING and raw commands.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"

static void assert_link_up(struct test_session *s)
{
	struct st87_ipcfg ipcfg;
	assert_int_equal(st87_ipcfg_read(s->modem, &ipcfg), 0);
	assert_int_equal(ipcfg.cid, profile_cid());
	assert_int_equal(ipcfg.status, 1);
	assert_string_equal(ipcfg.ipv4, "127.0.0.1");
}

SESSION_CASE(test_start_shows_link_and_addresses, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	assert_int_equal(st87_modem_cid(s->modem), profile_cid());
	assert_true(st87_modem_fd(s->modem) >= 0);
	assert_non_null(st87_modem_at(s->modem));
	assert_string_equal(st87_modem_path(s->modem), s->fake.pty_path);

	assert_link_up(s);
	struct st87_ipcfg ipcfg;
	assert_int_equal(st87_ipcfg_read(s->modem, &ipcfg), 0);
	assert_string_equal(ipcfg.ipv6, "::1");

	/* The fake modem's link is up from the start, so auto-IP is on. */
	struct st87_ipparams params = {.auto_ip = -1,
				       .preferred_ip_version = -1,
				       .max_ipstack_periodicity = -1,
				       .auto_ip_timeout = -1};
	assert_int_equal(st87_ipparams_read(s->modem, &params), 0);
	assert_int_equal(params.auto_ip, 1);
	assert_int_equal(params.preferred_ip_version, 0);
	assert_true(params.max_ipstack_periodicity >= 0);
	assert_true(params.auto_ip_timeout >= 0);

	char ipv4[ST87_ADDR_LEN], ipv6[ST87_ADDR_LEN];
	assert_int_equal(st87_cgpaddr(s->modem, ipv4, ipv6), 0);
	assert_string_equal(ipv4, "127.0.0.1");
	assert_string_equal(ipv6, "::1");
	finish_session(s);
}

SESSION_CASE(test_ipparams_set_reads_back, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	struct st87_ipparams wanted = {.auto_ip = 0,
				       .preferred_ip_version = 1,
				       .max_ipstack_periodicity = 1200,
				       .auto_ip_timeout = 30};
	assert_int_equal(st87_ipparams_set(s->modem, &wanted), 0);
	struct st87_ipparams read_back;
	assert_int_equal(st87_ipparams_read(s->modem, &read_back), 0);
	assert_memory_equal(&read_back, &wanted, sizeof(wanted));
	finish_session(s);
}

SESSION_CASE(test_ipdel_then_ipcfg_set, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	assert_int_equal(st87_ipdel(s->modem), 0);
	struct st87_ipcfg ipcfg;
	assert_int_equal(st87_ipcfg_read(s->modem, &ipcfg), 0);
	assert_int_equal(ipcfg.status, 0);

	unsigned link_up_before = s->events.link_up;
	assert_int_equal(st87_ipcfg_set(s->modem, 0, "127.0.0.1", -1), 0);
	/* "IP Network is Up" follows the OK; the next command hands it to on_event. */
	assert_link_up(s);
	assert_true(s->events.link_up > link_up_before);
	finish_session(s);
}

struct ping_log {
	int replies;
	struct st87_ping_reply reply[8];
};

static void on_ping_reply(void *user, const struct st87_ping_reply *reply)
{
	struct ping_log *log = user;
	if (log->replies < 8)
		log->reply[log->replies] = *reply;
	log->replies++;
}

SESSION_CASE(test_ping_loopback, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	struct ping_log log = {0};
	struct st87_ping_summary summary;
	memset(&summary, 0xff, sizeof(summary));
	int err = st87_ipping(s->modem, "127.0.0.1", 5, 32, 3, on_ping_reply, &log, &summary);
	assert_int_equal(err, 0);
	assert_int_equal(log.replies, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(log.reply[i].seq, i + 1);
		assert_int_equal(log.reply[i].result, 0);
		assert_int_equal(log.reply[i].bytes, 32);
		assert_true(log.reply[i].time_ms >= 0);
	}
	assert_int_equal(summary.sent, 3);
	assert_int_equal(summary.received, 3);
	assert_int_equal(summary.lost, 0);
	assert_true(summary.min_ms <= summary.avg_ms && summary.avg_ms <= summary.max_ms);
	finish_session(s);
}

SESSION_CASE(test_ping_out_of_range_sends_nothing, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	struct st87_ping_summary summary;
	assert_int_equal(st87_ipping(s->modem, "127.0.0.1", 5, 32, 21, NULL, NULL, &summary), -EINVAL);
	assert_non_null(strstr(st87_last_error(), "count"));
	assert_int_equal(st87_ipping(s->modem, "127.0.0.1", 5, 451, 3, NULL, NULL, &summary), -EINVAL);
	assert_non_null(strstr(st87_last_error(), "size"));
	assert_int_equal(st87_ipping(s->modem, "127.0.0.1", 0, 32, 3, NULL, NULL, &summary), -EINVAL);
	assert_non_null(strstr(st87_last_error(), "timeout"));
	assert_int_equal(st87_ipping(s->modem, "127.0.0.1", 5, 32, 0, NULL, NULL, &summary), -EINVAL);

	/* Answered, so the fake modem has taken (and traced) everything sent before it. */
	assert_link_up(s);
	finish_session(s);
	assert_true(fake_modem_received(s, "AT#IPCFG?")); /* the trace is there to be read */
	assert_false(fake_modem_received(s, "PING"));
}

static const char *const auto_ip_switches[] = {"--link-down", "--auto-ip", "300", NULL};
static const char *const link_down_switches[] = {"--link-down", NULL};
static struct session_config auto_ip = {.switches = auto_ip_switches};
static struct session_config link_down = {.switches = link_down_switches};

SESSION_CASE(test_start_waits_for_auto_ip, &auto_ip)
{
	struct test_session *s = *state;
	open_started_modem(s);
	assert_link_up(s);
	assert_true(s->events.link_up > 0);
	assert_true(saw_unsolicited(s, with_profile_cid("+CGEV: ME PDN ACT %d")));
	finish_session(s);
	/* The link came up by itself: the driver waited instead of configuring it. */
	assert_true(fake_modem_received(s, "AT#IPPARAMS?"));
	assert_false(fake_modem_received(s, "AT#IPCFG="));
}

SESSION_CASE(test_start_configures_link_from_cgpaddr, &link_down)
{
	struct test_session *s = *state;
	open_started_modem(s);
	assert_link_up(s);
	finish_session(s);
	assert_true(fake_modem_received(s, "AT+CGPADDR"));
	assert_true(fake_modem_received(s, with_profile_cid("AT#IPCFG=%d,0,127.0.0.1")));
}

SESSION_CASE(test_raw_commands, NULL)
{
	struct test_session *s = *state;
	open_started_modem(s);
	struct st87_at_reply reply;
	assert_int_equal(st87_modem_raw(s->modem, with_profile_cid("AT+CGPADDR=%d"), 2000, &reply), 0);
	assert_true(reply.n_lines >= 1);
	assert_non_null(strstr(reply.lines[0], with_profile_cid("+CGPADDR: %d")));

	/* 504: command unknown; the errno is the table's, the code is kept. */
	int err = st87_modem_raw(s->modem, "AT#NOSUCHCOMMAND", 2000, &reply);
	assert_int_equal(err, -st87_cme_errno(504));
	assert_int_equal(reply.cme, 504);
	assert_int_equal(st87_modem_last_cme(s->modem), 504);
	finish_session(s);
}

int main(int argc, char **argv)
{
	if (!take_fake_modem_path(argc, argv))
		return 1;
	return test_cases_run("libst87 link", NULL, NULL);
}
