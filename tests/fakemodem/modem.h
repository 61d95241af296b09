/* The fake modem's state, shared by the command handlers.
 *
 * One command at a time: a complete line is parsed and executed; while it is
 * pending (collecting a binary payload, waiting for a TCP connect, holding
 * its final result for --latency) further input stays queued and URCs are
 * deferred until after its final result code. */
#ifndef FM_MODEM_H
#define FM_MODEM_H

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "air.h"
#include "atparse.h"
#include "bytebuf.h"
#include "linereader.h"
#include "options.h"
#include "pacing.h"
#include "radio.h"
#include "rng.h"
#include "sleep.h"
#include "sockets.h"
#include "stats.h"
#include "trace.h"
#include "writer.h"

/* Room for AT#IPPARAMS fields 5 to 9 as written (two IPv6 DNS servers in quotes and more). */
#define FM_IPPARAMS_MORE_SIZE 256

/* Result code for a bare ERROR whatever AT+CMEE says. */
#define FM_ERROR (-1)

enum cmd_state {
	CMD_IDLE,       /* no command: input runs, URCs go out at once */
	CMD_COLLECTING, /* reading the raw payload of a binary send (after
			  * the line's OK with --send-handshake two) */
	CMD_RUNNING,    /* executing; may wait on a socket (wait set) */
	CMD_FINISHING,  /* --latency: final result due at finish_at */
};

struct modem;
struct command_def;

struct pending_command {
	enum cmd_state state;
	const struct command_def *def;
	int reject; /* non-zero: answer this code, run nothing */
	struct at_command at;
	char line[LR_MAX_LINE + 1];
	uint8_t payload[LR_MAX_PAYLOAD];
	size_t payload_len;
	/* While waiting: called every loop turn; finishes the command when
	 * its condition holds. */
	void (*wait)(struct modem *m, int64_t now);
	int wait_sid;
	int64_t not_before; /* earliest answer (--connect-delay) */
	int64_t deadline;   /* give up then */
	int result;         /* CMD_FINISHING: the code to send */
	int64_t finish_at;
	/* An information line held back while waiting (--dns-delay). */
	char held_info[128];
};

struct modem {
	const struct fm_options *opt;
	int fd; /* pty master */
	struct rng rng;
	struct writer out;
	struct bytebuf in; /* read from the pty, not yet parsed */
	struct token_bucket in_pace;
	struct linereader lr;
	struct trace *trace;
	struct stats stats;
	struct socket_table socks;
	struct pending_command cmd;
	struct bytebuf urc_deferred;    /* NUL-separated lines */
	struct bytebuf urc_after_final; /* NUL-separated lines */
	bool echo;
	bool cmee;
	bool link_up;
	char ipv4[64];
	char ipv6[64];
	long ipparams[4]; /* auto_ip, pref. version, period, timeout */
	/* Fields 5 to 9 of the last AT#IPPARAMS= as written (the maker's: NB-sent counting, DNS
	 * servers); "" when it had four: a write of fewer fields resets the rest. */
	char ipparams_more[FM_IPPARAMS_MORE_SIZE];
	int64_t auto_ip_at;     /* --auto-ip: when the link comes up */
	unsigned long executed; /* command lines executed */
	unsigned long answered; /* final result codes sent */
	bool stalled;
	int64_t stall_ends_at; /* --stall-for: when the stall ends (FM_NEVER: it lasts) */
	bool stall_over;       /* a --stall-for stall has ended: no second one */
	bool rebooted;
	bool reset_asked; /* AT#RESET= answered: the modem restarts after its OK */
	/* Injected faults. */
	bool link_lost;                 /* --link-loss-after has happened */
	bool cereg_2_sent;              /* --cereg-2-while-up has happened */
	bool simst_sent;                /* --simst-without-reboot has happened */
	int64_t link_return_at;         /* --link-return: when it comes back */
	unsigned long connects_refused; /* by --refuse-connects so far */
	unsigned long sends_checked;    /* sends that passed every check */
	struct sleep_state sleep;       /* --sleep-after */
	struct air air;                 /* the network (air.h) */
	struct radio_settings radio;    /* what AT+CEREG=, AT+CSCON=, AT+CPSMS=, AT+CEDRXS= set */
	struct rng late_rng;            /* --late-answers: apart, so other switches do not move it */
	int64_t started_at;
	long reads_with_data; /* AT#IPREADs that had data, for --reboot-in-read */
};

/* The context id every command and URC carries (--cid). */
static inline int modem_cid(const struct modem *m)
{
	return (int)m->opt->cid;
}

/* The socket id the host sees for table slot i (--sid-base). */
static inline int modem_sid(const struct modem *m, int i)
{
	return (int)m->opt->sid_base + i;
}

/* modem.c: set-up and the poll loop's view of the modem. */
void modem_init(struct modem *m, const struct fm_options *opt, int fd, struct trace *trace, int64_t now);
void modem_free(struct modem *m);
/* Runs timers, pending commands and queued input; writes output. */
void modem_tick(struct modem *m, int64_t now);
/* Fills fds[0] (the pty) and the sockets' fds; sids[i] is the modem socket
 * of fds[i] (-1 for the pty). *wake gets the next timer. Returns the count. */
size_t modem_pollfds(struct modem *m, struct pollfd *fds, int *sids, int64_t now, int64_t *wake);
void modem_handle(struct modem *m, const struct pollfd *fds, const int *sids, size_t n, int64_t now);
/* --reboot-after: drop every socket and the command, send the boot lines. */
void modem_reboot(struct modem *m);

/* linkloss.c: --link-loss-after and --link-return. */
/* After each final result code: the network drops the link once the
 * command count is reached. */
void linkloss_after_final(struct modem *m);
/* Timers: the loss at start (N = 0) and the link's return (which does
 * nothing when the host brought the link up first). */
void linkloss_tick(struct modem *m, int64_t now);
int64_t linkloss_wake_at(const struct modem *m);
/* --cfun-1-drops-stack: the link and every socket go, with no URC. */
void linkloss_drop_stack(struct modem *m);
int modem_write_stats(const struct modem *m, const char *path);

/* sleep.c: --sleep-after and AT#SLEEPMODE. */
void sleep_init(struct modem *m, int64_t now);
/* A command line arrived: false when it found the modem asleep, woke it
 * and is lost. */
bool sleep_take_line(struct modem *m);
/* Data or a close came from the network. */
void sleep_network_event(struct modem *m);
/* After each final result code: the hold starts again. */
void sleep_after_final(struct modem *m);
void sleep_tick(struct modem *m, int64_t now);
int64_t sleep_wake_at(const struct modem *m);
/* Milliseconds awake since start. */
uint64_t sleep_awake_ms(const struct modem *m, int64_t now);

/* reply.c: everything that goes to the host, framed as <CR><LF>text<CR><LF>. */
/* An information line of the running command. */
void reply_info(struct modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with its arguments in @ap. */
void vreply_info(struct modem *m, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Raw bytes right after an information line (#IPREAD), then <CR><LF>. */
void reply_block(struct modem *m, const void *data, size_t n);
/* The final result code: 0 OK, FM_ERROR, or a CME code (ERROR unless
 * AT+CMEE=1). Injected noise may precede it. */
void reply_final(struct modem *m, int code);
/* A URC: sent at once when no command runs, otherwise after its final
 * result code (or at the next line boundary with --urc-interleave). */
void emit_urc(struct modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A URC that must follow the running command's final result code. */
void emit_urc_after_final(struct modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends the deferred URCs (all of them, or only those not tied to the
 * final result). */
void flush_urcs(struct modem *m, bool after_final);
/* A line sent as is, without noise: boot lines. */
void emit_line(struct modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Echo of a command line: the bytes as received, then <CR><LF>. */
void emit_echo(struct modem *m, const void *line, size_t len);

/* commands.c: the command lifecycle. */
/* A complete non-blank command line (without its CR). */
void command_line(struct modem *m, const uint8_t *line, size_t len);
/* A line over LR_MAX_LINE bytes was dropped: answer ERROR. */
void command_overlong(struct modem *m);
/* The binary payload the pending command asked for has arrived. */
void command_payload(struct modem *m, const uint8_t *data, size_t n);
/* Ends the running command with code (see reply_final). */
void command_finish(struct modem *m, int code);
/* The running command waits: fn is called each loop turn until it calls
 * command_finish(); m->cmd.deadline and not_before give wake-up times. */
void command_wait(struct modem *m, void (*fn)(struct modem *, int64_t));
/* --stall-after: the modem answers nothing from now (until --stall-for ends it). */
void command_stall(struct modem *m, int64_t now);
void command_tick(struct modem *m, int64_t now);
int64_t command_wake_at(const struct modem *m, int64_t now);

#endif
