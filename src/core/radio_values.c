/*
 * The indices of AT+CESQ and AT+CSQ (3GPP TS 27.007 8.69, 8.5) and the
 * timers of AT+CEREG and AT+CPSMS (24.008 10.5.7.4, 10.5.7.4a).
 */
#include "radio_values.h"

#include <ctype.h>
#include <string.h>

#define CESQ_NOT_KNOWN 255
#define CSQ_NOT_KNOWN 99

bool st87_rsrp_dbm(int rsrp, int *dbm)
{
	/* 0..97, and Rel-13's extension -17..-1 and 98..127: n - 141 <= RSRP < n - 140. */
	if (rsrp == CESQ_NOT_KNOWN || rsrp < -17 || rsrp > 127)
		return false;
	*dbm = rsrp - 141;
	return true;
}

bool st87_rsrq_db(int rsrq, double *db)
{
	if (rsrq == CESQ_NOT_KNOWN || rsrq < -30 || rsrq > 46)
		return false;
	/* 0..46: (n - 40) / 2 <= RSRQ; the extension below, -30..-1, ends at -20 (index -1). */
	*db = rsrq >= 0 ? (rsrq - 40) / 2.0 : (rsrq - 39) / 2.0;
	return true;
}

bool st87_rssi_dbm(int rssi, int *dbm)
{
	if (rssi == CSQ_NOT_KNOWN || rssi < 0 || rssi > 31)
		return false;
	*dbm = -113 + 2 * rssi;
	return true;
}

/* The unit (bits 8 to 6) and the value (bits 5 to 1) of a timer string; false when it is not one. */
static bool split_timer(const char *bits, int *unit, long *value)
{
	if (strlen(bits) != 8 || strspn(bits, "01") != 8)
		return false;
	int byte = 0;
	for (int i = 0; i < 8; i++)
		byte = byte << 1 | (bits[i] - '0');
	*unit = byte >> 5;
	*value = byte & 0x1f;
	return true;
}

/* A timer string's seconds by @p unit_s, the seconds of each of its units 0 to 6; 7 deactivates it. */
static long timer_seconds(const char *bits, const long unit_s[7])
{
	int unit;
	long value;
	if (!split_timer(bits, &unit, &value) || unit == 7)
		return -1;
	return value * unit_s[unit];
}

long st87_timer3_seconds(const char *bits)
{
	/* GPRS Timer 3: 10 min, 1 h, 10 h, 2 s, 30 s, 1 min, 320 h. */
	static const long unit_s[] = {600, 3600, 36000, 2, 30, 60, 1152000};
	return timer_seconds(bits, unit_s);
}

long st87_timer2_seconds(const char *bits)
{
	/* GPRS Timer 2: 2 s, 1 min, 6 min (decihours); any other unit counts minutes. */
	static const long unit_s[] = {2, 60, 360, 60, 60, 60, 60};
	return timer_seconds(bits, unit_s);
}

bool st87_cereg_is_read_form(const char *line)
{
	const char *comma = strchr(line, ',');
	if (!comma)
		return false;
	while (*++comma == ' ')
		;
	return isdigit((unsigned char)*comma) != 0;
}
