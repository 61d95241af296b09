/*
 * The seconds the radio (RRC) was connected, for st87d's metrics: from the
 * modem's +CSCON: URCs where the firmware takes AT+CSCON=1, else from
 * AT+CSCON? read at the metrics' radio interval. Called under metrics_text.c's
 * radio lock.
 */
#ifndef ST87_DAEMON_RRC_SECONDS_H
#define ST87_DAEMON_RRC_SECONDS_H

#include <stdbool.h>

/* What one radio job learned. */
struct rrc_reading {
	bool from_urcs; /* the modem's URCs are on: urc_connected_ms is its session's count */
	long long urc_connected_ms; /* st87_modem_rrc_connected_ms() */
	bool read;                  /* AT+CSCON? answered (else the modem was found asleep: idle) */
	bool connected;             /* its <mode> */
};

/* A radio job ran at @now_ms (the modem read, or found asleep). */
void rrc_seconds_note(const struct rrc_reading *reading, long long now_ms);

/* The total as of @now_ms; @from_urcs set when the URCs count it now. */
double rrc_seconds_total(long long now_ms, bool *from_urcs);

#endif
