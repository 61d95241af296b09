/* The modem handle, shared by the modem's command modules. */
#ifndef ST87_CORE_MODEM_INTERNAL_H
#define ST87_CORE_MODEM_INTERNAL_H

#include <stdio.h>

#include "st87/st87.h"

#define ST87_MAX_SOCKET_ID 8

/* Max Response Times of the vendor's note, in ms. */
#define ST87_DEADLINE_SHORT 1000 /* AT, ATE0, IPCFG, IPDEL, IPPARAMS, CGPADDR */
#define ST87_DEADLINE_CREATE 2000
#define ST87_DEADLINE_SEND 10000 /* IPSENDTCP, IPSENDUDP, TCPCONNECT */
#define ST87_DEADLINE_READ 30000
#define ST87_DEADLINE_CLOSE 60000

struct st87_socket_slot {
	bool open;
	enum st87_proto proto;
	/* TCP bytes of an #IPREAD block that did not fit the caller's buffer. */
	uint8_t leftover[ST87_MAX_READ];
	size_t leftover_start, leftover_len;
};

struct st87_modem {
	struct st87_serial *serial;
	struct st87_at *at;
	struct st87_modem_options options;
	int cid;
	int last_cme;
	bool needs_start;
	bool starting;
	long long last_activity_ms;
	FILE *trace;
	struct st87_ipcfg link; /* as start-up last read it */
	struct st87_socket_slot sockets[ST87_MAX_SOCKET_ID];
};

/* Runs @p command with the modem's margin added to @p deadline_ms and records the CME code. */
int st87_modem_run(struct st87_modem *modem, struct st87_at_command *command, int deadline_ms,
		   struct st87_at_reply *reply);

/* Runs a command whose only answer is OK (formatted like printf). */
int st87_modem_simple(struct st87_modem *modem, int deadline_ms, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

#endif
