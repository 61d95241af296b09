/* The command table and each command's lifecycle: parse, (collect payload),
 * execute, (wait), (latency), final result, deferred URCs. Also where
 * --stall-after and --reboot-after take effect. */
#include <string.h>

#include "handlers.h"
#include "timeutil.h"

static const struct command_def commands[] = {
	{ "AT", cmd_at, NULL },
	{ "ATE0", cmd_ate0, NULL },
	{ "ATE1", cmd_ate1, NULL },
	{ "AT+CMEE", cmd_cmee, NULL },
	{ "AT+CGPADDR", cmd_cgpaddr, NULL },
	{ "AT#IPCFG", cmd_ipcfg, NULL },
	{ "AT#IPDEL", cmd_ipdel, NULL },
	{ "AT#IPPARAMS", cmd_ipparams, NULL },
	{ "AT#IPPING", cmd_ipping, NULL },
	{ "AT#IPING", cmd_ipping, NULL }, /* the note's other spelling */
	{ "AT#SOCKETCREATE", cmd_socketcreate, NULL },
	{ "AT#TCPCONNECT", cmd_tcpconnect, NULL },
	{ "AT#SOCKETCLOSE", cmd_socketclose, NULL },
	{ "AT#IPSENDTCP", cmd_ipsendtcp, ipsendtcp_payload_len },
	{ "AT#IPSENDUDP", cmd_ipsendudp, ipsendudp_payload_len },
	{ "AT#IPREAD", cmd_ipread, NULL },
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

static void send_final(struct modem *m, int code)
{
	struct pending_command *pc = &m->cmd;

	reply_final(m, code);
	pc->state = CMD_IDLE;
	pc->wait = NULL;
	flush_urcs(m, true);
	m->answered++;
	if (m->opt->stall_after >= 0 &&
	    m->answered >= (unsigned long)m->opt->stall_after) {
		m->stalled = true;
		trace_note(m->trace, '<', "stalled");
	}
}

void command_finish(struct modem *m, int code)
{
	struct pending_command *pc = &m->cmd;

	pc->wait = NULL;
	if (m->opt->latency_ms > 0) {
		pc->state = CMD_FINISHING;
		pc->result = code;
		pc->finish_at = now_us() + m->opt->latency_ms * 1000;
		return;
	}
	send_final(m, code);
}

void command_wait(struct modem *m, void (*fn)(struct modem *, int64_t))
{
	m->cmd.wait = fn;
}

static void execute(struct modem *m)
{
	struct pending_command *pc = &m->cmd;
	int rc;

	m->executed++;
	if (m->opt->reboot_after >= 0 && !m->rebooted &&
	    m->executed == (unsigned long)m->opt->reboot_after + 1) {
		modem_reboot(m);
		return;
	}
	pc->state = CMD_RUNNING;
	pc->wait = NULL;
	pc->not_before = 0;
	pc->deadline = FM_NEVER;
	rc = pc->reject ? pc->reject : pc->def->run(m, &pc->at);
	if (rc != FM_PENDING)
		command_finish(m, rc);
	else if (!pc->wait)
		command_finish(m, 505); /* would hang the modem: a bug */
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
		pc->reject = 25;  /* invalid characters in text string */
	else if (st != AT_PARSED || !pc->def)
		pc->reject = 504; /* command unknown */
	if (!pc->reject && pc->def->payload_len) {
		want = pc->def->payload_len(&pc->at);
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

void command_tick(struct modem *m, int64_t now)
{
	struct pending_command *pc = &m->cmd;

	if (pc->state == CMD_FINISHING && now >= pc->finish_at)
		send_final(m, pc->result);
	else if (pc->state == CMD_RUNNING && pc->wait)
		pc->wait(m, now);
}

int64_t command_wake_at(const struct modem *m, int64_t now)
{
	const struct pending_command *pc = &m->cmd;

	if (pc->state == CMD_FINISHING)
		return pc->finish_at;
	if (pc->state == CMD_RUNNING && pc->wait)
		return pc->not_before > now ? pc->not_before : pc->deadline;
	return FM_NEVER;
}
