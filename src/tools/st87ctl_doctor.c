/*
 * st87ctl doctor: what a new user runs first with real hardware. One line
 * per check, what it found, and what to do when it failed; --json for
 * scripts. Checks that the firmware does not answer are skipped, not
 * failed: firmware differs (docs/PROTOCOL.md §1, §12).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "wire.h"
#include "st87ctl.h"
#include "program_check.h"

#define MAX_CHECKS 16
#define MAX_LISTED_SOCKETS 16
/* Asked when the configured rate gets no answer: the usual rates first. */
static const int rates_to_try[] = {115200, 921600, 9600, 57600, 230400, 460800, 38400, 19200};

enum outcome { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

struct check {
	const char *name;
	enum outcome outcome;
	char found[256];
	char fix[256];
};

struct doctor {
	struct check checks[MAX_CHECKS];
	int count;
	bool json;
	const char *name_to_resolve; /* --name */
	const char *tcp_target;      /* --tcp HOST:PORT */
	const char *program;         /* --program PATH */
};

static void print_help(void)
{
	printf("Usage: st87ctl doctor [--name NAME] [--tcp ADDRESS:PORT] [--program PATH] [--json]\n"
	       "Checks, one line each, what st87shim needs of the modem: the port, the baud rate "
	       "(tried\n"
	       "at other rates when the configured one gets no answer), echo and error codes, RTS/CTS\n"
	       "flow control (and what the CTS line shows), the sleep mode, SIM and\n"
	       "registration where the firmware answers, the IP link and addresses, modem sockets left\n"
	       "open, a name looked up through the modem (--name), and a TCP connection made by the\n"
	       "modem (--tcp, a numeric address), and whether the shim can reach a program's calls\n"
	       "(--program, a path or a name on PATH: not a static or Go program, nor one without\n"
	       "libc). A failed check says what to do.\n"
	       "While st87d serves the modem, doctor reports through it.\n\n"
	       "Exit status: 0 nothing failed, 1 a check failed, 3 no modem answers.\n");
}

static struct check *record(struct doctor *d, const char *name, enum outcome outcome, const char *fix,
			    const char *format, ...) ST87CTL_PRINTF(5, 6);

static struct check *record(struct doctor *d, const char *name, enum outcome outcome, const char *fix,
			    const char *format, ...)
{
	if (d->count == MAX_CHECKS)
		return &d->checks[MAX_CHECKS - 1];
	struct check *c = &d->checks[d->count++];
	c->name = name;
	c->outcome = outcome;
	snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
	va_list args;
	va_start(args, format);
	vsnprintf(c->found, sizeof(c->found), format, args);
	va_end(args);
	return c;
}

static const char *outcome_word(enum outcome outcome)
{
	static const char *const words[] = {"ok", "warn", "FAIL", "skip"};
	return words[outcome];
}

static void report(const struct doctor *d)
{
	if (d->json) {
		printf("{\"checks\": [");
		for (int i = 0; i < d->count; i++) {
			const struct check *c = &d->checks[i];
			printf("%s{\"check\": ", i ? ", " : "");
			st87ctl_json_string(stdout, c->name);
			printf(", \"outcome\": ");
			st87ctl_json_string(stdout, outcome_word(c->outcome));
			printf(", \"found\": ");
			st87ctl_json_string(stdout, c->found);
			printf(", \"fix\": ");
			st87ctl_json_string(stdout, c->fix);
			printf("}");
		}
		printf("]}\n");
		return;
	}
	for (int i = 0; i < d->count; i++) {
		const struct check *c = &d->checks[i];
		printf("%-4s  %-12s %s", outcome_word(c->outcome), c->name, c->found);
		if (c->fix[0] && (c->outcome == CHECK_FAIL || c->outcome == CHECK_WARN))
			printf(" -- %s", c->fix);
		printf("\n");
	}
}

/* The first information line of @command's answer, or "" (with its errno) when it has none. */
static int ask(struct st87_modem *modem, const char *command, char *line, size_t len)
{
	struct st87_at_reply reply;
	int err = st87_modem_raw(modem, command, 5000, &reply);
	line[0] = '\0';
	for (size_t i = 0; i < reply.n_lines; i++) {
		if (strncmp(reply.lines[i], command + 2, strcspn(command + 2, "?=")) == 0) {
			snprintf(line, len, "%s", reply.lines[i]);
			break;
		}
	}
	return err;
}

/* The port, at the configured rate or, when that gets no answer, at the first rate that does. */
static int open_at_some_rate(struct doctor *d, const struct st87ctl_globals *globals,
			     struct st87_modem **modem)
{
	int configured = globals->baud ? globals->baud : ST87_DEFAULT_BAUD;
	struct st87ctl_globals at_rate = *globals;
	int err = st87_modem_open(&(struct st87_modem_options){.port = globals->port,
							       .baud = configured,
							       .rtscts = globals->rtscts,
							       .trace_path = globals->trace_path},
				  modem);
	if (!err) {
		record(d, "answers", CHECK_OK, NULL, "the modem on %s answers at %d baud",
		       st87_modem_path(*modem), configured);
		return 0;
	}
	char first_error[256];
	snprintf(first_error, sizeof(first_error), "%s", st87_last_error());
	if (err != -ETIMEDOUT) {
		record(d, "answers", CHECK_FAIL,
		       err == -EBUSY ? "stop the program named, or use st87d to share the modem"
				     : "check the port's path and your access to it (group dialout)",
		       "%s", first_error);
		return err;
	}
	for (size_t i = 0; i < sizeof(rates_to_try) / sizeof(rates_to_try[0]); i++) {
		if (rates_to_try[i] == configured)
			continue;
		at_rate.baud = rates_to_try[i];
		struct st87_modem_options options = {.port = globals->port,
						     .baud = at_rate.baud,
						     .rtscts = globals->rtscts,
						     .trace_path = globals->trace_path};
		if (st87_modem_open(&options, modem) == 0) {
			char fix[128];
			snprintf(fix, sizeof(fix),
				 "set ST87_BAUD=%d (st87ctl --baud %d, st87run --baud %d)", at_rate.baud,
				 at_rate.baud, at_rate.baud);
			record(d, "answers", CHECK_FAIL, fix,
			       "no answer at %d baud; the modem answers at %d", configured,
			       at_rate.baud);
			return 0;
		}
	}
	record(d, "answers", CHECK_FAIL,
	       "check power, cable and port; st87ctl ports lists the candidates",
	       "%s, nor at any usual rate", first_error);
	return err;
}

static void check_settings(struct doctor *d, struct st87_modem *modem)
{
	char line[160];
	bool echo_off = ask(modem, "ATE0", line, sizeof(line)) == 0;
	bool codes = ask(modem, "AT+CMEE=1", line, sizeof(line)) == 0;
	record(d, "settings", echo_off && codes ? CHECK_OK : CHECK_WARN,
	       "the driver copes, but errors come without their cause",
	       "echo off: %s, numeric error codes: %s", echo_off ? "yes" : "refused",
	       codes ? "yes" : "refused");
}

/* Whether the modem asserts CTS: 1 or 0, or -1 when the port has no modem control lines (a pty). */
static int clear_to_send(struct st87_modem *modem)
{
	int lines;
	if (ioctl(st87_modem_fd(modem), TIOCMGET, &lines) < 0)
		return -1;
	return (lines & TIOCM_CTS) != 0;
}

/* RTS/CTS as configured, beside what the CTS line shows: a modem wired for it asserts CTS. */
static void check_flow_control(struct doctor *d, struct st87_modem *modem, bool rtscts)
{
	int cts = clear_to_send(modem);
	const char *cts_state = cts < 0 ? "not known (the port has no modem control lines)"
		: cts                   ? "asserted"
					: "not asserted";
	if (rtscts && cts == 0)
		record(d, "flow control", CHECK_FAIL,
		       "check the RTS/CTS wiring, or turn flow control off (ST87_RTSCTS=0)",
		       "RTS/CTS on, CTS %s: the modem may take nothing", cts_state);
	else if (!rtscts && cts == 1)
		record(d, "flow control", CHECK_OK, NULL,
		       "RTS/CTS off, CTS %s (a modem wired for RTS/CTS: ST87_RTSCTS=1)", cts_state);
	else
		record(d, "flow control", CHECK_OK, NULL, "RTS/CTS %s, CTS %s", rtscts ? "on" : "off",
		       cts_state);
}

/* AT#SLEEPMODE? as the modem answers it: the mode, then the hold in seconds (docs/PROTOCOL.md §11). */
static void check_sleep_mode(struct doctor *d, struct st87_modem *modem)
{
	char line[160];
	int err = ask(modem, "AT#SLEEPMODE?", line, sizeof(line));
	int mode, hold_s;
	int fields = line[0] ? sscanf(line, "#SLEEPMODE: %d,%d", &mode, &hold_s) : 0;
	if (err == -ETIMEDOUT)
		record(d, "sleep mode", CHECK_SKIP, NULL, "no answer to AT#SLEEPMODE?");
	else if (err || fields < 1)
		record(d, "sleep mode", CHECK_SKIP, NULL, "the firmware has no AT#SLEEPMODE");
	else if (mode == 0)
		record(d, "sleep mode", CHECK_OK, NULL, "mode 0: the modem does not sleep (%s)", line);
	else if (fields < 2)
		record(d, "sleep mode", CHECK_OK, NULL, "mode %d, no hold given (%s)", mode, line);
	else
		record(d, "sleep mode", CHECK_OK, NULL,
		       "mode %d, hold %d s: the modem sleeps %d s after the last command", mode, hold_s,
		       hold_s);
}

static void check_sim_and_registration(struct doctor *d, struct st87_modem *modem)
{
	char line[160];
	int err = ask(modem, "AT+CPIN?", line, sizeof(line));
	if (err || !line[0])
		record(d, "sim", CHECK_SKIP, NULL, "the firmware does not answer AT+CPIN?");
	else
		record(d, "sim", strstr(line, "READY") ? CHECK_OK : CHECK_FAIL,
		       "insert or unlock the SIM (AT+CPIN=\"<pin>\")", "%s", line);
	err = ask(modem, "AT+CEREG?", line, sizeof(line));
	const char *comma = strchr(line, ',');
	if (err || !comma) {
		record(d, "registered", CHECK_SKIP, NULL, "the firmware does not answer AT+CEREG?");
		return;
	}
	int stat = atoi(comma + 1);
	record(d, "registered", stat == 1 || stat == 5 ? CHECK_OK : CHECK_FAIL,
	       "check the antenna, the coverage and that the SIM's plan allows NB-IoT", "%s (%s)", line,
	       stat == 1           ? "home network"
		       : stat == 5 ? "roaming"
		       : stat == 2 ? "searching"
				   : "not registered");
}

static void check_link(struct doctor *d, struct st87_modem *modem)
{
	struct st87_ipcfg link;
	int err = st87_ipcfg_read(modem, &link);
	if (err == 0 && link.status == 1) {
		record(d, "ip link", CHECK_OK, NULL, "up on context %d: %s%s%s", st87_modem_cid(modem),
		       link.ipv4[0] ? link.ipv4 : "", link.ipv4[0] && link.ipv6[0] ? ", " : "",
		       link.ipv6);
		return;
	}
	record(d, "ip link", CHECK_FAIL,
	       "wait for registration, or turn auto-IP on (st87ctl config --auto-ip on) and restart the "
	       "modem",
	       "down%s%s", err ? ": " : "", err ? st87_last_error() : "");
}

static void check_leftover_sockets(struct doctor *d, struct st87_modem *modem)
{
	struct st87_socket_info sockets[MAX_LISTED_SOCKETS];
	int count = st87_socket_list(modem, sockets, MAX_LISTED_SOCKETS);
	if (count < 0)
		record(d, "sockets", CHECK_SKIP, NULL, "cannot list them: %s", st87_last_error());
	else if (count == 0)
		record(d, "sockets", CHECK_OK, NULL, "no modem socket open");
	else
		record(d, "sockets", CHECK_WARN, "if no program uses them: st87ctl close-all",
		       "%d modem socket%s open (left by a program that died?)", count,
		       count == 1 ? "" : "s");
}

static void check_name(struct doctor *d, struct st87_modem *modem)
{
	if (!d->name_to_resolve) {
		record(d, "dns", CHECK_SKIP, NULL, "no --name given");
		return;
	}
	char address[ST87_ADDR_LEN];
	int err = st87_dns_resolve(modem, d->name_to_resolve, 0, address);
	if (!err)
		record(d, "dns", CHECK_OK, NULL, "%s is %s (AT#DNS)", d->name_to_resolve, address);
	else if (err == -ENOSYS)
		record(d, "dns", CHECK_WARN,
		       "set ST87_DNS to a resolver's address for names over the modem",
		       "the firmware cannot look names up (no AT#DNS)");
	else
		record(d, "dns", CHECK_FAIL, "check the name, and that the network's DNS answers",
		       "%s: %s", d->name_to_resolve, st87_last_error());
}

/*
 * Whether the modem has a DNS server: from the factory it has none and
 * ignores the network's, and AT#DNS answers 2112 until AT#IPPARAMS names
 * one (<nbsent> and <dns4> follow the four fields AT#IPPARAMS? shows) and
 * AT#RESET=1 restarts it. Any other answer means a server was asked.
 */
static void check_dns_server(struct doctor *d, struct st87_modem *modem)
{
	char address[ST87_ADDR_LEN];
	const char *name = d->name_to_resolve ? d->name_to_resolve : "localhost";
	int err = st87_dns_resolve(modem, name, 0, address);
	if (err == -ENOSYS) {
		record(d, "dns server", CHECK_SKIP, NULL, "the firmware has no AT#DNS");
		return;
	}
	if (st87_modem_last_cme(modem) != 2112) {
		record(d, "dns server", CHECK_OK, NULL, "the modem's resolver answers (AT#DNS)");
		return;
	}
	struct st87_ipparams params;
	if (st87_ipparams_read(modem, &params) != 0)
		params = (struct st87_ipparams){.auto_ip = 1,
						.max_ipstack_periodicity = 65535,
						.auto_ip_timeout = 60};
	char fix[256];
	snprintf(fix, sizeof(fix),
		 "st87ctl at 'AT#IPPARAMS=%d,%d,%d,%d,0,\"<DNS server address>\"', then "
		 "st87ctl at AT#RESET=1 (or set ST87_DNS)",
		 params.auto_ip, params.preferred_ip_version, params.max_ipstack_periodicity,
		 params.auto_ip_timeout);
	record(d, "dns server", CHECK_FAIL, fix,
	       "none configured (AT#DNS: +CME ERROR: 2112, the factory state)");
}

static long long elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000LL + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void check_tcp(struct doctor *d, struct st87_modem *modem)
{
	if (!d->tcp_target) {
		record(d, "tcp", CHECK_SKIP, NULL, "no --tcp ADDRESS:PORT given");
		return;
	}
	char address[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(d->tcp_target, ':');
	int port = colon ? atoi(colon + 1) : 0;
	size_t len = colon ? (size_t)(colon - d->tcp_target) : 0;
	if (len && d->tcp_target[0] == '[' && d->tcp_target[len - 1] == ']')
		snprintf(address, sizeof(address), "%.*s", (int)len - 2, d->tcp_target + 1);
	else
		snprintf(address, sizeof(address), "%.*s", (int)len, d->tcp_target);
	struct in6_addr scratch;
	int ip_version = inet_pton(AF_INET6, address, &scratch) == 1;
	struct timespec started;
	clock_gettime(CLOCK_MONOTONIC, &started);
	int id = st87_socket_create(modem, ip_version, ST87_TCP, 0);
	int err = id < 0 ? id : st87_tcp_connect(modem, id, address, port);
	if (id >= 0)
		st87_socket_close(modem, id);
	if (err)
		record(d, "tcp", CHECK_FAIL,
		       "check the address and that the server accepts connections from the network",
		       "%s: %s", d->tcp_target, st87_last_error());
	else
		record(d, "tcp", CHECK_OK, NULL, "connected to %s in %lld ms", d->tcp_target,
		       elapsed_ms(&started));
}

/* Whether st87run would run --program with its calls routed: as st87run decides. */
static void check_program(struct doctor *d)
{
	if (!d->program)
		return;
	static struct program_check check;
	char line[sizeof(check.path) + sizeof(check.why) + 16];
	int err = program_check(d->program, &check);
	if (err) {
		record(d, "program", CHECK_FAIL, "give its path, or put it on PATH", "%s: %s",
		       d->program, strerror(-err));
		return;
	}
	program_check_describe(&check, line, sizeof(line));
	if (check.refused)
		record(d, "program", CHECK_FAIL,
		       "its traffic would not go over the modem: st87run refuses it (--allow-unrouted "
		       "runs it unrouted; a SOCKS5 client can use st87d --socks-port)",
		       "%s", line);
	else if (check.uses_io_uring)
		record(d, "program", CHECK_WARN, "only its libc socket calls are routed", "%s", line);
	else
		record(d, "program", CHECK_OK, NULL, "%s", line);
}

static bool any_failed(const struct doctor *d)
{
	for (int i = 0; i < d->count; i++)
		if (d->checks[i].outcome == CHECK_FAIL)
			return true;
	return false;
}

/* While st87d serves the modem, its status is the answer. True when it did. */
static bool through_daemon(struct doctor *d, const struct st87ctl_globals *globals)
{
	char *listing = NULL;
	size_t listing_len = 0;
	FILE *capture = open_memstream(&listing, &listing_len);
	if (!capture)
		return false;
	struct st87d_request request = {.kind = ST87D_STATUS};
	int code = st87ctl_daemon_request(globals, &request, false, capture);
	fclose(capture);
	if (code < 0) {
		free(listing);
		return false;
	}
	char *first = strtok(listing, "\n");
	record(d, "st87d", code == ST87CTL_EXIT_OK ? CHECK_OK : CHECK_FAIL,
	       "see st87d's log (journalctl -u st87d)", "%s", first ? first : "st87d did not answer");
	for (char *line = strtok(NULL, "\n"); line; line = strtok(NULL, "\n"))
		record(d, "st87d", CHECK_OK, NULL, "%s", line);
	free(listing);
	/* The port is st87d's: what needs it is not checked, and says so rather than passing. */
	if (d->name_to_resolve)
		record(d, "dns", CHECK_WARN,
		       "look it up through the shim (getent hosts NAME with st87run)",
		       "%s not checked: st87d holds the port", d->name_to_resolve);
	if (d->tcp_target)
		record(d, "tcp", CHECK_WARN, "connect through the shim (st87run nc -z ADDRESS PORT)",
		       "%s not checked: st87d holds the port", d->tcp_target);
	return true;
}

static int parse(int argc, char **argv, struct doctor *d)
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},    {"tcp", required_argument, NULL, 't'},
		{"program", required_argument, NULL, 'P'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	int option;
	while ((option = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (option) {
		case 'n':
			d->name_to_resolve = optarg;
			break;
		case 't': {
			const char *colon = strrchr(optarg, ':');
			int port;
			if (!colon || colon == optarg || st87ctl_parse_int(colon + 1, 1, 65535, &port))
				return st87ctl_usage_error(
					"doctor", "--tcp %s: expected ADDRESS:PORT, a port 1..65535",
					optarg);
			d->tcp_target = optarg;
			break;
		}
		case 'P':
			d->program = optarg;
			break;
		case 'j':
			d->json = true;
			break;
		default:
			return st87ctl_help_or_bad_option("doctor", option, argv, print_help);
		}
	}
	return st87ctl_no_argument_left("doctor", argc, argv);
}

int st87ctl_doctor_run(const struct st87ctl_globals *globals, int argc, char **argv)
{
	static struct doctor d;
	d.json = globals->json;
	int parsed = parse(argc, argv, &d);
	if (parsed >= 0)
		return parsed;
	check_program(&d);
	if (through_daemon(&d, globals)) {
		report(&d);
		return any_failed(&d) ? ST87CTL_EXIT_MODEM_ERROR : ST87CTL_EXIT_OK;
	}
	struct st87_modem *modem = NULL;
	if (open_at_some_rate(&d, globals, &modem) < 0) {
		report(&d);
		return ST87CTL_EXIT_NO_MODEM;
	}
	check_settings(&d, modem);
	check_flow_control(&d, modem, globals->rtscts);
	check_sleep_mode(&d, modem);
	check_sim_and_registration(&d, modem);
	check_link(&d, modem);
	check_leftover_sockets(&d, modem);
	/* The driver's own start-up (as the shim's): what the name and TCP checks run on. */
	if (st87_modem_start(modem, 10000, false) < 0) {
		record(&d, "start-up", CHECK_FAIL, "see the ip link check above", "%s",
		       st87_last_error());
	} else {
		check_dns_server(&d, modem);
		check_name(&d, modem);
		check_tcp(&d, modem);
	}
	st87_modem_close(modem);
	report(&d);
	return any_failed(&d) ? ST87CTL_EXIT_MODEM_ERROR : ST87CTL_EXIT_OK;
}
