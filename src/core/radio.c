/*
 * The 3GPP TS 27.007 radio queries: AT+CESQ, AT+CSQ, AT+CEREG?, AT+CSCON?,
 * AT+CGSN, AT+CGMR, AT+CPSMS?, AT+CEDRXS?. The note does not list them;
 * firmware that lacks one answers 504 or a bare ERROR (-ENOSYS here). A
 * +CEREG: or +CSCON: URC may come among a read's lines (the same prefix), so
 * the answer is the line of the read form's shape.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fields.h"
#include "internal.h"
#include "modem_internal.h"
#include "radio_values.h"

/* Runs a query: 0, -ENOSYS when the firmware does not know it, or the command's error. */
static int run_query(struct st87_modem *modem, struct st87_at_command *command,
		     struct st87_at_reply *reply)
{
	int err = st87_modem_run(modem, command, ST87_DEADLINE_SHORT, reply);
	if (err && st87_reply_unknown_command(err, reply))
		return st87_fail(-ENOSYS, "the firmware has no %s", command->text);
	return err;
}

static int malformed(const char *command)
{
	return st87_fail(-EPROTO, "malformed %s answer", command);
}

static void copy_text(char *out, size_t size, const struct st87_fields *fields, size_t index)
{
	snprintf(out, size, "%s", index < fields->count ? fields->value[index] : "");
}

/* The first of @reply's lines that splits into at least @min_fields numbers at the start. */
static bool find_answer(const struct st87_at_reply *reply, size_t min_fields, struct st87_fields *fields)
{
	for (size_t i = 0; i < reply->n_lines; i++) {
		int value;
		if (st87_fields_split(reply->lines[i], true, fields) < (int)min_fields)
			continue;
		bool numbers = true;
		for (size_t f = 0; f < min_fields && numbers; f++)
			numbers = st87_fields_int(fields, f, &value) == 0;
		if (numbers)
			return true;
	}
	return false;
}

/*
 * Runs the query @text, whose answer lines start with @prefix, and splits its
 * answer (the first line of at least @min_fields numbers) into @fields: 0,
 * run_query()'s error, or -EPROTO when no line has that shape.
 */
static int query_numbers(struct st87_modem *modem, const char *text, const char *prefix,
			 size_t min_fields, struct st87_fields *fields)
{
	struct st87_at_command command = {.text = text, .info_prefix = prefix};
	struct st87_at_reply reply;
	int err = run_query(modem, &command, &reply);
	if (err)
		return err;
	return find_answer(&reply, min_fields, fields) ? 0 : malformed(text);
}

int st87_cesq_read(struct st87_modem *modem, struct st87_cesq *out)
{
	struct st87_fields fields;
	int err = query_numbers(modem, "AT+CESQ", "+CESQ:", 6, &fields);
	if (err)
		return err;
	st87_fields_int(&fields, 4, &out->rsrq);
	st87_fields_int(&fields, 5, &out->rsrp);
	out->rsrq_db = 0;
	out->rsrp_dbm = 0;
	out->rsrq_known = st87_rsrq_db(out->rsrq, &out->rsrq_db);
	out->rsrp_known = st87_rsrp_dbm(out->rsrp, &out->rsrp_dbm);
	return 0;
}

int st87_csq_read(struct st87_modem *modem, struct st87_csq *out)
{
	struct st87_fields fields;
	int err = query_numbers(modem, "AT+CSQ", "+CSQ:", 2, &fields);
	if (err)
		return err;
	st87_fields_int(&fields, 0, &out->rssi);
	st87_fields_int(&fields, 1, &out->ber);
	out->rssi_dbm = 0;
	out->rssi_known = st87_rssi_dbm(out->rssi, &out->rssi_dbm);
	return 0;
}

/* The read form's line among @reply's: a +CEREG: URC may come with it. */
static const char *cereg_answer(const struct st87_at_reply *reply)
{
	for (size_t i = 0; i < reply->n_lines; i++)
		if (st87_cereg_is_read_form(reply->lines[i]))
			return reply->lines[i];
	return NULL;
}

static int parse_cereg(const char *line, struct st87_cereg *out)
{
	struct st87_fields fields;
	if (!line || st87_fields_split(line, true, &fields) < 2 ||
	    st87_fields_int(&fields, 0, &out->n) || st87_fields_int(&fields, 1, &out->stat))
		return malformed("AT+CEREG?");
	copy_text(out->tac, sizeof(out->tac), &fields, 2);
	copy_text(out->ci, sizeof(out->ci), &fields, 3);
	if (st87_fields_int(&fields, 4, &out->act))
		out->act = -1;
	/* After <AcT>: <cause_type>,<reject_cause> (empty or not), then the two timers. */
	copy_text(out->active_time, sizeof(out->active_time), &fields, 7);
	copy_text(out->periodic_tau, sizeof(out->periodic_tau), &fields, 8);
	out->active_time_s = st87_timer2_seconds(out->active_time);
	out->periodic_tau_s = st87_timer3_seconds(out->periodic_tau);
	return 0;
}

static int read_cereg(struct st87_modem *modem, struct st87_cereg *out)
{
	struct st87_at_command command = {.text = "AT+CEREG?", .info_prefix = "+CEREG:"};
	struct st87_at_reply reply;
	int err = run_query(modem, &command, &reply);
	return err ? err : parse_cereg(cereg_answer(&reply), out);
}

int st87_cereg_read(struct st87_modem *modem, bool with_cell, struct st87_cereg *out)
{
	int err = read_cereg(modem, out);
	/* 2 and above show the cell; 4 and 5 the timers too. */
	if (err || !with_cell || out->n == 5)
		return err;
	int mode_found = out->n;
	err = st87_modem_simple(modem, ST87_DEADLINE_SHORT, "AT+CEREG=5");
	if (err == -ENETRESET || st87_modem_unresponsive(modem))
		return err;
	if (err && mode_found < 2)
		err = st87_modem_simple(modem, ST87_DEADLINE_SHORT, "AT+CEREG=2");
	if (err)
		return err == -ENETRESET || st87_modem_unresponsive(modem) ? err : 0;
	struct st87_cereg with_cell_fields;
	int read_err = read_cereg(modem, &with_cell_fields);
	err = st87_modem_simple(modem, ST87_DEADLINE_SHORT, "AT+CEREG=%d", mode_found);
	if (err) {
		st87_warn("AT+CEREG=%d (putting the presentation back) failed: %s", mode_found,
			  st87_last_error());
		return err;
	}
	if (read_err)
		return read_err;
	*out = with_cell_fields;
	out->n = mode_found;
	return 0;
}

int st87_cscon_read(struct st87_modem *modem, struct st87_cscon *out)
{
	/* "+CSCON: <n>,<mode>[,<state>]"; a URC has <mode> alone. */
	struct st87_fields fields;
	int mode;
	int err = query_numbers(modem, "AT+CSCON?", "+CSCON:", 2, &fields);
	if (err)
		return err;
	st87_fields_int(&fields, 0, &out->n);
	st87_fields_int(&fields, 1, &mode);
	out->connected = mode == 1;
	if (st87_fields_int(&fields, 2, &out->state))
		out->state = -1;
	return 0;
}

/* The serial number: a line of digits alone, or "+CGSN: <sn>" (27.007's <snt> form). */
static bool is_serial_line(const char *line)
{
	return strncasecmp(line, "+CGSN:", 6) == 0 ||
		(line[0] && strspn(line, "0123456789") == strlen(line));
}

int st87_cgsn_read(struct st87_modem *modem, char imei[ST87_RADIO_FIELD_LEN])
{
	struct st87_at_command command = {.text = "AT+CGSN", .is_info = is_serial_line};
	struct st87_at_reply reply;
	int err = run_query(modem, &command, &reply);
	if (err)
		return err;
	struct st87_fields fields;
	if (reply.n_lines < 1 ||
	    st87_fields_split(reply.lines[0], reply.lines[0][0] == '+', &fields) != 1 ||
	    !fields.value[0][0])
		return malformed(command.text);
	snprintf(imei, ST87_RADIO_FIELD_LEN, "%s", fields.value[0]);
	return 0;
}

/* The revision is free text: a line that starts with a letter or digit and is no known URC. */
static bool is_revision_line(const char *line)
{
	return strncasecmp(line, "+CGMR:", 6) == 0 ||
		(isalnum((unsigned char)line[0]) && strncasecmp(line, "IP Network is Up", 16) != 0);
}

int st87_cgmr_read(struct st87_modem *modem, char revision[ST87_REVISION_LEN])
{
	struct st87_at_command command = {.text = "AT+CGMR", .is_info = is_revision_line};
	struct st87_at_reply reply;
	int err = run_query(modem, &command, &reply);
	if (err)
		return err;
	if (reply.n_lines < 1)
		return malformed(command.text);
	const char *text = reply.lines[0];
	if (strncasecmp(text, "+CGMR:", 6) == 0)
		for (text += 6; *text == ' '; text++)
			;
	st87_printable(text, strlen(text), revision, ST87_REVISION_LEN);
	return 0;
}

int st87_cpsms_read(struct st87_modem *modem, struct st87_cpsms *out)
{
	struct st87_fields fields;
	int err = query_numbers(modem, "AT+CPSMS?", "+CPSMS:", 1, &fields);
	if (err)
		return err;
	st87_fields_int(&fields, 0, &out->mode);
	copy_text(out->periodic_tau, sizeof(out->periodic_tau), &fields, 3);
	copy_text(out->active_time, sizeof(out->active_time), &fields, 4);
	out->periodic_tau_s = st87_timer3_seconds(out->periodic_tau);
	out->active_time_s = st87_timer2_seconds(out->active_time);
	return 0;
}

/* E-UTRAN NB-S1 mode: the <AcT-type> of an NB-IoT modem. */
#define EDRX_NB_S1 5

int st87_cedrxs_read(struct st87_modem *modem, struct st87_cedrxs *out)
{
	struct st87_at_command command = {.text = "AT+CEDRXS?", .info_prefix = "+CEDRXS:"};
	struct st87_at_reply reply;
	int err = run_query(modem, &command, &reply);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->act_type = -1;
	for (size_t i = 0; i < reply.n_lines; i++) {
		struct st87_fields fields;
		int act_type;
		if (st87_fields_split(reply.lines[i], true, &fields) < 1 ||
		    st87_fields_int(&fields, 0, &act_type))
			return malformed(command.text);
		if (out->requested && act_type != EDRX_NB_S1)
			continue;
		out->requested = true;
		out->act_type = act_type;
		copy_text(out->value, sizeof(out->value), &fields, 1);
	}
	return 0;
}
