/* The radio as 3GPP TS 27.007 shows it: signal (AT+CESQ, AT+CSQ),
 * registration (AT+CEREG), RRC state (AT+CSCON), identity (AT+CGSN,
 * AT+CGMR) and the power-saving requests (AT+CPSMS, AT+CEDRXS). The
 * switches set the signal and make commands unknown, as on firmware that
 * lacks them; the state is what the host set with the commands' set forms. */
#ifndef FM_RADIO_H
#define FM_RADIO_H

#include <stdbool.h>

/* The commands --radio-unknown can take away, one bit each. */
enum radio_command {
	RADIO_CESQ = 1 << 0,
	RADIO_CSQ = 1 << 1,
	RADIO_CEREG = 1 << 2,
	RADIO_CSCON = 1 << 3,
	RADIO_CGSN = 1 << 4,
	RADIO_CGMR = 1 << 5,
	RADIO_CPSMS = 1 << 6,
	RADIO_CEDRXS = 1 << 7,
};

/* The switches, as 27.007's indices. */
struct radio_switches {
	int rsrp;         /* --rsrp: <rsrp> of +CESQ, 255 not known */
	int rsrq;         /* --rsrq: <rsrq> of +CESQ, 255 not known */
	int rssi;         /* --rssi: <rssi> of +CSQ, 99 not known */
	unsigned unknown; /* --radio-unknown: enum radio_command bits */
};

/* 8-bit timer strings ("00100100") and the eDRX half byte ("0101"), as written. */
#define RADIO_TIMER_SIZE 9

/* What the host set; a reboot forgets it, as firmware does. */
struct radio_settings {
	int cereg_n; /* AT+CEREG=<n>: 0..5 */
	int cscon_n; /* AT+CSCON=<n>: 0 or 1 (+CSCON: <mode> URCs) */
	int psm_mode;
	char psm_tau[RADIO_TIMER_SIZE];    /* <Requested_Periodic-TAU> */
	char psm_active[RADIO_TIMER_SIZE]; /* <Requested_Active-Time> */
	int edrx_mode;
	char edrx_value[RADIO_TIMER_SIZE]; /* <Requested_eDRX_value> for NB-S1 */
};

void radio_defaults(struct radio_switches *r);
/* --rsrp DBM (-140..-44), --rsrq DB (-19.5..-3, in halves), --rssi DBM
 * (-113..-51, odd): the 27.007 index whose range starts there, or "unknown".
 * False when the text is none of these. */
bool radio_parse_rsrp(const char *text, int *index);
bool radio_parse_rsrq(const char *text, int *index);
bool radio_parse_rssi(const char *text, int *index);
/* --radio-unknown LIST: names (cesq, csq, cereg, cscon, cgsn, cgmr, cpsms,
 * cedrxs, all) separated by commas, added to *bits. */
bool radio_parse_unknown(const char *text, unsigned *bits);

#endif
