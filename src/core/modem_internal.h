/* The modem handle: the session (modem.c), the command modules and the start-up share it. */
#ifndef ST87_CORE_MODEM_INTERNAL_H
#define ST87_CORE_MODEM_INTERNAL_H

#include <stdio.h>

#include "st87/st87.h"

/* The modem has 3 sockets; the table has room for ids a confused modem reports twice. */
#define ST87_MAX_SOCKETS 8

/*
 * How long each command may take, in ms: at least what the maker's own
 * drivers allow, which comes from the field (a radio waking up, a network
 * seconds away, a modem busy with its own retries), not the note's Max
 * Response Times, measured where the network answers at once. A missed
 * deadline fails that command alone while the modem still answers a query
 * behind it (modem.c, after_missed_deadline).
 *
 * | command                                   | note  | maker's drivers                     | here  |
 * | ----------------------------------------- | ----- | ----------------------------------- | ----- |
 * | AT, ATE0, AT+CMEE, queries, AT#IPCFG=     | 1 s   | 10 s (Zephyr's chat; iLabs #IPCFG=) | 15 s  |
 * | AT#SOCKETCREATE                           | 2 s   | 90 s (Zephyr MDM_CONNECT_TIMEOUT)   | 90 s  |
 * | AT#TCPCONNECT                             | 10 s  | 120 s (iLabs)                       | 120 s |
 * | AT#IPSENDTCP, AT#IPSENDUDP, AT#TCPCONNECT? | 10 s | 10 s                                | 30 s  |
 * | AT#IPREAD                                 | 30 s  |                                     | 30 s  |
 * | AT#SOCKETCLOSE                            | 60 s  |                                     | 60 s  |
 * | AT#DNS                                    | 210 s | 60 to 210 s (iLabs, Zephyr)         | 210 s |
 * | the wake probe (AT, after a lone CR)      |       | 5 s (ST's STM32 library)            | 5 s   |
 *
 * Above the maker's: ordinary commands, so an answer 12 s late (seen on a
 * loaded network) is still an answer; sends, which wait for room in the
 * modem's uplink queue at a few kbit/s.
 */
#define ST87_DEADLINE_SHORT 15000
#define ST87_DEADLINE_CREATE 90000
#define ST87_DEADLINE_CONNECT 120000
#define ST87_DEADLINE_SEND 30000
#define ST87_DEADLINE_READ 30000
#define ST87_DEADLINE_CLOSE 60000
#define ST87_DEADLINE_DNS 210000
#define ST87_DEADLINE_WAKE 5000

struct st87_socket_slot {
	bool open;
	int id; /* as the modem gave it */
	enum st87_proto proto;
	/* TCP bytes of an #IPREAD block that did not fit the caller's buffer. */
	uint8_t leftover[ST87_MAX_READ];
	size_t leftover_start, leftover_len;
};

/* The radio's connected time from +CSCON: URCs (rrc_span.c; rrc_time.c turns them on). */
struct st87_rrc_time {
	bool urcs;    /* AT+CSCON=1 answered OK since the last restart */
	bool refused; /* the firmware does not know AT+CSCON: not asked again this session */
	bool known, connected;
	long long since_ms;     /* the last change of state (or the last restart) */
	long long connected_ms; /* connected time before since_ms */
};

struct st87_modem {
	struct st87_serial *serial;
	struct st87_at *at;
	struct st87_modem_options options;
	int cid;
	bool cid_fixed; /* set by the options: never learned */
	int last_cme;
	bool unresponsive; /* a deadline passed or the port failed: only reopening helps */
	bool needs_start;
	bool link_was_up; /* a start-up succeeded once: a later one is a return after a loss */
	bool starting;
	long long last_activity_ms; /* the last command's end: the modem's hold counts from it */
	bool sleep_hold_to_ask;     /* ask_sleep_hold, and AT#SLEEPMODE? not answered yet */
	bool said_asleep;           /* a #SLEEP line, no #WAKEUP or command since */
	FILE *trace;
	struct st87_ipcfg link; /* as start-up last read it */
	struct st87_socket_slot sockets[ST87_MAX_SOCKETS];

	/* Learned on the first sends (docs/PROTOCOL.md §7, §8). */
	enum st87_send_handshake handshake;
	size_t send_cap; /* the largest send ever tried: configured, probed, or the note's on one-step firmware */
	size_t send_limit; /* the largest send to try: send_cap, shrunk by halves on length errors */
	size_t send_proven; /* the largest send the modem took: one-step sends up to it go with their line */
	size_t send_refused; /* the shortest send the modem refused for its length, 0 none */
	/* The slowest answer to a command the modem answers by itself (AT#SOCKETCREATE), less the command's
	 * and the answer's own time on the line, ms; 0 none yet. */
	int slowest_local_answer_ms;
	int dns_support; /* AT#DNS: -1 not tried yet, 0 unknown to the firmware, 1 answers */

	/* What a restart undoes, and lines that may or may not mean one (docs/PROTOCOL.md §10). */
	bool cmee_on; /* AT+CMEE=1 answered OK since the last restart: a bare ERROR is no CME code */
	bool settings_lost;      /* restarted: echo and error codes are the firmware's defaults again */
	bool in_command;         /* a command waits for its answer: a URC handler may abort it */
	bool settling;           /* the session's own checks run: their commands check nothing */
	bool restart_suspected;  /* #SIMST came: a restart, or a SIM refresh that keeps everything */
	bool registration_doubt; /* +CEREG: 2 or 4: lost only if AT#IPCFG? shows the link down too */
	bool sockets_may_linger; /* the link was lost, the modem did not restart: it may still hold sockets */
	char doubt_line[64]; /* the line behind restart_suspected or registration_doubt */

	struct st87_modem_counters counters;
	struct st87_rrc_time rrc;
};

/* The slot of modem socket @p socket_id, or NULL when it is not open. */
struct st87_socket_slot *st87_socket_slot(struct st87_modem *modem, int socket_id);
/* Adopts the context id the modem names, unless it is configured or a socket uses the current one. */
void st87_modem_learn_cid(struct st87_modem *modem, int cid);

/* Sends AT until the modem answers (a sleeping modem may drop the first command): 0, -ETIMEDOUT
 * when it never does, or the AT engine's error. */
int st87_modem_probe(struct st87_modem *modem);
/* The modem answered within a probe's deadline: a probe now would only repeat that answer. */
bool st87_modem_just_answered(const struct st87_modem *modem);

/* Runs @p command with the modem's margin added to @p deadline_ms and records the CME code. */
/* @table_ms (one of the ST87_DEADLINE_ figures) as this modem's options scale it (deadline_percent). */
int st87_modem_deadline(const struct st87_modem *modem, int table_ms);
int st87_modem_run(struct st87_modem *modem, struct st87_at_command *command, int deadline_ms,
		   struct st87_at_reply *reply);

/* The firmware answered that it does not know the command (504, or a bare ERROR before AT+CMEE=1). */
bool st87_reply_unknown_command(int err, const struct st87_at_reply *reply);

/* Echo off and error codes on: the first commands of a start-up, and of anything after a restart. */
int st87_modem_restore_settings(struct st87_modem *modem);

/* A +CSCON: URC said the radio is now @p connected (rrc_span.c). */
void st87_rrc_note(struct st87_modem *modem, bool connected);
/* The modem restarted: its URCs are off again, its state not known. */
void st87_rrc_restarted(struct st87_modem *modem);

/* Runs a command whose only answer is OK (formatted like printf). */
int st87_modem_simple(struct st87_modem *modem, int deadline_ms, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

#endif
