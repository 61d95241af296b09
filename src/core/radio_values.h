/* What the numbers of the 27.007 radio answers stand for (radio_values.c). */
#ifndef ST87_CORE_RADIO_VALUES_H
#define ST87_CORE_RADIO_VALUES_H

#include <stdbool.h>

/* <rsrp> of +CESQ: false when not known (255, or outside 27.007's range); else the low end in dBm. */
bool st87_rsrp_dbm(int rsrp, int *dbm);
/* <rsrq> of +CESQ: false when not known; else the low end in dB. */
bool st87_rsrq_db(int rsrq, double *db);
/* <rssi> of +CSQ: false when not known (99); else -113 + 2 * rssi dBm. */
bool st87_rssi_dbm(int rssi, int *dbm);

/*
 * An 8-bit timer string of 24.008 in seconds: GPRS Timer 3 (T3412
 * extended, the periodic TAU) or GPRS Timer 2 (T3324, the active time).
 * -1 when @p bits is not eight 0s and 1s, or the timer is deactivated.
 */
long st87_timer3_seconds(const char *bits);
long st87_timer2_seconds(const char *bits);

/*
 * "+CEREG: <n>,<stat>[,...]", the read command's answer, and not a URC
 * "+CEREG: <stat>[,"<tac>",...]": the read form's second field is a bare
 * number, a URC's the quoted TAC (which may be all digits).
 */
bool st87_cereg_is_read_form(const char *line);

#endif
