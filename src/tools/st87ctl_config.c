/*
 * st87ctl config: show or change the IP stack settings (AT#IPPARAMS).
 * Only the fields given change: the current settings are read first and
 * written back with those fields replaced, the fields after the fourth (the
 * maker's firmware: NB-sent counting, DNS servers) as the modem gave them, so
 * a change never wipes a DNS server. Per the note (section 3.2) the
 * modem saves them to NVM with AT#RESET=1 and uses them after it restarts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "st87ctl.h"

/* The note sets the periodicity to 0xFFFF by default; both fields are 16-bit timers. */
#define MAX_TIMER_S 65535

/* The fields the command line asked to change; -1 for those it did not. */
struct requested_change {
	int auto_ip, preferred_ip_version, max_ipstack_periodicity, auto_ip_timeout;
};

static void print_help(void)
{
	printf("Usage: st87ctl config [--auto-ip on|off] [--prefer ipv4|ipv6]\n"
	       "                      [--periodicity N] [--auto-ip-timeout S]\n"
	       "Show the modem's IP stack settings (AT#IPPARAMS?) or change the ones given.\n\n"
	       "  --auto-ip on|off       the modem brings its IP link up by itself at boot\n"
	       "  --prefer ipv4|ipv6     the IP version used when nothing else decides\n"
	       "  --periodicity N        max IP stack periodicity, seconds (0..%d)\n"
	       "  --auto-ip-timeout S    seconds from start-up to PS attach before sleep (0..%d)\n"
	       "  -h, --help             this help\n\n"
	       "The fields after these four (NB-sent counting, DNS servers, on firmware that\n"
	       "has them) are written back as the modem gave them.\n\n"
	       "Changes take effect after the modem restarts; AT#RESET=1 saves them and\n"
	       "restarts it (st87ctl at 'AT#RESET=1').\n\n%s",
	       MAX_TIMER_S, MAX_TIMER_S, st87ctl_exit_code_help);
}

static int parse_choice(const char *option, const char *text, const char *off_word, const char *on_word,
			int *value)
{
	if (strcasecmp(text, off_word) == 0 || strcmp(text, "0") == 0) {
		*value = 0;
		return ST87CTL_EXIT_OK;
	}
	if (strcasecmp(text, on_word) == 0 || strcmp(text, "1") == 0) {
		*value = 1;
		return ST87CTL_EXIT_OK;
	}
	return st87ctl_usage_error("config", "%s '%s': expected %s or %s", option, text, off_word,
				   on_word);
}

static int parse_timer(const char *option, const char *text, int *value)
{
	if (st87ctl_parse_int(text, 0, MAX_TIMER_S, value))
		return st87ctl_usage_error("config", "%s '%s': expected 0..%d seconds", option, text,
					   MAX_TIMER_S);
	return ST87CTL_EXIT_OK;
}

static void print_params(const char *label, const struct st87_ipparams *params)
{
	printf("%s auto IP %s, preferred %s, periodicity %d s, auto-IP timeout %d s", label,
	       params->auto_ip ? "on" : "off", params->preferred_ip_version ? "IPv6" : "IPv4",
	       params->max_ipstack_periodicity, params->auto_ip_timeout);
	if (params->more[0])
		printf(", further fields %s (kept)", params->more);
	printf("\n");
}

static bool wants_change(const struct requested_change *change)
{
	return change->auto_ip >= 0 || change->preferred_ip_version >= 0 ||
		change->max_ipstack_periodicity >= 0 || change->auto_ip_timeout >= 0;
}

static void apply(const struct requested_change *change, struct st87_ipparams *params)
{
	if (change->auto_ip >= 0)
		params->auto_ip = change->auto_ip;
	if (change->preferred_ip_version >= 0)
		params->preferred_ip_version = change->preferred_ip_version;
	if (change->max_ipstack_periodicity >= 0)
		params->max_ipstack_periodicity = change->max_ipstack_periodicity;
	if (change->auto_ip_timeout >= 0)
		params->auto_ip_timeout = change->auto_ip_timeout;
}

static int parse_options(int argc, char **argv, struct requested_change *change, bool *help)
{
	enum { OPT_AUTO_IP = 256, OPT_PREFER, OPT_PERIODICITY, OPT_AUTO_IP_TIMEOUT };
	static const struct option options[] = {
		{"auto-ip", required_argument, NULL, OPT_AUTO_IP},
		{"prefer", required_argument, NULL, OPT_PREFER},
		{"periodicity", required_argument, NULL, OPT_PERIODICITY},
		{"auto-ip-timeout", required_argument, NULL, OPT_AUTO_IP_TIMEOUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int option, code = ST87CTL_EXIT_OK;
	while (code == ST87CTL_EXIT_OK &&
	       (option = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (option) {
		case OPT_AUTO_IP:
			code = parse_choice("--auto-ip", optarg, "off", "on", &change->auto_ip);
			break;
		case OPT_PREFER:
			code = parse_choice("--prefer", optarg, "ipv4", "ipv6",
					    &change->preferred_ip_version);
			break;
		case OPT_PERIODICITY:
			code = parse_timer("--periodicity", optarg, &change->max_ipstack_periodicity);
			break;
		case OPT_AUTO_IP_TIMEOUT:
			code = parse_timer("--auto-ip-timeout", optarg, &change->auto_ip_timeout);
			break;
		case 'h':
			*help = true;
			return ST87CTL_EXIT_OK;
		default:
			return st87ctl_bad_option("config", option, argv);
		}
	}
	if (code == ST87CTL_EXIT_OK && optind < argc)
		return st87ctl_usage_error("config", "unexpected argument '%s'", argv[optind]);
	return code;
}

int st87ctl_config_run(const struct st87ctl_globals *globals, int argc, char **argv)
{
	struct requested_change change = {-1, -1, -1, -1};
	bool help = false;
	int code = parse_options(argc, argv, &change, &help);
	if (code != ST87CTL_EXIT_OK)
		return code;
	if (help) {
		print_help();
		return ST87CTL_EXIT_OK;
	}

	struct st87_modem *modem = NULL;
	code = st87ctl_open_modem(globals, NULL, NULL, NULL, &modem);
	if (code != ST87CTL_EXIT_OK)
		return code;
	struct st87_ipparams params;
	int err = st87_ipparams_read(modem, &params);
	if (err) {
		st87ctl_error("cannot read the IP stack settings: %s", st87ctl_describe(err));
		code = st87ctl_exit_for(err);
		goto out;
	}
	if (!wants_change(&change)) {
		print_params("IP stack settings:", &params);
		goto out;
	}
	print_params("was:", &params);
	apply(&change, &params);
	err = st87_ipparams_set(modem, &params);
	if (err) {
		st87ctl_error("the modem refused the new settings: %s", st87ctl_describe(err));
		code = st87ctl_exit_for(err);
		goto out;
	}
	print_params("now:", &params);
	printf("The modem uses the new settings after it restarts; AT#RESET=1 saves them\n"
	       "and restarts it (st87ctl at 'AT#RESET=1').\n");
out:
	st87_modem_close(modem);
	return code;
}
