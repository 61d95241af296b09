/*
 * The modem session: serial port plus AT engine, the command runner (wake
 * probe, deadlines, what an answer or its absence says about the modem),
 * URCs matched from a table and turned into events, and the AT trace file.
 * It knows no command module: they, and the start-up above them, run their
 * commands through st87_modem_run.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fields.h"
#include "internal.h"
#include "ipcfg_choose.h"
#include "modem_internal.h"
#include "radio_values.h"
#include "libc_calls.h"

#define DEFAULT_MARGIN_MS 1000
/* The probe comes this much before the hold ends (at most; an eighth of a short hold): the
 * modem's hold starts a little before its answer reaches us. */
#define HOLD_EARLY_MS 1000
/* Each "AT" of the wake probe; the tries go on for ST87_DEADLINE_WAKE in all. */
#define PROBE_TRY_MS 500
/* As hex, a send's bytes take twice their number in characters; the command line must hold them. */
#define HEX_SEND_MAX ((ST87_MAX_LINE - 200) / 2)

static int transport_write(void *context, const void *data, size_t len, int timeout_ms)
{
	return st87_serial_write_all(context, data, len, timeout_ms);
}

static ssize_t transport_read(void *context, void *buf, size_t len, int timeout_ms)
{
	return st87_serial_read(context, buf, len, timeout_ms);
}

/* Local wall-clock time to the microsecond: a trace is read beside other logs, and the gaps
 * between a command and its answer are often what the reader is after. */
static void trace_time(char *buf, size_t size)
{
	struct timespec now;
	struct tm local;
	size_t used;

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &local);
	used = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &local);
	snprintf(buf + used, size - used, ".%06ld", now.tv_nsec / 1000);
}

/* One line per command or response, written at once: several processes may append to one
 * file, and the pid tells their lines apart. */
static void write_trace(void *user, bool out, const char *data, size_t len, bool binary)
{
	FILE *trace = user;
	char when[40];
	long pid = (long)getpid();
	char direction = out ? '>' : '<';

	trace_time(when, sizeof(when));
	if (binary)
		fprintf(trace, "%s [%ld] %c [binary %zu bytes]\n", when, pid, direction, len);
	else
		fprintf(trace, "%s [%ld] %c %.*s\n", when, pid, direction, (int)len, data);
	fflush(trace);
}

/*
 * The trace shows every command of every program using the modem: it is
 * made readable by its owner alone, a symbolic link is not followed
 * (another user could point it at a file of ours), and a fifo without a
 * reader fails at once instead of holding the open. NULL with errno set.
 */
static FILE *open_trace(const char *path)
{
	int fd = open(path,
		      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		      0600);
	if (fd < 0)
		return NULL;
	int flags = libc_fcntl(fd, F_GETFL, 0);
	if (flags >= 0)
		libc_fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	FILE *trace = fdopen(fd, "a");
	if (!trace) {
		int err = errno;
		libc_close(fd);
		errno = err;
	}
	return trace;
}

static void emit(struct st87_modem *modem, enum st87_event_kind kind, int socket_id)
{
	if (modem->options.on_event)
		modem->options.on_event(modem->options.user, kind, socket_id);
}

/* A socket URC "<prefix> <cid>,<sid>[,...]": the socket id, or -1 when it is not ours. */
static int urc_socket_id(struct st87_modem *modem, const char *line)
{
	struct st87_fields fields;
	int cid, sid;
	if (st87_fields_split(line, true, &fields) < 2 || st87_fields_int(&fields, 0, &cid) ||
	    st87_fields_int(&fields, 1, &sid) || cid != modem->cid || sid < 0)
		return -1;
	return sid;
}

/* The number that @p text starts with, after spaces ("+CGEV: NW PDN DEACT 1"), or -1 when none. */
static int leading_number(const char *text)
{
	while (*text == ' ')
		text++;
	return isdigit((unsigned char)*text) ? atoi(text) : -1;
}

static bool any_socket_open(const struct st87_modem *modem)
{
	for (int i = 0; i < ST87_MAX_SOCKETS; i++)
		if (modem->sockets[i].open)
			return true;
	return false;
}

/* A restart or a lost link took every modem socket with it. */
static void forget_sockets(struct st87_modem *modem)
{
	for (int i = 0; i < ST87_MAX_SOCKETS; i++) {
		modem->sockets[i].open = false;
		modem->sockets[i].leftover_len = 0;
	}
}

/* The context the modem announces becomes ours, unless configured or in use by a socket. */
void st87_modem_learn_cid(struct st87_modem *modem, int cid)
{
	if (cid <= 0 || cid == modem->cid || modem->cid_fixed || any_socket_open(modem))
		return;
	/* A second context coming up while ours works is not news about ours. */
	if (!modem->starting && !modem->needs_start)
		return;
	st87_info("the modem uses PDN context %d", cid);
	modem->cid = cid;
}

/* The link is gone (a URC or 2106): every socket with it, and the start-up is due again. */
static void link_lost(struct st87_modem *modem, const char *why)
{
	if (!modem->needs_start) {
		st87_warn("the modem lost its IP link (%s): every modem socket is gone", why);
		modem->counters.link_losses++;
	}
	forget_sockets(modem);
	/* Only the link went: the modem may keep its sockets (a brief +CEREG: 2 with the PDN still up). */
	modem->sockets_may_linger = true;
	modem->needs_start = true;
	emit(modem, ST87_EVENT_LINK_DOWN, -1);
}

/* The modem restarted: its sockets, its link and our settings (echo off, error codes on) are gone. */
static void restarted(struct st87_modem *modem, const char *line)
{
	st87_warn("the modem restarted (\"%s\"): every modem socket is gone", line);
	modem->counters.restarts++;
	forget_sockets(modem);
	modem->sockets_may_linger = false;
	modem->registration_doubt = false;
	modem->restart_suspected = false;
	modem->settings_lost = true;
	modem->cmee_on = false;
	modem->needs_start = true;
	st87_rrc_restarted(modem);
	emit(modem, ST87_EVENT_LINK_DOWN, -1);
}

/* Keeps @p line (shortened) as the reason a doubt is settled for. */
static void note_doubt(struct st87_modem *modem, const char *line)
{
	snprintf(modem->doubt_line, sizeof(modem->doubt_line), "%s", line);
}

/*
 * What a URC handler made of its line: 0 when acted on, a negative errno to
 * abort the command in flight, or URC_NOT_NEWS when the line says nothing
 * the session acts on (it is logged as ignored).
 */
#define URC_NOT_NEWS 1

/* News of a link going down for context @p cid (-1: none named). */
static int link_down(struct st87_modem *modem, const char *line, int cid)
{
	if (cid >= 0 && cid != modem->cid)
		return 0; /* another context's news */
	if (modem->needs_start)
		return 0; /* already down: start-up, or a second URC of the same loss */
	link_lost(modem, line);
	return 0;
}

/* News of a link coming up for context @p cid (-1: none named): while starting, it may name ours. */
static int link_up(struct st87_modem *modem, int cid)
{
	st87_modem_learn_cid(modem, cid);
	emit(modem, ST87_EVENT_LINK_UP, -1);
	return 0;
}

/* Each handler gets the whole line and what follows the prefix it matched. */

static int on_sleep(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)line;
	(void)rest;
	modem->said_asleep = true;
	return 0;
}

static int on_wakeup(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)line;
	(void)rest;
	/* Woken by the network: awake for a hold from now, as after a command. */
	modem->said_asleep = false;
	modem->last_activity_ms = st87_now_ms();
	return 0;
}

/* An event for the socket the line names, when the socket is ours. */
static int socket_news(struct st87_modem *modem, const char *line, enum st87_event_kind kind)
{
	int sid = urc_socket_id(modem, line);
	if (sid >= 0)
		emit(modem, kind, sid);
	return 0;
}

static int on_data(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)rest;
	return socket_news(modem, line, ST87_EVENT_DATA);
}

static int on_peer_closed(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)rest;
	return socket_news(modem, line, ST87_EVENT_PEER_CLOSED);
}

/* The maker's boot line (#REBOOT_RESET): a restart beyond doubt. */
static int on_restart(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)rest;
	restarted(modem, line);
	/*
	 * A restarted modem answers nothing it was asked before: the command in
	 * flight is aborted (in a start-up too, which then begins again: the
	 * restart undid what it had set). After a link loss the modem still
	 * answers it (2106, or OK), and that answer must not be left for the
	 * next command: link news aborts nothing.
	 */
	return st87_fail(-ENETRESET, "the modem restarted (\"%s\")", line);
}

/*
 * #SIMST is the first line of the note's boot trace, but a SIM refresh
 * sends it too, and the maker's Zephyr driver only logs it. It is a restart
 * when the rest of a boot trace follows (on_urc: the command in flight is
 * aborted), or, alone, when the modem forgot AT+CMEE=1, asked before the
 * next command (settle_doubts). A command in flight is left to finish.
 */
static int on_simst(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)rest;
	if (modem->settings_lost)
		return 0; /* the restart is known already (#REBOOT_RESET): this is its boot trace */
	st87_info("\"%s\": a SIM refresh, or a restart: asking AT+CMEE?", line);
	modem->restart_suspected = true;
	note_doubt(modem, line);
	return 0;
}

static int on_context_down(struct st87_modem *modem, const char *line, const char *rest)
{
	return link_down(modem, line, leading_number(rest));
}

static int on_detach(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)rest;
	return link_down(modem, line, -1);
}

static int on_context_up(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)line;
	return link_up(modem, leading_number(rest));
}

static int on_network_up(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)line;
	(void)rest;
	return link_up(modem, -1);
}

static int on_registration(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)rest;
	struct st87_fields fields;
	int stat;
	if (st87_fields_split(line, true, &fields) < 1 || st87_fields_int(&fields, 0, &stat))
		return URC_NOT_NEWS;
	/* Unsolicited, <stat> comes first (then the quoted cell with AT+CEREG=2 and above);
	 * "<n>,<stat>" is the read command's answer, not news. */
	if (st87_cereg_is_read_form(line))
		return URC_NOT_NEWS;
	if (stat == 1 || stat == 5) {
		modem->registration_doubt = false; /* registered again before anyone asked */
		return URC_NOT_NEWS;
	}
	/* Searching (2) or unknown (4): the PDN may outlive a brief spell, and the modem its sockets.
	 * AT#IPCFG? decides (settle_doubts); not registered (0) or denied (3) is a loss. */
	if ((stat == 2 || stat == 4) && !modem->needs_start) {
		modem->registration_doubt = true;
		note_doubt(modem, line);
		return 0;
	}
	bool unregistered = stat == 0 || stat == 3;
	return unregistered ? link_down(modem, line, -1) : URC_NOT_NEWS;
}

static int on_ipcfg(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)rest;
	struct st87_fields fields;
	int cid, status, third;
	if (st87_fields_split(line, true, &fields) < 2 || st87_fields_int(&fields, 0, &cid) ||
	    st87_fields_int(&fields, 1, &status))
		return URC_NOT_NEWS;
	/* The note's boot trace ends with "#IPCFG: 5,0,1", the link configured automatically: a bare
	 * number where an address would stand is that form, not a status 0 (docs/PROTOCOL.md §10). */
	if (fields.count == 3 && !st87_fields_int(&fields, 2, &third))
		return link_up(modem, cid);
	if (status == 1)
		return link_up(modem, cid);
	if (status == 0 || status == 2)
		return link_down(modem, line, cid);
	return URC_NOT_NEWS;
}

/* "+CSCON: <mode>" after AT+CSCON=1 (the read's answer "<n>,<mode>" is no news): the radio's time. */
static int on_cscon(struct st87_modem *modem, const char *line, const char *rest)
{
	(void)rest;
	struct st87_fields fields;
	int mode;
	if (!modem->rrc.urcs || st87_fields_split(line, true, &fields) != 1 ||
	    st87_fields_int(&fields, 0, &mode))
		return URC_NOT_NEWS;
	st87_rrc_note(modem, mode == 1);
	return 0;
}

struct urc_match {
	const char *prefix;
	/* The prefix alone or followed by parameters, not the start of a longer word (#SLEEPMODE). */
	bool whole_word;
	int (*handle)(struct st87_modem *modem, const char *line, const char *rest);
};

/*
 * The lines a modem sends unasked that the session acts on (docs/PROTOCOL.md
 * §4), matched without regard to case. The first match wins, so a prefix
 * stands before a shorter one that begins it.
 */
static const struct urc_match urc_matches[] = {
	/* Sleep (§11): whether the next command needs the wake probe. */
	{"#SLEEP", true, on_sleep},
	{"#WAKEUP", true, on_wakeup},
	/* Data waiting, and the peer's close (§9). */
	{"#IPRECV:", false, on_data},
	{"#SOCKETCLOSED:", false, on_peer_closed},
	/* Restart and link (§10): a boot line, then news of the link, some naming its context. */
	{"#REBOOT_RESET", true, on_restart},
	{"#SIMST:", false, on_simst},
	{"+CGEV: ME PDN DEACT", false, on_context_down},
	{"+CGEV: NW PDN DEACT", false, on_context_down},
	{"+CGEV: NW DETACH", false, on_detach},
	{"+CGEV: ME DETACH", false, on_detach},
	{"+CGEV: ME PDN ACT", false, on_context_up},
	{"+CGEV: NW PDN ACT", false, on_context_up},
	{"IP Network is Up for context", false, on_context_up},
	{"IP Network is Up", false, on_network_up},
	{"+CEREG:", false, on_registration},
	{"#IPCFG:", false, on_ipcfg},
	/* The radio connected or idle (§15), once asked for (rrc_time.c). */
	{"+CSCON:", false, on_cscon},
};

static const struct urc_match *match_urc(const char *line)
{
	for (size_t i = 0; i < sizeof(urc_matches) / sizeof(urc_matches[0]); i++) {
		const struct urc_match *match = &urc_matches[i];
		size_t len = strlen(match->prefix);
		if (strncasecmp(line, match->prefix, len) != 0)
			continue;
		if (match->whole_word && line[len] != '\0' && line[len] != ':' && line[len] != ' ')
			continue;
		return match;
	}
	return NULL;
}

/* The rest of the note's boot trace after its #SIMST (+CEREG, +CGEV: ME PDN ACT, #IPCFG): #SIMST was not alone. */
static bool restart_trace_goes_on(const struct st87_modem *modem, const struct urc_match *match)
{
	return modem->restart_suspected &&
		(match->handle == on_registration || match->handle == on_context_up ||
		 match->handle == on_ipcfg);
}

static int on_urc(void *user, const char *line)
{
	struct st87_modem *modem = user;
	/* A raw command's caller sees the line in the reply: st87ctl's terminal would print it twice. */
	if (modem->options.on_unsolicited && !st87_at_reply_holds_urcs(modem->at))
		modem->options.on_unsolicited(modem->options.user, line);
	const struct urc_match *match = match_urc(line);
	if (match && restart_trace_goes_on(modem, match)) {
		restarted(modem, modem->doubt_line);
		/* A restarted modem answers nothing it was asked before: the command in flight is aborted. */
		return modem->in_command
			? st87_fail(-ENETRESET, "the modem restarted (\"%s\", then \"%s\")",
				    modem->doubt_line, line)
			: 0;
	}
	int result = match ? match->handle(modem, line, line + strlen(match->prefix)) : URC_NOT_NEWS;
	if (result != URC_NOT_NEWS)
		return result;
	st87_debug("ignoring modem line \"%s\"", line);
	return 0;
}

/*
 * Wakes the modem: a lone CR (ST's STM32 library sends one: a UART that
 * sleeps may lose the first bytes, and an empty line is no command), then
 * "AT" until any final result comes (an ERROR is an awake modem too),
 * within ST87_DEADLINE_WAKE. A try that went unanswered may still be
 * answered late: then a query behind the last try settles whose answer is
 * whose before the next command.
 */
int st87_modem_probe(struct st87_modem *modem)
{
	int err = st87_serial_write_all(modem->serial, "\r", 1, PROBE_TRY_MS);
	long long give_up = st87_now_ms() + st87_modem_deadline(modem, ST87_DEADLINE_WAKE);
	bool missed = false;
	while (!err || err == -ETIMEDOUT || err == -EPROTO) {
		int left = st87_ms_until(give_up);
		if (left <= 0) {
			err = -ETIMEDOUT;
			break;
		}
		struct st87_at_command command = {.text = "AT",
						  .timeout_ms = left < PROBE_TRY_MS ? left
										    : PROBE_TRY_MS};
		struct st87_at_reply reply;
		err = st87_at_run(modem->at, &command, &reply);
		if (reply.answered) {
			err = 0;
			break;
		}
		missed = true;
	}
	if (!err && missed &&
	    !st87_at_settle_late_answer(modem->at, st87_modem_deadline(modem, ST87_DEADLINE_SHORT)))
		err = -ETIMEDOUT;
	modem->last_activity_ms = st87_now_ms();
	modem->said_asleep = false;
	if (err == -ETIMEDOUT)
		return st87_fail(err, "%s: no modem answers (is it powered, and is the baud rate %d?)",
				 st87_serial_path(modem->serial), modem->options.baud);
	return err;
}

bool st87_modem_just_answered(const struct st87_modem *modem)
{
	return st87_now_ms() - modem->last_activity_ms < PROBE_TRY_MS;
}

/* After a resynchronisation an #IPRECV may have been dropped with the noise: every socket reads again. */
static void announce_possible_data(struct st87_modem *modem)
{
	for (int i = 0; i < ST87_MAX_SOCKETS; i++)
		if (modem->sockets[i].open)
			emit(modem, ST87_EVENT_DATA, modem->sockets[i].id);
}

/* Said so, or quiet for about its hold time: the next command may be lost without a probe. */
/* A +CME ERROR answer, counted under its code. */
static void count_cme(struct st87_modem_counters *counters, int code)
{
	counters->cme_errors++;
	for (size_t i = 0; i < ST87_CME_KINDS; i++) {
		if (counters->cme[i].count && counters->cme[i].code != code)
			continue;
		counters->cme[i].code = code;
		counters->cme[i].count++;
		return;
	}
	counters->cme_other++;
}

void st87_modem_counters(const struct st87_modem *modem, struct st87_modem_counters *out)
{
	*out = modem->counters;
}

static bool may_be_asleep(const struct st87_modem *modem)
{
	int hold = modem->options.sleep_hold_ms;
	if (modem->said_asleep)
		return true;
	if (hold < 0)
		return false;
	int early = hold / 8 < HOLD_EARLY_MS ? hold / 8 : HOLD_EARLY_MS;
	return st87_now_ms() - modem->last_activity_ms >= hold - early;
}

/*
 * A command's deadline passed without its final result. The answer may yet
 * come (a busy network, a modem at its own retries): that command alone has
 * failed, and a query behind it drops the late answer, so it is never taken
 * for the next command's. Only when the query goes unanswered too is the
 * modem lost.
 */
static int after_missed_deadline(struct st87_modem *modem)
{
	char missed[320];
	snprintf(missed, sizeof(missed), "%s", st87_last_error());
	if (st87_at_settle_late_answer(modem->at,
				       st87_modem_deadline(modem, ST87_DEADLINE_SHORT) +
					       modem->options.margin_ms))
		return st87_fail(-ETIMEDOUT, "%s (the modem still answers: only this command failed)",
				 missed);
	modem->unresponsive = true;
	return st87_fail(-ETIMEDOUT, "%s, nor to a query after it", missed);
}

static int run_once(struct st87_modem *modem, struct st87_at_command *command, int deadline_ms,
		    struct st87_at_reply *reply)
{
	if (modem->unresponsive) {
		/* Waiting out another deadline would only delay what the caller must do: reopen. */
		memset(reply, 0, sizeof(*reply));
		reply->cme = -1;
		return st87_fail(-ETIMEDOUT,
				 "%s: the modem stopped answering earlier; close and reopen it",
				 st87_at_shown_text(command));
	}
	if (may_be_asleep(modem)) {
		int err = st87_modem_probe(modem);
		if (err) {
			memset(reply, 0, sizeof(*reply));
			reply->cme = -1;
			modem->unresponsive = err == -ETIMEDOUT || modem->unresponsive;
			return err;
		}
	}
	command->timeout_ms = deadline_ms + modem->options.margin_ms;
	modem->in_command = true;
	int err = st87_at_run(modem->at, command, reply);
	modem->in_command = false;
	modem->counters.commands++;
	if (reply->cme >= 0)
		count_cme(&modem->counters, reply->cme);
	modem->last_cme = reply->cme;
	modem->last_activity_ms = st87_now_ms();
	if (err == -EPROTO)
		announce_possible_data(modem);
	else if (err == -ETIMEDOUT && !reply->answered)
		err = after_missed_deadline(modem);
	else if (err && !reply->answered && err != -ENETRESET && err != -ENETDOWN)
		modem->unresponsive = true; /* the port failed */
	if (reply->cme == 2106) {
		link_lost(modem, "+CME ERROR: 2106, network is down");
		err = st87_fail(-ENETDOWN, "%s: the modem's network is down (+CME ERROR: 2106)",
				st87_at_shown_text(command));
	}
	return err;
}

/*
 * The codes the maker's Mbed driver tries again: the modem is busy, not
 * failing (159 the uplink busy, 536 its UART buffer full, 537 a back-off
 * timer running, 1120 its application processor still starting).
 */
static bool busy(const struct st87_at_reply *reply)
{
	return reply->cme == 159 || reply->cme == 536 || reply->cme == 537 || reply->cme == 1120;
}

/*
 * #SIMST (a restart, or a SIM refresh): a restarted modem has error codes
 * off again. -ENETRESET when it restarted, 0 when it kept its settings.
 */
static int confirm_restart(struct st87_modem *modem)
{
	int short_ms = st87_modem_deadline(modem, ST87_DEADLINE_SHORT);
	modem->restart_suspected = false;
	struct st87_at_command query = {.text = "AT+CMEE?", .info_prefix = "+CMEE:"};
	struct st87_at_reply reply;
	int err = run_once(modem, &query, short_ms, &reply);
	if (err == -ENETRESET || modem->unresponsive || modem->settings_lost)
		return err ? err : -ENETRESET;
	struct st87_fields fields;
	int cmee = -1;
	if (!err && reply.n_lines > 0 && st87_fields_split(reply.lines[0], true, &fields) >= 1 &&
	    st87_fields_int(&fields, 0, &cmee))
		cmee = -1;
	/* Without AT+CMEE=1 taken at the start, the query tells nothing: taken as a restart. */
	if (modem->cmee_on && cmee == 1) {
		st87_info("\"%s\" without a restart (a SIM refresh?): the modem kept its settings",
			  modem->doubt_line);
		return 0;
	}
	restarted(modem, modem->doubt_line);
	return st87_fail(-ENETRESET, "the modem restarted (\"%s\", then AT+CMEE? gave %d)",
			 modem->doubt_line, cmee);
}

/* The session reads its link itself (between commands too): the IP link commands are in ipcmds.c. */
int st87_ipcfg_read(struct st87_modem *modem, struct st87_ipcfg *out)
{
	struct st87_at_command command = {.text = "AT#IPCFG?", .info_prefix = "#IPCFG:"};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_SHORT, &reply);
	if (!err)
		err = st87_ipcfg_choose(&reply, modem->cid, modem->cid_fixed, out);
	if (err)
		return err;
	st87_modem_learn_cid(modem, out->cid);
	return out->cid == modem->cid
		? 0
		: st87_fail(-ENOENT, "AT#IPCFG? does not list context %d", modem->cid);
}

/* +CEREG: 2 or 4: a loss only when AT#IPCFG? no longer shows our link up. -ENETDOWN when lost. */
static int check_registration(struct st87_modem *modem)
{
	modem->registration_doubt = false;
	if (modem->needs_start)
		return 0;
	struct st87_ipcfg ipcfg;
	int err = st87_ipcfg_read(modem, &ipcfg);
	if (err == -ENETRESET || modem->unresponsive || modem->needs_start)
		return err;
	if (!err && ipcfg.status == 1) {
		st87_info("\"%s\", but AT#IPCFG? shows the link up: not a loss", modem->doubt_line);
		return 0;
	}
	link_lost(modem, modem->doubt_line);
	return st87_fail(-ENETDOWN, "the modem's network is down (\"%s\", then AT#IPCFG?)",
			 modem->doubt_line);
}

/*
 * What lines left in doubt, settled before the next command (or, from
 * st87_modem_poll, at once), and after a restart the settings restored
 * before anything else. The checks' own commands check nothing.
 */
static int settle_doubts(struct st87_modem *modem)
{
	if (modem->settling || modem->unresponsive)
		return 0;
	modem->settling = true;
	int err = 0;
	if (modem->restart_suspected)
		err = confirm_restart(modem);
	/* A start-up restores them itself, first thing. */
	if (!err && modem->settings_lost && !modem->starting)
		err = st87_modem_restore_settings(modem);
	if (!err && modem->registration_doubt)
		err = check_registration(modem);
	modem->settling = false;
	return err;
}

int st87_modem_restore_settings(struct st87_modem *modem)
{
	modem->settings_lost = false;
	/* A modem may ignore ATE0 or refuse it; the engine copes with echo anyway. */
	int err = st87_modem_simple(modem, ST87_DEADLINE_SHORT, "ATE0");
	if (err == -ENETRESET || modem->unresponsive)
		return err;
	err = st87_modem_simple(modem, ST87_DEADLINE_SHORT, "AT+CMEE=1");
	if (err == -ENETRESET || modem->unresponsive)
		return err;
	modem->cmee_on = !err;
	if (err)
		st87_warn("the modem refused AT+CMEE=1; errors will come without codes");
	return 0;
}

#define BUSY_FIRST_PAUSE_MS 500
#define BUSY_LONGEST_PAUSE_MS 4000

/* A busy modem's refusal is tried again, after pauses that double, within the command's own deadline. */
static int run_retrying_busy(struct st87_modem *modem, struct st87_at_command *command, int deadline_ms,
			     struct st87_at_reply *reply)
{
	long long give_up = st87_now_ms() + deadline_ms;
	int pause_ms = BUSY_FIRST_PAUSE_MS;
	for (;;) {
		int err = run_once(modem, command, st87_ms_until(give_up), reply);
		if (!busy(reply) || st87_ms_until(give_up) <= pause_ms)
			return err;
		st87_info("%s: the modem is busy (+CME ERROR: %d): trying again in %d ms",
			  st87_at_shown_text(command), reply->cme, pause_ms);
		long long until = st87_now_ms() + pause_ms;
		while (st87_ms_until(until) > 0 && st87_modem_poll(modem, st87_ms_until(until)) >= 0)
			;
		if (modem->needs_start || modem->unresponsive)
			return err;
		pause_ms = pause_ms * 2 < BUSY_LONGEST_PAUSE_MS ? pause_ms * 2 : BUSY_LONGEST_PAUSE_MS;
	}
}

/* A command, after the settling of what earlier lines left in doubt. */
static int run_within(struct st87_modem *modem, struct st87_at_command *command, int deadline_ms,
		      struct st87_at_reply *reply)
{
	int err = settle_doubts(modem);
	if (err) {
		memset(reply, 0, sizeof(*reply));
		reply->cme = -1;
		return err;
	}
	/* Doubts this command's lines brought wait for the next command or poll: the caller reads
	 * the reply first, and a check's command would take its lines. */
	return run_retrying_busy(modem, command, deadline_ms, reply);
}

int st87_modem_run(struct st87_modem *modem, struct st87_at_command *command, int deadline_ms,
		   struct st87_at_reply *reply)
{
	return run_within(modem, command, st87_modem_deadline(modem, deadline_ms), reply);
}

int st87_modem_deadline(const struct st87_modem *modem, int table_ms)
{
	long long scaled = (long long)table_ms * modem->options.deadline_percent / 100;
	return scaled > INT_MAX ? INT_MAX : (int)scaled;
}

bool st87_reply_unknown_command(int err, const struct st87_at_reply *reply)
{
	return reply->cme == 504 ||
		(err == -EIO && reply->answered && reply->cme < 0 && !reply->cme_without_code);
}

int st87_modem_simple(struct st87_modem *modem, int deadline_ms, const char *format, ...)
{
	char text[256];
	va_list args;
	va_start(args, format);
	vsnprintf(text, sizeof(text), format, args);
	va_end(args);
	struct st87_at_command command = {.text = text};
	struct st87_at_reply reply;
	return st87_modem_run(modem, &command, deadline_ms, &reply);
}

int st87_modem_open(const struct st87_modem_options *options, struct st87_modem **out)
{
	struct st87_modem *modem = calloc(1, sizeof(*modem));
	if (!modem)
		return st87_fail(-ENOMEM, "out of memory");
	modem->options = *options;
	if (!modem->options.baud)
		modem->options.baud = ST87_DEFAULT_BAUD;
	if (modem->options.max_send > ST87_MAX_SEND)
		modem->options.max_send = ST87_MAX_SEND;
	/* Hex text doubles the line: it starts at the note's size, which some firmware counts in characters. */
	size_t first_try = modem->options.hex_send ? ST87_NOTE_SEND : ST87_PROBE_SEND;
	modem->send_limit = modem->options.max_send ? modem->options.max_send : first_try;
	if (modem->options.hex_send && modem->send_limit > HEX_SEND_MAX)
		modem->send_limit = HEX_SEND_MAX;
	/* ANSWER_FIRST is how one send goes on one-step firmware, not a kind of firmware. */
	modem->handshake = options->handshake == ST87_SEND_ANSWER_FIRST ? ST87_SEND_ONE_STEP
									: options->handshake;
	/* Firmware known to take sends in one step follows the note: 512 unless configured, as when learned. */
	if (modem->handshake == ST87_SEND_ONE_STEP && !modem->options.max_send &&
	    modem->send_limit > ST87_NOTE_SEND)
		modem->send_limit = ST87_NOTE_SEND;
	modem->send_cap = modem->send_limit;
	modem->dns_support = -1;
	if (!modem->options.margin_ms)
		modem->options.margin_ms = DEFAULT_MARGIN_MS;
	if (modem->options.deadline_percent <= 0)
		modem->options.deadline_percent = 100;
	modem->sleep_hold_to_ask = options->ask_sleep_hold && !options->sleep_hold_ms;
	if (!modem->options.sleep_hold_ms)
		modem->options.sleep_hold_ms = ST87_DEFAULT_SLEEP_HOLD_MS;
	modem->cid = options->cid ? options->cid : ST87_DEFAULT_CID;
	modem->cid_fixed = options->cid != 0;
	modem->last_cme = -1;
	modem->needs_start = true;

	char found[256];
	const char *path = options->port;
	int err = 0;
	if (path && strcmp(path, "auto") == 0) {
		err = st87_serial_find_modem(found, sizeof(found));
		path = found;
	}
	struct st87_serial_options serial_options = {.baud = modem->options.baud,
						     .rtscts = options->rtscts,
						     .min_fd = options->min_fd};
	if (!err)
		err = st87_serial_open(path, &serial_options, &modem->serial);
	struct st87_at_transport transport = {.context = modem->serial,
					      .write_all = transport_write,
					      .read = transport_read};
	if (!err)
		err = st87_at_new(&transport, on_urc, modem, &modem->at);
	if (!err && options->trace_path) {
		modem->trace = open_trace(options->trace_path);
		if (!modem->trace)
			err = st87_fail(-errno, "ST87_TRACE=%s: %s", options->trace_path,
					errno == ELOOP ? "a symbolic link (not followed)"
						       : strerror(errno));
		else
			st87_at_set_trace(modem->at, write_trace, modem->trace);
	}
	if (!err)
		err = st87_modem_probe(modem);
	if (err) {
		st87_modem_close(modem);
		return err;
	}
	*out = modem;
	return 0;
}

void st87_modem_close(struct st87_modem *modem)
{
	if (!modem)
		return;
	st87_at_free(modem->at);
	st87_serial_close(modem->serial);
	if (modem->trace)
		libc_fclose(modem->trace);
	free(modem);
}

int st87_modem_fd(const struct st87_modem *modem)
{
	return st87_serial_fd(modem->serial);
}

const char *st87_modem_path(const struct st87_modem *modem)
{
	return st87_serial_path(modem->serial);
}

struct st87_at *st87_modem_at(struct st87_modem *modem)
{
	return modem->at;
}

int st87_modem_cid(const struct st87_modem *modem)
{
	return modem->cid;
}

int st87_modem_last_cme(const struct st87_modem *modem)
{
	return modem->last_cme;
}

const struct st87_ipcfg *st87_modem_link(const struct st87_modem *modem)
{
	return &modem->link;
}

bool st87_modem_needs_start(const struct st87_modem *modem)
{
	return modem->needs_start;
}

bool st87_modem_unresponsive(const struct st87_modem *modem)
{
	return modem->unresponsive;
}

enum st87_send_handshake st87_modem_send_handshake(const struct st87_modem *modem)
{
	return modem->handshake;
}

size_t st87_modem_send_limit(const struct st87_modem *modem)
{
	return modem->send_limit;
}

size_t st87_modem_datagram_limit(const struct st87_modem *modem)
{
	if (modem->send_refused && modem->send_refused <= modem->send_cap)
		return modem->send_refused - 1;
	return modem->send_cap;
}

int st87_modem_poll(struct st87_modem *modem, int timeout_ms)
{
	int err = st87_at_poll(modem->at, timeout_ms);
	/* A #SIMST or +CEREG: 2 (now or with the last command) is settled here when no command
	 * follows: the sockets' owners must hear of a loss. */
	if (err >= 0 && !modem->in_command && (modem->restart_suspected || modem->registration_doubt))
		settle_doubts(modem);
	return err;
}

/*
 * The prefixes of a raw line's own answers: each command's name and a colon
 * ("+CMEE:" and "#IPCFG:" for "AT+CMEE=1;#IPCFG?"), as the typed commands
 * give info_prefix, one after another with their NULs and an empty one to
 * end. is_info takes no context, and a raw command runs on its caller's
 * thread: hence thread-local.
 */
static _Thread_local char raw_answer_prefixes[ST87_MAX_LINE + 8];

static void note_raw_answer_prefixes(const char *text)
{
	size_t used = 0;
	for (const char *command = text; *command;) {
		const char *name = strncasecmp(command, "AT", 2) == 0 ? command + 2 : command;
		size_t name_len = strcspn(name, "=?; \t");
		if (name_len > 0 && used + name_len + 3 <= sizeof(raw_answer_prefixes)) {
			memcpy(raw_answer_prefixes + used, name, name_len);
			used += name_len;
			raw_answer_prefixes[used++] = ':';
			raw_answer_prefixes[used++] = '\0';
		}
		const char *next = strchr(name, ';');
		if (!next)
			break;
		command = next + 1;
	}
	raw_answer_prefixes[used] = '\0';
}

static bool is_raw_answer(const char *line)
{
	for (const char *prefix = raw_answer_prefixes; *prefix; prefix += strlen(prefix) + 1)
		if (strncasecmp(line, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

int st87_modem_raw(struct st87_modem *modem, const char *text, int timeout_ms,
		   struct st87_at_reply *reply)
{
	/*
	 * A line that is not one of the line's commands' own may be news
	 * (#IPRECV, a restart): the AT engine hands it to on_urc as during any
	 * command, and keeps it in the reply for the user to see.
	 */
	note_raw_answer_prefixes(text);
	struct st87_at_command command = {.text = text, .is_info = is_raw_answer, .urcs_in_reply = true};
	if (strncasecmp(text, "AT#IPREAD=", 10) == 0)
		command.binary_block = true;
	/* The caller's own timeout, not one of the table's. */
	return run_within(modem, &command, timeout_ms, reply);
}

bool st87_modem_may_be_asleep(const struct st87_modem *modem)
{
	return may_be_asleep(modem);
}
