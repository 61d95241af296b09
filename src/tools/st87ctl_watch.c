/*
 * st87ctl watch: the radio and the traffic, live. Each interval it reads
 * the signal, the RRC state, the registration and the sockets, and (through
 * st87d) the daemon's counters, then draws one block: redrawn in place on a
 * terminal (plain ANSI: cursor home, clear to the end), one block after
 * another otherwise. Through st87d it asks the daemon (ST87D_STATUS for the
 * sockets, who holds and who waits for them, and each program's bytes, whose
 * rates come from the block before; ST87D_METRICS for the counters and the radio,
 * which st87d asks at most every --metrics-radio-interval and never while
 * the modem sleeps); without it, it opens the port itself.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "st87ctl.h"
#include "wire.h"

#define MAX_SOCKET_LINES 2048
#define MAX_CME_CODES 17 /* the daemon's 16 codes and "other" */
#define MAX_PROGRAMS 32  /* st87d lists its last 32 clients */

/* Through st87d: one client program's payload, from its status line. */
struct program_bytes {
	int pid;
	char name[64 * 4]; /* the daemon's name, made printable (\xNN) */
	unsigned long long to_modem, from_modem;
};

/* One look at the modem: what a block shows. */
struct sample {
	bool radio_read;
	long radio_age_s; /* through st87d: how old the radio values are; -1 read now */
	bool rsrp_known, rsrq_known, rrc_known, rrc_connected;
	int rsrp_dbm;
	double rsrq_db;
	int registration; /* <stat>, -1 not known */
	bool traffic_known;
	unsigned long long bytes_to_modem, bytes_from_modem, commands;
	struct {
		char code[16];
		unsigned long long count;
	} cme[MAX_CME_CODES];
	size_t cme_count;
	char sockets[MAX_SOCKET_LINES];
	struct program_bytes programs[MAX_PROGRAMS];
	size_t program_count;
};

static void print_help(void)
{
	printf("Usage: st87ctl watch [--interval S] [--count N]\n"
	       "Show the signal (RSRP with a bar, RSRQ), the RRC state, the registration, the\n"
	       "traffic (through st87d: bytes each way and their rate, in all and per program,\n"
	       "AT commands per second, +CME ERRORs by code) and the sockets with who holds\n"
	       "them and who waits for the TCP socket, every S seconds\n"
	       "(default 2), redrawn in place on a terminal, one block after another otherwise.\n"
	       "Through st87d the daemon answers (its radio values at most every\n"
	       "--metrics-radio-interval, shown with their age).\n\n"
	       "  --interval S  seconds between two looks, 1 to 3600\n"
	       "  --count N     stop after N blocks (default: until interrupted)\n"
	       "  -h, --help    this help\n\n%s",
	       st87ctl_exit_code_help);
}

/* Direct: the modem's own answers, now. */
static int sample_modem(struct st87_modem *modem, struct sample *out)
{
	memset(out, 0, sizeof(*out));
	out->registration = -1;
	out->radio_age_s = -1;
	struct st87_cesq cesq;
	if (st87_cesq_read(modem, &cesq) == 0) {
		out->radio_read = true;
		out->rsrp_known = cesq.rsrp_known;
		out->rsrp_dbm = cesq.rsrp_dbm;
		out->rsrq_known = cesq.rsrq_known;
		out->rsrq_db = cesq.rsrq_db;
	}
	struct st87_cscon cscon;
	if (st87_cscon_read(modem, &cscon) == 0) {
		out->radio_read = out->rrc_known = true;
		out->rrc_connected = cscon.connected;
	}
	struct st87_cereg cereg;
	if (st87_cereg_read(modem, false, &cereg) == 0)
		out->registration = cereg.stat;
	struct st87_socket_info sockets[8];
	int count = st87_socket_list(modem, sockets, 8);
	if (count < 0)
		return count;
	size_t used = 0;
	for (int i = 0; i < count && i < 8; i++)
		used += (size_t)snprintf(out->sockets + used, sizeof(out->sockets) - used,
					 "  modem socket %d: %s, status %d\n", sockets[i].socket_id,
					 sockets[i].type, sockets[i].status);
	return 0;
}

/* One sample line of st87d's metrics ("name{label="v"} value") into @out. */
static void take_metric(void *user, const char *line)
{
	struct sample *out = user;
	char name[64], label[32] = "";
	double value;
	if (sscanf(line, "%63[a-z0-9_]{%*[a-z_]=\"%31[^\"]\"} %lf", name, label, &value) != 3 &&
	    sscanf(line, "%63[a-z0-9_] %lf", name, &value) != 2)
		return;
	unsigned long long count = value > 0 ? (unsigned long long)value : 0;
	if (!strcmp(name, "st87_payload_bytes_total") && !strcmp(label, "to_modem"))
		out->bytes_to_modem = count;
	else if (!strcmp(name, "st87_payload_bytes_total") && !strcmp(label, "from_modem"))
		out->bytes_from_modem = count;
	else if (!strcmp(name, "st87_at_commands_total"))
		out->commands = count;
	else if (!strcmp(name, "st87_cme_errors_total") && count && out->cme_count < MAX_CME_CODES) {
		snprintf(out->cme[out->cme_count].code, sizeof(out->cme[0].code), "%s", label);
		out->cme[out->cme_count++].count = count;
	} else if (!strcmp(name, "st87_radio_age_seconds")) {
		out->radio_read = true;
		out->radio_age_s = (long)value;
	} else if (!strcmp(name, "st87_rsrp_dbm")) {
		out->rsrp_known = true;
		out->rsrp_dbm = (int)value;
	} else if (!strcmp(name, "st87_rsrq_db")) {
		out->rsrq_known = true;
		out->rsrq_db = value;
	} else if (!strcmp(name, "st87_rrc_connected")) {
		out->rrc_known = true;
		out->rrc_connected = value != 0;
	}
}

/* Through st87d: a request's text lines, each handed to @take. An exit code. */
static int ask_daemon(const struct st87ctl_globals *globals, int kind,
		      void (*take)(void *user, const char *line), struct sample *out)
{
	char why[600];
	int err = st87ctl_daemon_lines(globals->daemon_socket, kind, take, out, why, sizeof(why));
	if (err)
		st87ctl_error("%s", why);
	return err == 0                                                    ? ST87CTL_EXIT_OK
		: err == -ENOENT || err == -ECONNREFUSED || err == -EPROTO ? ST87CTL_EXIT_NO_MODEM
									   : ST87CTL_EXIT_MODEM_ERROR;
}

/* "program pid N (NAME): X B to the modem, Y B from it" (st87d's status), true when @line is one. */
static bool take_program_line(struct sample *out, const char *line)
{
	struct program_bytes program;
	const char *name = strchr(line, '(');
	const char *end = strstr(line, "): ");
	if (sscanf(line, "program pid %d (", &program.pid) != 1 || !name || !end || end < name)
		return false;
	if (out->program_count < MAX_PROGRAMS &&
	    sscanf(end, "): %llu B to the modem, %llu B from it", &program.to_modem,
		   &program.from_modem) == 2) {
		snprintf(program.name, sizeof(program.name), "%.*s", (int)(end - name - 1), name + 1);
		out->programs[out->program_count++] = program;
	}
	return true;
}

static void take_status_line(void *user, const char *line)
{
	struct sample *out = user;
	if (take_program_line(out, line))
		return;
	size_t used = strlen(out->sockets);
	snprintf(out->sockets + used, sizeof(out->sockets) - used, "  %s\n", line);
}

static int sample_daemon(const struct st87ctl_globals *globals, struct sample *out)
{
	memset(out, 0, sizeof(*out));
	out->registration = -1;
	out->traffic_known = true;
	int code = ask_daemon(globals, ST87D_STATUS, take_status_line, out);
	return code ? code : ask_daemon(globals, ST87D_METRICS, take_metric, out);
}

/* "[######----]": RSRP from -140 dBm (empty) to -44 dBm (full). */
static void signal_bar(int dbm, char bar[13])
{
	int filled = (dbm + 140) * 10 / 96;
	filled = filled < 0 ? 0 : filled > 10 ? 10 : filled;
	bar[0] = '[';
	for (int i = 0; i < 10; i++)
		bar[1 + i] = i < filled ? '#' : '-';
	bar[11] = ']';
	bar[12] = '\0';
}

static double per_second(unsigned long long now, unsigned long long before, int interval_s)
{
	return now >= before ? (double)(now - before) / interval_s : 0;
}

/* The same program in the block before, NULL when it is new (its rate is then from 0). */
static const struct program_bytes *earlier(const struct sample *before, const struct program_bytes *p)
{
	for (size_t i = 0; i < before->program_count; i++)
		if (before->programs[i].pid == p->pid && !strcmp(before->programs[i].name, p->name))
			return &before->programs[i];
	return NULL;
}

static void draw_programs(FILE *out, const struct sample *now, const struct sample *before,
			  int interval_s)
{
	for (size_t i = 0; i < now->program_count; i++) {
		const struct program_bytes *p = &now->programs[i];
		const struct program_bytes *then = earlier(before, p);
		fprintf(out,
			"  program   pid %d (%s): to modem %llu B (%.0f B/s), from modem %llu B "
			"(%.0f B/s)\n",
			p->pid, p->name, p->to_modem,
			per_second(p->to_modem, then ? then->to_modem : 0, interval_s), p->from_modem,
			per_second(p->from_modem, then ? then->from_modem : 0, interval_s));
	}
}

static void draw(FILE *out, const struct sample *now, const struct sample *before, int interval_s)
{
	time_t clock = time(NULL);
	char when[32];
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&clock));
	fprintf(out, "st87ctl watch, every %d s, at %s\n", interval_s, when);
	char bar[13];
	signal_bar(now->rsrp_known ? now->rsrp_dbm : -141, bar);
	if (!now->radio_read)
		fprintf(out,
			"  signal    not known (no answer to AT+CESQ, or st87d has not read it yet)\n");
	else {
		fprintf(out, "  signal    RSRP ");
		if (now->rsrp_known)
			fprintf(out, "%d dBm %s", now->rsrp_dbm, bar);
		else
			fprintf(out, "not known %s", bar);
		if (now->rsrq_known)
			fprintf(out, "  RSRQ %.1f dB", now->rsrq_db);
		else
			fputs("  RSRQ not known", out);
		if (now->radio_age_s >= 0)
			fprintf(out, "  (%ld s old)", now->radio_age_s);
		fputc('\n', out);
	}
	fprintf(out, "  radio     RRC %s",
		!now->rrc_known              ? "not known"
			: now->rrc_connected ? "connected"
					     : "idle");
	if (now->registration >= 0)
		fprintf(out, ", registration %d (%s)", now->registration,
			now->registration == 1 || now->registration == 5 ? "registered"
									 : "not registered");
	fputc('\n', out);
	if (now->traffic_known) {
		fprintf(out, "  traffic   to modem %llu B (%.0f B/s), from modem %llu B (%.0f B/s)\n",
			now->bytes_to_modem,
			per_second(now->bytes_to_modem, before->bytes_to_modem, interval_s),
			now->bytes_from_modem,
			per_second(now->bytes_from_modem, before->bytes_from_modem, interval_s));
		fprintf(out, "  commands  %llu (%.1f/s), +CME ERRORs:", now->commands,
			per_second(now->commands, before->commands, interval_s));
		for (size_t i = 0; i < now->cme_count; i++)
			fprintf(out, " %s x%llu", now->cme[i].code, now->cme[i].count);
		fprintf(out, "%s\n", now->cme_count ? "" : " none");
	}
	draw_programs(out, now, before, interval_s);
	fprintf(out, "%s", now->sockets[0] ? now->sockets : "  no modem socket open\n");
}

static int parse_watch_options(int argc, char **argv, int *interval_s, int *count)
{
	static const struct option options[] = {
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int option;
	while ((option = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (option) {
		case 'i':
			if (st87ctl_parse_int(optarg, 1, 3600, interval_s))
				return st87ctl_usage_error("watch",
							   "--interval %s: expected 1 to 3600 seconds",
							   optarg);
			break;
		case 'c':
			if (st87ctl_parse_int(optarg, 1, 1000000, count))
				return st87ctl_usage_error("watch", "--count %s: expected 1 or more",
							   optarg);
			break;
		case 'h':
			print_help();
			return ST87CTL_EXIT_OK;
		default:
			return st87ctl_bad_option("watch", option, argv);
		}
	}
	if (optind < argc)
		return st87ctl_usage_error("watch", "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* st87d answers when it serves; -1 when none does and the port is ours to open. */
static bool daemon_serves(const struct st87ctl_globals *globals)
{
	if (!globals->daemon_socket)
		return false;
	int connection = st87d_dial(globals->daemon_socket);
	if (connection >= 0)
		close(connection);
	return connection >= 0 || globals->daemon_required;
}

int st87ctl_watch_run(const struct st87ctl_globals *globals, int argc, char **argv)
{
	int interval_s = 2, count = 0;
	int code = parse_watch_options(argc, argv, &interval_s, &count);
	if (code >= 0)
		return code;
	bool through_daemon = daemon_serves(globals);
	struct st87_modem *modem = NULL;
	if (!through_daemon) {
		code = st87ctl_open_modem(globals, NULL, NULL, NULL, &modem);
		if (code != ST87CTL_EXIT_OK)
			return code;
	}
	bool terminal = isatty(STDOUT_FILENO);
	struct sample before, now;
	memset(&before, 0, sizeof(before));
	for (int drawn = 0; count == 0 || drawn < count; drawn++) {
		if (drawn > 0)
			sleep((unsigned)interval_s);
		code = through_daemon ? sample_daemon(globals, &now) : sample_modem(modem, &now);
		if (code < 0)
			code = st87ctl_exit_for(code);
		if (code != ST87CTL_EXIT_OK)
			break;
		if (drawn == 0)
			before = now;
		/* On a terminal: home, the block, clear what an older, longer block left below. */
		fputs(terminal ? (drawn == 0 ? "\033[H\033[2J" : "\033[H") : (drawn ? "\n" : ""),
		      stdout);
		draw(stdout, &now, &before, interval_s);
		if (terminal)
			fputs("\033[J", stdout);
		fflush(stdout);
		before = now;
	}
	if (modem)
		st87_modem_close(modem);
	return code;
}
