#include "st87ctl_radio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "radio_lines.h"
#include "wire.h"

static bool answered(const struct st87_radio *radio, enum st87_radio_query query)
{
	return radio->err[query] == 0;
}

/* Unknown to the firmware: its fields are left out, silently. */
static bool failed(const struct st87_radio *radio, enum st87_radio_query query)
{
	return radio->err[query] != 0 && radio->err[query] != -ENOSYS;
}

/* <stat> of +CEREG in words (27.007). */
static const char *registration_words(int stat)
{
	static const char *const words[] = {
		"not registered",      "registered, home network",   "searching",
		"registration denied", "unknown (out of coverage?)", "registered, roaming",
	};
	return stat >= 0 && stat < (int)(sizeof(words) / sizeof(words[0])) ? words[stat] : "other";
}

static const char *access_words(int act)
{
	return act == 9 ? "NB-S1" : act == 7 ? "E-UTRAN" : "other";
}

/* 252000 -> "70 h", 240 -> "4 min": the largest unit that divides it. */
static void duration(long seconds, char *out, size_t size)
{
	if (seconds >= 3600 && seconds % 3600 == 0)
		snprintf(out, size, "%ld h", seconds / 3600);
	else if (seconds >= 60 && seconds % 60 == 0)
		snprintf(out, size, "%ld min", seconds / 60);
	else
		snprintf(out, size, "%ld s", seconds);
}

/* "70 h (01000111)", or the bits alone when they stand for no time (deactivated). */
static void timer_text(const char *bits, long seconds, char *out, size_t size)
{
	char time[32];
	duration(seconds, time, sizeof(time));
	if (seconds >= 0)
		snprintf(out, size, "%s (%s)", time, bits);
	else
		snprintf(out, size, "deactivated (%s)", bits);
}

/* The section's rows: its name goes with the first. */
struct rows {
	st87ctl_row_fn print;
	bool started;
};

static void row(struct rows *rows, const char *key, const char *value)
{
	rows->print(rows->started ? "" : "Radio", key, value);
	rows->started = true;
}

static void print_signal(const struct st87_radio *radio, struct rows *rows)
{
	char text[64];
	if (answered(radio, ST87_RADIO_CESQ)) {
		const struct st87_cesq *cesq = &radio->cesq;
		snprintf(text, sizeof(text), cesq->rsrp_known ? "%d dBm" : "not known", cesq->rsrp_dbm);
		row(rows, "RSRP", text);
		snprintf(text, sizeof(text), cesq->rsrq_known ? "%.1f dB" : "not known", cesq->rsrq_db);
		row(rows, "RSRQ", text);
	}
	if (answered(radio, ST87_RADIO_CSQ)) {
		snprintf(text, sizeof(text), radio->csq.rssi_known ? "%d dBm" : "not known",
			 radio->csq.rssi_dbm);
		row(rows, "RSSI", text);
	}
}

static void print_registration(const struct st87_radio *radio, struct rows *rows)
{
	char text[256], active[64], tau[64];
	if (!answered(radio, ST87_RADIO_CEREG))
		return;
	const struct st87_cereg *cereg = &radio->cereg;
	snprintf(text, sizeof(text), "%s (%d)", registration_words(cereg->stat), cereg->stat);
	row(rows, "registration", text);
	if (cereg->ci[0]) {
		snprintf(text, sizeof(text), "%s in tracking area %s, %s", cereg->ci,
			 cereg->tac[0] ? cereg->tac : "?", access_words(cereg->act));
		row(rows, "cell", text);
	}
	if (cereg->active_time[0] || cereg->periodic_tau[0]) {
		timer_text(cereg->active_time, cereg->active_time_s, active, sizeof(active));
		timer_text(cereg->periodic_tau, cereg->periodic_tau_s, tau, sizeof(tau));
		snprintf(text, sizeof(text), "active time %s, periodic TAU %s", active, tau);
		row(rows, "network gave", text);
	}
}

static void print_power_saving(const struct st87_radio *radio, struct rows *rows)
{
	char text[256], active[64], tau[64];
	if (answered(radio, ST87_RADIO_CPSMS)) {
		const struct st87_cpsms *cpsms = &radio->cpsms;
		timer_text(cpsms->active_time, cpsms->active_time_s, active, sizeof(active));
		timer_text(cpsms->periodic_tau, cpsms->periodic_tau_s, tau, sizeof(tau));
		if (cpsms->mode != 1)
			snprintf(text, sizeof(text), "off");
		else
			snprintf(text, sizeof(text), "asked for: active time %s, periodic TAU %s",
				 cpsms->active_time[0] ? active : "(none)",
				 cpsms->periodic_tau[0] ? tau : "(none)");
		row(rows, "PSM", text);
	}
	if (answered(radio, ST87_RADIO_CEDRXS)) {
		if (radio->cedrxs.requested)
			snprintf(text, sizeof(text), "asked for: %s (%s)", radio->cedrxs.value,
				 radio->cedrxs.act_type == 5 ? "NB-S1" : "other access");
		else
			snprintf(text, sizeof(text), "off");
		row(rows, "eDRX", text);
	}
}

void st87ctl_radio_print_text(const struct st87_radio *radio, st87ctl_row_fn print)
{
	struct rows rows = {.print = print};
	if (answered(radio, ST87_RADIO_CGSN))
		row(&rows, "IMEI", radio->imei);
	if (answered(radio, ST87_RADIO_CGMR))
		row(&rows, "firmware", radio->revision);
	print_signal(radio, &rows);
	print_registration(radio, &rows);
	if (answered(radio, ST87_RADIO_CSCON))
		row(&rows, "RRC", radio->cscon.connected ? "connected" : "idle");
	print_power_saving(radio, &rows);
	for (int query = 0; query < ST87_RADIO_QUERIES; query++) {
		if (!failed(radio, query))
			continue;
		char key[32];
		snprintf(key, sizeof(key), "%s error", st87_radio_query_name(query));
		row(&rows, key, radio->why[query]);
	}
	if (!rows.started)
		row(&rows, "queries", "none the firmware knows");
}

static void json_key_string(FILE *out, const char *key, const char *text, bool *first)
{
	fprintf(out, "%s\"%s\": ", *first ? "" : ", ", key);
	st87ctl_json_string(out, text);
	*first = false;
}

/* "key": "<bits>", "key_s": <seconds or null>; nothing when the modem gave no bits. */
static void json_timer(FILE *out, const char *key, const char *bits, long seconds)
{
	if (!bits[0])
		return;
	fprintf(out, ", \"%s\": ", key);
	st87ctl_json_string(out, bits);
	fprintf(out, ", \"%s_s\": ", key);
	if (seconds >= 0)
		fprintf(out, "%ld", seconds);
	else
		fputs("null", out);
}

static void json_signal(FILE *out, const struct st87_radio *radio, bool *first)
{
	if (answered(radio, ST87_RADIO_CESQ)) {
		const struct st87_cesq *cesq = &radio->cesq;
		fprintf(out, "%s\"rsrp_dbm\": ", *first ? "" : ", ");
		if (cesq->rsrp_known)
			fprintf(out, "%d", cesq->rsrp_dbm);
		else
			fputs("null", out);
		fputs(", \"rsrq_db\": ", out);
		if (cesq->rsrq_known)
			fprintf(out, "%.1f", cesq->rsrq_db);
		else
			fputs("null", out);
		*first = false;
	}
	if (answered(radio, ST87_RADIO_CSQ)) {
		fprintf(out, "%s\"rssi_dbm\": ", *first ? "" : ", ");
		if (radio->csq.rssi_known)
			fprintf(out, "%d", radio->csq.rssi_dbm);
		else
			fputs("null", out);
		*first = false;
	}
}

static void json_registration(FILE *out, const struct st87_cereg *cereg, bool *first)
{
	fprintf(out, "%s\"registration\": {\"stat\": %d, \"state\": ", *first ? "" : ", ", cereg->stat);
	st87ctl_json_string(out, registration_words(cereg->stat));
	if (cereg->ci[0]) {
		fputs(", \"tac\": ", out);
		st87ctl_json_string(out, cereg->tac);
		fputs(", \"cell_id\": ", out);
		st87ctl_json_string(out, cereg->ci);
	}
	if (cereg->act >= 0)
		fprintf(out, ", \"act\": %d", cereg->act);
	json_timer(out, "active_time", cereg->active_time, cereg->active_time_s);
	json_timer(out, "periodic_tau", cereg->periodic_tau, cereg->periodic_tau_s);
	fputs("}", out);
	*first = false;
}

static void json_power_saving(FILE *out, const struct st87_radio *radio, bool *first)
{
	if (answered(radio, ST87_RADIO_CPSMS)) {
		const struct st87_cpsms *cpsms = &radio->cpsms;
		fprintf(out, "%s\"psm\": {\"on\": %s", *first ? "" : ", ",
			cpsms->mode == 1 ? "true" : "false");
		json_timer(out, "periodic_tau", cpsms->periodic_tau, cpsms->periodic_tau_s);
		json_timer(out, "active_time", cpsms->active_time, cpsms->active_time_s);
		fputs("}", out);
		*first = false;
	}
	if (answered(radio, ST87_RADIO_CEDRXS)) {
		fprintf(out, "%s\"edrx\": {\"on\": %s", *first ? "" : ", ",
			radio->cedrxs.requested ? "true" : "false");
		if (radio->cedrxs.requested) {
			fprintf(out, ", \"act_type\": %d, \"value\": ", radio->cedrxs.act_type);
			st87ctl_json_string(out, radio->cedrxs.value);
		}
		fputs("}", out);
		*first = false;
	}
}

static void json_errors(FILE *out, const struct st87_radio *radio, bool *first)
{
	bool none = true;
	for (int query = 0; query < ST87_RADIO_QUERIES; query++) {
		if (!failed(radio, query))
			continue;
		fprintf(out, "%s", none ? (*first ? "\"errors\": {" : ", \"errors\": {") : ", ");
		st87ctl_json_string(out, st87_radio_query_name(query));
		fputs(": ", out);
		st87ctl_json_string(out, radio->why[query]);
		none = false;
		*first = false;
	}
	if (!none)
		fputs("}", out);
}

void st87ctl_radio_print_json(FILE *out, const struct st87_radio *radio)
{
	bool first = true;
	fputs("{", out);
	if (answered(radio, ST87_RADIO_CGSN))
		json_key_string(out, "imei", radio->imei, &first);
	if (answered(radio, ST87_RADIO_CGMR))
		json_key_string(out, "firmware", radio->revision, &first);
	json_signal(out, radio, &first);
	if (answered(radio, ST87_RADIO_CEREG))
		json_registration(out, &radio->cereg, &first);
	if (answered(radio, ST87_RADIO_CSCON)) {
		fprintf(out, "%s\"rrc\": ", first ? "" : ", ");
		st87ctl_json_string(out, radio->cscon.connected ? "connected" : "idle");
		first = false;
	}
	json_power_saving(out, radio, &first);
	json_errors(out, radio, &first);
	fputs("}", out);
}

int st87ctl_radio_exit_code(const struct st87_radio *radio)
{
	int code = ST87CTL_EXIT_OK;
	for (int query = 0; query < ST87_RADIO_QUERIES; query++) {
		int this_code = failed(radio, query) ? st87ctl_exit_for(radio->err[query])
						     : ST87CTL_EXIT_OK;
		if (this_code > code)
			code = this_code;
	}
	return code;
}

static void take_radio_line(void *user, const char *line)
{
	st87d_radio_take_line(line, user);
}

int st87ctl_radio_from_daemon(const char *socket_path, struct st87_radio *radio, char *why,
			      size_t why_len)
{
	st87d_radio_unread(radio);
	int err = st87ctl_daemon_lines(socket_path, ST87D_RADIO, take_radio_line, radio, why, why_len);
	if (err)
		st87d_radio_unread(radio);
	return err;
}
