/* One handler per command; each switches on the form (execute, read `?`,
 * set `=`, test `=?`) and returns the final result: 0 (OK), a CME code, or
 * FM_PENDING after command_wait(). */
#ifndef FM_HANDLERS_H
#define FM_HANDLERS_H

#include <stddef.h>

#include "modem.h"

/* Handler result: the command goes on (it called command_wait()). */
#define FM_PENDING (-2)
/* The handler restarted the modem: its command is gone, unanswered. */
#define FM_NO_ANSWER (-3)

struct command_def {
	const char *name; /* upper-case keyword, e.g. "AT#IPREAD" */
	int (*run)(struct modem *m, const struct at_command *c);
	/* For binary sends: how many raw bytes follow the line (0: none).
	 * They are read before run() is called. */
	size_t (*payload_len)(const struct modem *m, const struct at_command *c);
	/* --send-handshake two: what can be checked before the payload
	 * comes; 0 (answer OK, read the payload) or the code that refuses
	 * the line. run() checks everything again after the payload. */
	int (*precheck)(struct modem *m, const struct at_command *c);
};

/* cmd_basic.c */
int cmd_at(struct modem *m, const struct at_command *c);
int cmd_ate0(struct modem *m, const struct at_command *c);
int cmd_ate1(struct modem *m, const struct at_command *c);
int cmd_cmee(struct modem *m, const struct at_command *c);
int cmd_cfun(struct modem *m, const struct at_command *c);
int cmd_reset(struct modem *m, const struct at_command *c);
/* cmd_ip.c */
int cmd_cgpaddr(struct modem *m, const struct at_command *c);
int cmd_ipcfg(struct modem *m, const struct at_command *c);
int cmd_ipdel(struct modem *m, const struct at_command *c);
int cmd_ipparams(struct modem *m, const struct at_command *c);
/* cmd_ping.c */
int cmd_ipping(struct modem *m, const struct at_command *c);
/* cmd_socket.c */
int cmd_socketcreate(struct modem *m, const struct at_command *c);
int cmd_tcpconnect(struct modem *m, const struct at_command *c);
int cmd_socketclose(struct modem *m, const struct at_command *c);
/* cmd_data.c */
int cmd_ipsendtcp(struct modem *m, const struct at_command *c);
int cmd_ipsendudp(struct modem *m, const struct at_command *c);
int cmd_ipread(struct modem *m, const struct at_command *c);
size_t ipsendtcp_payload_len(const struct modem *m, const struct at_command *c);
size_t ipsendudp_payload_len(const struct modem *m, const struct at_command *c);
int ipsendtcp_precheck(struct modem *m, const struct at_command *c);
int ipsendudp_precheck(struct modem *m, const struct at_command *c);
/* cmd_dns.c */
int cmd_dns(struct modem *m, const struct at_command *c);
/* cmd_radio.c */
int cmd_cesq(struct modem *m, const struct at_command *c);
int cmd_csq(struct modem *m, const struct at_command *c);
int cmd_cereg(struct modem *m, const struct at_command *c);
int cmd_cscon(struct modem *m, const struct at_command *c);
int cmd_cgsn(struct modem *m, const struct at_command *c);
int cmd_cgmr(struct modem *m, const struct at_command *c);
int cmd_cpsms(struct modem *m, const struct at_command *c);
int cmd_cedrxs(struct modem *m, const struct at_command *c);
/* sleep.c */
int cmd_sleepmode(struct modem *m, const struct at_command *c);

/* cmd_util.c: checks shared by handlers; each returns 0 or the code. */
/* A form the note does not describe for this command: unknown, 504. */
#define CMD_UNSUPPORTED 504
/* Clean tokens and min..max parameters: else 50 / 502 / 503. */
int check_params(const struct at_command *c, int min, int max);
/* A command of two forms: set runs @set, test answers its syntax (@test_fmt); the others are unsupported. */
int set_or_test(struct modem *m, const struct at_command *c,
		int (*set)(struct modem *m, const struct at_command *c), const char *test_fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Parameter i is the modem's context id (--cid): else 2100. */
int check_cid(const struct modem *m, const struct at_command *c, int i);
/* The IP link is up: else 2106. */
int check_link(const struct modem *m);
/* Parameter i is a socket id (--sid-base .. +2): *slot gets its index in
 * the socket table. */
bool param_sid(const struct modem *m, const struct at_command *c, int i, int *slot);
/* Parameter i names an open socket of that type (*out set): else 2104 (not
 * a socket id) or 2153 (not open, or of the other type). */
int get_socket(struct modem *m, const struct at_command *c, int i, bool tcp, struct msock **out);
/* The slot of a socket in the table (for sock_close, modem_sid). */
static inline int socket_slot(const struct modem *m, const struct msock *s)
{
	return (int)(s - m->socks.s);
}
/* The socket id range for a test-form answer, e.g. "(0-2)". */
#define SID_RANGE_FMT "(%d-%d)"
#define SID_RANGE(m) modem_sid(m, 0), modem_sid(m, FM_MAX_SOCKETS - 1)

#endif
