#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKEMODEM_VERSION
#define FAKEMODEM_VERSION "unknown"
#endif

#define PROG "st87-fakemodem"

/* Values returned by getopt_long for the long-only options. */
enum {
	OPT_LINK = 256, OPT_ECHO, OPT_IGNORE_ATE0, OPT_IPV4, OPT_IPV6,
	OPT_LINK_DOWN, OPT_AUTO_IP, OPT_BAUD, OPT_FRAGMENT, OPT_URC_NOISE,
	OPT_URC_INTERLEAVE, OPT_GARBAGE, OPT_LATENCY, OPT_STALL_AFTER,
	OPT_REBOOT_AFTER, OPT_CONNECT_DELAY, OPT_READ_CHUNK, OPT_RX_BUFFER,
	OPT_NO_CLOSE_URC, OPT_SOCKETCLOSED_URC, OPT_STATS, OPT_TRACE, OPT_SEED,
};

static const struct option long_options[] = {
	{ "link", required_argument, NULL, OPT_LINK },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "ignore-ate0", no_argument, NULL, OPT_IGNORE_ATE0 },
	{ "ipv4", required_argument, NULL, OPT_IPV4 },
	{ "ipv6", required_argument, NULL, OPT_IPV6 },
	{ "link-down", no_argument, NULL, OPT_LINK_DOWN },
	{ "auto-ip", required_argument, NULL, OPT_AUTO_IP },
	{ "baud", required_argument, NULL, OPT_BAUD },
	{ "fragment", no_argument, NULL, OPT_FRAGMENT },
	{ "urc-noise", no_argument, NULL, OPT_URC_NOISE },
	{ "urc-interleave", no_argument, NULL, OPT_URC_INTERLEAVE },
	{ "garbage", no_argument, NULL, OPT_GARBAGE },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "stall-after", required_argument, NULL, OPT_STALL_AFTER },
	{ "reboot-after", required_argument, NULL, OPT_REBOOT_AFTER },
	{ "connect-delay", required_argument, NULL, OPT_CONNECT_DELAY },
	{ "read-chunk", required_argument, NULL, OPT_READ_CHUNK },
	{ "rx-buffer", required_argument, NULL, OPT_RX_BUFFER },
	{ "no-close-urc", no_argument, NULL, OPT_NO_CLOSE_URC },
	{ "socketclosed-urc", no_argument, NULL, OPT_SOCKETCLOSED_URC },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
"Usage: " PROG " [OPTION]...\n"
"A fake ST87MXX NB-IoT modem on a pseudo-terminal, with real TCP/UDP sockets\n"
"on the host behind each modem socket (loopback destinations only).\n"
"Prints the slave path (/dev/pts/N) as the first line on stdout, then serves\n"
"until SIGTERM or SIGINT. SIGUSR1 writes the --stats file.\n"
"\n"
"Files:\n"
"  --link PATH            also make PATH a symlink to the slave (removed at exit)\n"
"  --stats FILE           write counters as JSON at exit and on SIGUSR1\n"
"  --trace FILE           log the AT traffic line by line ('> ' in, '< ' out)\n"
"\n"
"Network:\n"
"  --ipv4 ADDR            the modem's IPv4 address (default 127.0.0.1)\n"
"  --ipv6 ADDR            the modem's IPv6 address (default ::1)\n"
"  --link-down            start with the IP link down (AT#IPCFG? -> 5,0)\n"
"  --auto-ip MS           with --link-down: bring the link up MS ms after start\n"
"                         and send the boot URCs (auto_ip 1 in AT#IPPARAMS?)\n"
"  --connect-delay MS     answer AT#TCPCONNECT no earlier than MS ms after it\n"
"  --read-chunk N         at most N bytes per AT#IPREAD on TCP (default 1500)\n"
"  --rx-buffer N          receive buffer per modem socket (default 4096)\n"
"  --no-close-urc         no #IPRECV when a TCP peer closes\n"
"  --socketclosed-urc     send #SOCKETCLOSED: 5,<sid> when a TCP peer closes\n"
"\n"
"What a real modem does (for testing the driver):\n"
"  --baud N               pace both directions at N/10 bytes per second\n"
"  --echo                 echo on at start (default: off)\n"
"  --ignore-ate0          ATE0 answers OK but leaves echo on\n"
"  --fragment             write output in random 1..7 byte pieces, tiny pauses\n"
"  --urc-noise            inject +CEREG: 1 / +CSCON: 1 between response lines\n"
"  --urc-interleave       send URCs that become due during a command at the\n"
"                         next line boundary instead of after its final result\n"
"  --garbage              inject lines of printable junk between lines\n"
"  --latency MS           wait MS ms before each final result code\n"
"  --stall-after N        after answering N commands, answer nothing more\n"
"  --reboot-after N       reboot once, at command N+1 (closes every socket and\n"
"                         sends the boot lines; that command gets no answer)\n"
"  --seed N               seed for --fragment, --urc-noise, --garbage\n"
"\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n";

static const char *option_name(int val)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static int bad_value(int val, const char *arg, const char *what)
{
	fprintf(stderr, PROG ": --%s: expected %s, got '%s'\n",
		option_name(val), what, arg);
	return 2;
}

/* Parses a whole decimal argument in [min, max]; anything else is an error. */
static int parse_long(int val, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		char what[64];

		snprintf(what, sizeof(what), "an integer from %ld to %ld", min, max);
		return bad_value(val, arg, what);
	}
	*out = v;
	return 0;
}

static int parse_address(int val, const char *arg, int family, char *out,
			 size_t size)
{
	unsigned char bin[16];

	if (strlen(arg) >= size || inet_pton(family, arg, bin) != 1)
		return bad_value(val, arg, family == AF_INET ?
				 "an IPv4 address" : "an IPv6 address");
	strcpy(out, arg);
	return 0;
}

static void set_defaults(struct fm_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	strcpy(opt->ipv4, "127.0.0.1");
	strcpy(opt->ipv6, "::1");
	opt->auto_ip_ms = -1;
	opt->stall_after = -1;
	opt->reboot_after = -1;
	opt->read_chunk = 1500;
	opt->rx_buffer = 4096;
}

static int apply_option(int c, const char *arg, struct fm_options *opt)
{
	long v;
	int rc = 0;

	switch (c) {
	case OPT_LINK: opt->link_path = arg; break;
	case OPT_STATS: opt->stats_path = arg; break;
	case OPT_TRACE: opt->trace_path = arg; break;
	case OPT_ECHO: opt->echo = true; break;
	case OPT_IGNORE_ATE0: opt->ignore_ate0 = true; break;
	case OPT_LINK_DOWN: opt->link_down = true; break;
	case OPT_FRAGMENT: opt->fragment = true; break;
	case OPT_URC_NOISE: opt->urc_noise = true; break;
	case OPT_URC_INTERLEAVE: opt->urc_interleave = true; break;
	case OPT_GARBAGE: opt->garbage = true; break;
	case OPT_NO_CLOSE_URC: opt->no_close_urc = true; break;
	case OPT_SOCKETCLOSED_URC: opt->socketclosed_urc = true; break;
	case OPT_IPV4:
		rc = parse_address(c, arg, AF_INET, opt->ipv4, sizeof(opt->ipv4));
		break;
	case OPT_IPV6:
		rc = parse_address(c, arg, AF_INET6, opt->ipv6, sizeof(opt->ipv6));
		break;
	case OPT_AUTO_IP:
		rc = parse_long(c, arg, 0, 3600000, &opt->auto_ip_ms);
		break;
	case OPT_BAUD:
		/* Below 10 baud the line would carry less than a byte a second. */
		rc = parse_long(c, arg, 10, 100000000, &v);
		opt->baud = (unsigned long)v;
		break;
	case OPT_LATENCY:
		rc = parse_long(c, arg, 0, 600000, &opt->latency_ms);
		break;
	case OPT_CONNECT_DELAY:
		rc = parse_long(c, arg, 0, 600000, &opt->connect_delay_ms);
		break;
	case OPT_STALL_AFTER:
		rc = parse_long(c, arg, 0, 1000000000, &opt->stall_after);
		break;
	case OPT_REBOOT_AFTER:
		rc = parse_long(c, arg, 0, 1000000000, &opt->reboot_after);
		break;
	case OPT_READ_CHUNK:
		rc = parse_long(c, arg, 1, 65535, &opt->read_chunk);
		break;
	case OPT_RX_BUFFER:
		rc = parse_long(c, arg, 1, 16 * 1024 * 1024, &opt->rx_buffer);
		break;
	case OPT_SEED:
		rc = parse_long(c, arg, 0, 2147483647, &v);
		opt->seed = (uint64_t)v;
		opt->seed_given = true;
		break;
	default:
		break;
	}
	return rc;
}

int options_parse(int argc, char **argv, struct fm_options *opt)
{
	int c;

	set_defaults(opt);
	opterr = 0; /* report errors ourselves, in one line */
	while ((c = getopt_long(argc, argv, ":hV", long_options, NULL)) != -1) {
		int rc;

		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf(PROG " " FAKEMODEM_VERSION "\n");
			return 0;
		case ':':
			if (optopt >= OPT_LINK)
				fprintf(stderr, PROG ": option --%s needs a value\n",
					option_name(optopt));
			else
				fprintf(stderr, PROG ": option '%s' needs a value\n",
					argv[optind - 1]);
			return 2;
		case '?':
			if (optopt && optopt < OPT_LINK && optopt != '?')
				fprintf(stderr, PROG ": unknown option '-%c' (see --help)\n",
					optopt);
			else
				fprintf(stderr, PROG ": unknown option '%s' (see --help)\n",
					argv[optind - 1]);
			return 2;
		default:
			rc = apply_option(c, optarg, opt);
			if (rc)
				return rc;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	return -1;
}
