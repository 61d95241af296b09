/* The command table and each command's lifecycle: parse, (collect payload),
 * execute, (wait), (latency), final result, deferred URCs. Also where
 * --stall-after, --reboot-after and --link-loss-after take effect, and the
 * two-step binary send of --send-handshake two:
 *
 *   one: line, payload, run, final result
 *   two: line, checks, OK (or an error: done, no payload), payload, run,
 *        final result */
#include <string.h>

#include "handlers.h"
#include "timeutil.h"

static const struct command_def commands[] = {
	{"AT", cmd_at, NULL, NULL},
	{"ATE0", cmd_ate0, NULL, NULL},
	{"ATE1", cmd_ate1, NULL, NULL},
	{"AT+CMEE", cmd_cmee, NULL, NULL},
	{"AT+CFUN", cmd_cfun, NULL, NULL},
	{"AT#RESET", cmd_reset, NULL, NULL},
	{"AT+CGPADDR", cmd_cgpaddr, NULL, NULL},
	{"AT#IPCFG", cmd_ipcfg, NULL, NULL},
	{"AT#IPDEL", cmd_ipdel, NULL, NULL},
	{"AT#IPPARAMS", cmd_ipparams, NULL, NULL},
	{"AT#IPPING", cmd_ipping, NULL, NULL},
	{"AT#IPING", cmd_ipping, NULL, NULL}, /* the note's other spelling */
	{"AT#SOCKETCREATE", cmd_socketcreate, NULL, NULL},
	{"AT#TCPCONNECT", cmd_tcpconnect, NULL, NULL},
	{"AT#SOCKETCLOSE", cmd_socketclose, NULL, NULL},
	{"AT#IPSENDTCP", cmd_ipsendtcp, ipsendtcp_payload_len, ipsendtcp_precheck},
	{"AT#IPSENDUDP", cmd_ipsendudp, ipsendudp_payload_len, ipsendudp_precheck},
	{"AT#IPREAD", cmd_ipread, NULL, NULL},
	{"AT#DNS", cmd_dns, NULL, NULL},
	{"AT#SLEEPMODE", cmd_sleepmode, NULL, NULL},
	{"AT+CESQ", cmd_cesq, NULL, NULL},
	{"AT+CSQ", cmd_csq, NULL, NULL},
	{"AT+CEREG", cmd_cereg, NULL, NULL},
	{"AT+CSCON", cmd_cscon, NULL, NULL},
	{"AT+CGSN", cmd_cgsn, NULL, NULL},
	{"AT+CGMR", cmd_cgmr, NULL, NULL},
	{"AT+CPSMS", cmd_cpsms, NULL, NULL},
	{"AT+CEDRXS", cmd_cedrxs, NULL, NULL},
};

static const struct command_def *lookup(const struct at_command *c)
{
	if (c->keyword_truncated)
		return NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, c->keyword))
			return &commands[i];
	return NULL;
}

/* AT#RESET=: the restart follows its OK. --reboot-after's one reboot is still to come. */
static void reset_if_asked(struct modem *m)
{
	if (!m->reset_asked)
		return;
	m->reset_asked = false;
	bool reboot_after_done = m->rebooted;
	modem_reboot(m);
	m->rebooted = reboot_after_done;
}

static void send_final(struct modem *m, int code)
{
	struct pending_command *pc = &m->cmd;

	reply_final(m, code);
	pc->state = CMD_IDLE;
	pc->wait = NULL;
	flush_urcs(m, true);
	sleep_after_final(m);
	m->answered++;
	if (m->opt->stall_after >= 0 && m->answered >= (unsigned long)m->opt->stall_after &&
	    !m->stall_over)
		command_stall(m, now_us());
	linkloss_after_final(m);
	reset_if_asked(m);
}

void command_finish(struct modem *m, int code)
{
	struct pending_command *pc = &m->cmd;

	int64_t hold_us = m->opt->latency_ms * 1000 + air_late_answer_us(m);

	pc->wait = NULL;
	if (hold_us > 0) {
		pc->state = CMD_FINISHING;
		pc->result = code;
		pc->finish_at = now_us() + hold_us;
		return;
	}
	send_final(m, code);
}

void command_wait(struct modem *m, void (*fn)(struct modem *, int64_t))
{
	m->cmd.wait = fn;
}

/* Counts a command line as executed. Returns false when --reboot-after
 * rebooted the modem instead: the command is gone, unanswered. */
static bool count_executed(struct modem *m)
{
	m->executed++;
	if (m->opt->reboot_after >= 0 && !m->rebooted &&
	    m->executed == (unsigned long)m->opt->reboot_after + 1) {
		modem_reboot(m);
		return false;
	}
	return true;
}

/* Runs the handler (or answers the reject code). */
static void run(struct modem *m)
{
	struct pending_command *pc = &m->cmd;
	int rc;

	pc->state = CMD_RUNNING;
	pc->wait = NULL;
	pc->not_before = 0;
	pc->deadline = FM_NEVER;
	rc = pc->reject ? pc->reject : pc->def->run(m, &pc->at);
	if (rc == FM_NO_ANSWER)
		return;
	if (rc != FM_PENDING)
		command_finish(m, rc);
	else if (!pc->wait)
		command_finish(m, 505); /* would hang the modem: a bug */
}

static void execute(struct modem *m)
{
	if (count_executed(m))
		run(m);
}

/* --send-handshake two: the line is checked and answered before the host
 * sends its payload. */
static void start_two_step(struct modem *m, size_t want)
{
	struct pending_command *pc = &m->cmd;

	if (!count_executed(m))
		return;
	pc->reject = pc->def->precheck(m, &pc->at);
	if (pc->reject) {
		/* Refused: no payload is read; what follows is AT text. */
		run(m);
		return;
	}
	/* The line's own OK goes at once, --latency or not: a host tells
	 * the handshake by a short wait for it (docs/PROTOCOL.md §7). It is
	 * not a command's answer for --stall-after. */
	reply_final(m, 0);
	pc->state = CMD_COLLECTING;
	lr_expect_payload(&m->lr, want);
}

void command_line(struct modem *m, const uint8_t *line, size_t len)
{
	struct pending_command *pc = &m->cmd;
	enum at_status st;
	size_t want;

	memcpy(pc->line, line, len);
	pc->line[len] = '\0';
	st = at_parse(pc->line, len, &pc->at);
	stats_count_command(&m->stats, pc->at.keyword[0] ? pc->at.keyword : "?");
	pc->def = lookup(&pc->at);
	pc->reject = 0;
	pc->payload_len = 0;
	pc->state = CMD_RUNNING;
	if (st == AT_HAS_NUL)
		pc->reject = 25; /* invalid characters in text string */
	else if (st != AT_PARSED || !pc->def)
		pc->reject = 504; /* command unknown */
	if (!pc->reject && pc->def->payload_len) {
		want = pc->def->payload_len(m, &pc->at);
		if (want && m->opt->send_handshake == SEND_TWO_STEP) {
			start_two_step(m, want);
			return;
		}
		if (want) {
			/* Binary send: the raw bytes come first, then the
			 * command runs (and may still fail). */
			pc->state = CMD_COLLECTING;
			lr_expect_payload(&m->lr, want);
			return;
		}
	}
	execute(m);
}

void command_payload(struct modem *m, const uint8_t *data, size_t n)
{
	memcpy(m->cmd.payload, data, n);
	m->cmd.payload_len = n;
	trace_binary(m->trace, '>', n);
	/* --echo-data: a modem that echoes every byte it reads, data too. */
	if (m->echo && m->opt->echo_data) {
		writer_put(&m->out, data, n);
		trace_binary(m->trace, '<', n);
	}
	if (m->opt->send_handshake == SEND_TWO_STEP)
		run(m); /* counted when its line came */
	else
		execute(m);
}

void command_overlong(struct modem *m)
{
	/* Not a command: nothing executed, no stats entry; but it is
	 * answered (a bare ERROR) and counts towards --stall-after. */
	m->cmd.state = CMD_RUNNING;
	m->cmd.reject = FM_ERROR;
	command_finish(m, FM_ERROR);
}

void command_stall(struct modem *m, int64_t now)
{
	m->stalled = true;
	m->stall_ends_at = m->opt->stall_for_ms < 0 ? FM_NEVER : now + m->opt->stall_for_ms * 1000;
	trace_note(m->trace, '<', "stalled");
}

void command_tick(struct modem *m, int64_t now)
{
	struct pending_command *pc = &m->cmd;

	if (m->stalled && now >= m->stall_ends_at) {
		m->stalled = false;
		m->stall_over = true;
		trace_note(m->trace, '<', "stall over");
	}
	if (pc->state == CMD_FINISHING && now >= pc->finish_at)
		send_final(m, pc->result);
	else if (pc->state == CMD_RUNNING && pc->wait)
		pc->wait(m, now);
}

int64_t command_wake_at(const struct modem *m, int64_t now)
{
	const struct pending_command *pc = &m->cmd;

	if (m->stalled)
		return m->stall_ends_at;
	if (pc->state == CMD_FINISHING)
		return pc->finish_at;
	if (pc->state == CMD_RUNNING && pc->wait)
		return pc->not_before > now ? pc->not_before : pc->deadline;
	return FM_NEVER;
}
