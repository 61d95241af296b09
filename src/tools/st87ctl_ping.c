/*
 * st87ctl ping: AT#IPPING printed the way ping(8) prints, with ping(8)'s
 * exit status (0 at least one reply, 1 no reply, 2 other error; and, as
 * everywhere in st87ctl, 3 when there is no modem).
 *
 * The note's limits (count 1..20, size 1..450 bytes, timeout 1..120 s) are
 * checked before the port is even opened, so a bad value never reaches the
 * modem.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "st87ctl.h"

/* The vendor note's limits for AT#IPPING (section 3.3). */
#define PING_MAX_COUNT 20
#define PING_MAX_SIZE 450
#define PING_MAX_TIMEOUT_S 120

#define DEFAULT_COUNT 4
#define DEFAULT_SIZE 32
#define DEFAULT_TIMEOUT_S 10

/* How long st87_modem_start() may wait for the IP link to come up. */
#define LINK_TIMEOUT_MS 10000

struct ping_run {
	const char *host;
	int size;
	bool json;
	struct st87_ping_reply replies[PING_MAX_COUNT];
	int reply_count;
};

static void print_help(void)
{
	printf("Usage: st87ctl ping HOST [-c COUNT] [-s SIZE] [-W TIMEOUT] [--json]\n"
	       "Ping HOST from the modem (AT#IPPING) and print the replies like ping(8).\n"
	       "HOST is a numeric IPv4 or IPv6 address: the modem has no resolver.\n"
	       "The modem's IP link is brought up first if it is not up yet.\n\n"
	       "  -c, --count COUNT     pings to send, 1..%d (default %d)\n"
	       "  -s, --size SIZE       data bytes per ping, 1..%d (default %d)\n"
	       "  -W, --timeout TIMEOUT seconds to wait for each reply, 1..%d (default %d)\n"
	       "      --json            one JSON object on stdout\n"
	       "  -h, --help            this help\n\n"
	       "Replies are printed when the modem has finished all COUNT pings:\n"
	       "it reports them together, at the end.\n\n"
	       "Exit status, as ping(8): 0 at least one reply, 1 no reply, 2 any other\n"
	       "error (bad option, value outside the limits, modem error); and 3 when\n"
	       "there is no modem (port missing, busy, or nothing answers).\n",
	       PING_MAX_COUNT, DEFAULT_COUNT, PING_MAX_SIZE, DEFAULT_SIZE, PING_MAX_TIMEOUT_S,
	       DEFAULT_TIMEOUT_S);
}

static bool is_numeric_address(const char *host)
{
	unsigned char address[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
}

/* Parses one of the limited numbers; prints the usage error itself. */
static int parse_limited(const char *what, const char *text, int max, int *value)
{
	int err = st87ctl_parse_int(text, 1, max, value);
	if (err == -ERANGE)
		return st87ctl_usage_error("ping", "%s %s is outside 1..%d (the modem's limit)", what,
					   text, max);
	if (err)
		return st87ctl_usage_error("ping", "%s '%s' is not a number", what, text);
	return ST87CTL_EXIT_OK;
}

static const char *result_name(int result)
{
	switch (result) {
	case 0:
		return "ok";
	case 1:
		return "timeout";
	case 2:
		return "bad sequence";
	case 3:
		return "transmission failed";
	default:
		return "unknown";
	}
}

static void on_reply(void *user, const struct st87_ping_reply *reply)
{
	struct ping_run *run = user;
	if (run->reply_count < PING_MAX_COUNT)
		run->replies[run->reply_count++] = *reply;
	if (run->json)
		return;
	switch (reply->result) {
	case 0:
		printf("%d bytes from %s: seq=%d time=%d ms\n", reply->bytes, run->host, reply->seq,
		       reply->time_ms);
		break;
	case 1:
		printf("Request timeout for seq %d\n", reply->seq);
		break;
	case 2:
		printf("Bad sequence number for seq %d\n", reply->seq);
		break;
	default:
		printf("Transmission failed for seq %d (result %d)\n", reply->seq, reply->result);
		break;
	}
	fflush(stdout); /* each reply as it comes, like ping(8) */
}

static int loss_percent(const struct st87_ping_summary *summary)
{
	if (summary->sent <= 0)
		return 0;
	return (summary->sent - summary->received) * 100 / summary->sent;
}

static void print_summary_text(const struct ping_run *run, const struct st87_ping_summary *summary)
{
	printf("\n--- %s ping statistics ---\n", run->host);
	printf("%d packets transmitted, %d received, %d%% packet loss\n", summary->sent,
	       summary->received, loss_percent(summary));
	if (summary->received > 0)
		printf("rtt min/avg/max = %d/%d/%d ms\n", summary->min_ms, summary->avg_ms,
		       summary->max_ms);
}

static void print_json(const struct ping_run *run, const struct st87_ping_summary *summary)
{
	printf("{\"host\": ");
	st87ctl_json_string(stdout, run->host);
	printf(", \"size\": %d, \"replies\": [", run->size);
	for (int i = 0; i < run->reply_count; i++) {
		const struct st87_ping_reply *reply = &run->replies[i];
		printf("%s{\"seq\": %d, \"result\": \"%s\", \"bytes\": %d, \"time_ms\": ", i ? ", " : "",
		       reply->seq, result_name(reply->result), reply->bytes);
		/* The modem reports 999999 ms for a ping without reply: that is no time at all. */
		if (reply->result == 0)
			printf("%d}", reply->time_ms);
		else
			printf("null}");
	}
	printf("],\n \"transmitted\": %d, \"received\": %d, \"loss_percent\": %d, \"rtt_ms\": ",
	       summary->sent, summary->received, loss_percent(summary));
	if (summary->received > 0)
		printf("{\"min\": %d, \"avg\": %d, \"max\": %d}}\n", summary->min_ms, summary->avg_ms,
		       summary->max_ms);
	else
		printf("null}\n");
}

/* After the port opened, a failure is ping(8)'s "other error", unless the modem fell silent. */
static int fail(const struct ping_run *run, int err, const char *what)
{
	const char *text = st87ctl_describe(err);
	st87ctl_error("%s%s", what, text);
	if (run->json) {
		printf("{\"host\": ");
		st87ctl_json_string(stdout, run->host);
		printf(", \"error\": ");
		st87ctl_json_string(stdout, text);
		printf("}\n");
	}
	return err == -ETIMEDOUT ? ST87CTL_EXIT_NO_MODEM : ST87CTL_EXIT_USAGE;
}

int st87ctl_ping_run(const struct st87ctl_globals *globals, int argc, char **argv)
{
	static const struct option options[] = {
		{"count", required_argument, NULL, 'c'},   {"size", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 'W'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	struct ping_run run = {.size = DEFAULT_SIZE, .json = globals->json};
	int count = DEFAULT_COUNT, timeout_s = DEFAULT_TIMEOUT_S;
	int option, code;
	/* No '+': GNU getopt lets options follow HOST, as in "ping 10.0.0.1 -c 3". */
	while ((option = getopt_long(argc, argv, ":c:s:W:h", options, NULL)) != -1) {
		switch (option) {
		case 'c':
			if ((code = parse_limited("count", optarg, PING_MAX_COUNT, &count)))
				return code;
			break;
		case 's':
			if ((code = parse_limited("size", optarg, PING_MAX_SIZE, &run.size)))
				return code;
			break;
		case 'W':
			if ((code = parse_limited("timeout", optarg, PING_MAX_TIMEOUT_S, &timeout_s)))
				return code;
			break;
		case 'j':
			run.json = true;
			break;
		default:
			return st87ctl_help_or_bad_option("ping", option, argv, print_help);
		}
	}
	if (optind >= argc)
		return st87ctl_usage_error("ping", "no HOST given");
	if (optind + 1 < argc)
		return st87ctl_usage_error("ping", "unexpected argument '%s'", argv[optind + 1]);
	run.host = argv[optind];
	if (!is_numeric_address(run.host))
		return st87ctl_usage_error(
			"ping", "%s: not a numeric IPv4 or IPv6 address (the modem has no resolver)",
			run.host);

	struct st87_modem *modem = NULL;
	code = st87ctl_open_modem(globals, NULL, NULL, NULL, &modem);
	if (code != ST87CTL_EXIT_OK)
		return code;
	/* AT#IPPING needs the IP link: start-up brings it up if it is not. */
	int err = st87_modem_start(modem, LINK_TIMEOUT_MS, false);
	if (err) {
		code = fail(&run, err, "cannot bring the modem's IP link up: ");
		st87_modem_close(modem);
		return code;
	}
	if (!run.json) {
		printf("PING %s: %d data bytes\n", run.host, run.size);
		fflush(stdout);
	}
	struct st87_ping_summary summary;
	err = st87_ipping(modem, run.host, timeout_s, run.size, count, on_reply, &run, &summary);
	st87_modem_close(modem);
	if (err)
		return fail(&run, err, "ping failed: ");
	if (run.json)
		print_json(&run, &summary);
	else
		print_summary_text(&run, &summary);
	return summary.received > 0 ? ST87CTL_EXIT_OK : ST87CTL_EXIT_MODEM_ERROR;
}
