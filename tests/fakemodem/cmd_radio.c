/* The 3GPP TS 27.007 radio commands: AT+CESQ, AT+CSQ, AT+CEREG, AT+CSCON,
 * AT+CGSN, AT+CGMR, AT+CPSMS, AT+CEDRXS. Values come from the radio
 * switches (radio.h) and the modem's state: registered while the link is
 * up, the RRC state from the air model (air.c). A command --radio-unknown
 * names answers 504, as on firmware without it. */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "timeutil.h"

#ifndef FAKEMODEM_VERSION
#define FAKEMODEM_VERSION "unknown"
#endif

/* A made-up cell: tracking area and E-UTRAN cell id in hex, NB-S1 (<AcT> 9). */
#define CELL_TAC "1A2B"
#define CELL_ID "01A2B3C4"
#define ACT_NB_S1 9
/* The network's answer to a PSM request: T3324 4 min, T3412 70 h (24.008 GPRS timers 2 and 3). */
#define ASSIGNED_ACTIVE_TIME "00100100"
#define ASSIGNED_PERIODIC_TAU "01000111"
/* <AcT-type> of AT+CEDRXS for E-UTRAN (NB-S1 mode). */
#define EDRX_ACT_NB_S1 5
#define IMEI "004999010640000"

static bool known(const struct modem *m, unsigned command)
{
	return !(m->opt->radio.unknown & command);
}

/* Registered, home network while the link is up; searching otherwise. */
static int registration_stat(const struct modem *m)
{
	return m->link_up ? 1 : 2;
}

int cmd_cesq(struct modem *m, const struct at_command *c)
{
	if (!known(m, RADIO_CESQ))
		return CMD_UNSUPPORTED;
	if (c->form == AT_TEST) {
		reply_info(m, "+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)");
		return 0;
	}
	if (c->form != AT_EXEC)
		return CMD_UNSUPPORTED;
	/* An NB-IoT modem measures no GSM or UMTS cell: <rxlev> 99, <ber> 99, <rscp> and <ecno> 255. */
	reply_info(m, "+CESQ: 99,99,255,255,%d,%d", m->opt->radio.rsrq, m->opt->radio.rsrp);
	return 0;
}

int cmd_csq(struct modem *m, const struct at_command *c)
{
	if (!known(m, RADIO_CSQ))
		return CMD_UNSUPPORTED;
	if (c->form == AT_TEST) {
		reply_info(m, "+CSQ: (0-31,99),(0-7,99)");
		return 0;
	}
	if (c->form != AT_EXEC)
		return CMD_UNSUPPORTED;
	reply_info(m, "+CSQ: %d,99", m->opt->radio.rssi);
	return 0;
}

/* The fields after <stat> that mode n shows (27.007 AT+CEREG read form). */
static void cell_fields(const struct modem *m, int n, char *out, size_t size)
{
	out[0] = '\0';
	if (n < 2 || registration_stat(m) != 1)
		return;
	int len = snprintf(out, size, ",\"%s\",\"%s\",%d", CELL_TAC, CELL_ID, ACT_NB_S1);
	/* n 4 and 5: the timers the network assigned, when PSM was asked for (no reject cause). */
	if (n >= 4 && m->radio.psm_mode == 1 && len > 0 && (size_t)len < size)
		snprintf(out + len, size - (size_t)len, ",,,\"%s\",\"%s\"", ASSIGNED_ACTIVE_TIME,
			 ASSIGNED_PERIODIC_TAU);
}

int cmd_cereg(struct modem *m, const struct at_command *c)
{
	char cell[96];
	long n;
	int rc;

	if (!known(m, RADIO_CEREG))
		return CMD_UNSUPPORTED;
	switch (c->form) {
	case AT_SET:
		if ((rc = check_params(c, 0, 1)))
			return rc;
		n = 0;
		if (c->nparams == 1 && at_param_present(c, 0) && !at_param_int(c, 0, 0, 5, &n))
			return 50;
		m->radio.cereg_n = (int)n;
		return 0;
	case AT_READ:
		cell_fields(m, m->radio.cereg_n, cell, sizeof(cell));
		reply_info(m, "+CEREG: %d,%d%s", m->radio.cereg_n, registration_stat(m), cell);
		return 0;
	case AT_TEST:
		reply_info(m, "+CEREG: (0-5)");
		return 0;
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

int cmd_cscon(struct modem *m, const struct at_command *c)
{
	long n;
	int rc;

	if (!known(m, RADIO_CSCON))
		return CMD_UNSUPPORTED;
	switch (c->form) {
	case AT_SET:
		if ((rc = check_params(c, 1, 1)))
			return rc;
		if (!at_param_int(c, 0, 0, 1, &n))
			return 50;
		m->radio.cscon_n = (int)n;
		return 0;
	case AT_READ:
		reply_info(m, "+CSCON: %d,%d", m->radio.cscon_n,
			   air_radio_connected(m, now_us()) ? 1 : 0);
		return 0;
	case AT_TEST:
		reply_info(m, "+CSCON: (0,1)");
		return 0;
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

int cmd_cgsn(struct modem *m, const struct at_command *c)
{
	long snt = 0;
	int rc;

	if (!known(m, RADIO_CGSN))
		return CMD_UNSUPPORTED;
	switch (c->form) {
	case AT_EXEC:
		reply_info(m, IMEI); /* the serial number alone, no prefix */
		return 0;
	case AT_SET:
		/* <snt> 1: the IMEI, prefixed; 0 the same as the execute form. */
		if ((rc = check_params(c, 1, 1)))
			return rc;
		if (!at_param_int(c, 0, 0, 1, &snt))
			return 50;
		if (snt == 1)
			reply_info(m, "+CGSN: \"" IMEI "\"");
		else
			reply_info(m, IMEI);
		return 0;
	case AT_TEST:
		reply_info(m, "+CGSN: (0,1)");
		return 0;
	case AT_READ:
		break;
	}
	return CMD_UNSUPPORTED;
}

int cmd_cgmr(struct modem *m, const struct at_command *c)
{
	if (!known(m, RADIO_CGMR))
		return CMD_UNSUPPORTED;
	if (c->form == AT_TEST)
		return 0;
	if (c->form != AT_EXEC)
		return CMD_UNSUPPORTED;
	/* The revision text alone, no prefix; the profile tells the firmware apart. */
	reply_info(m, "ST87MXX fake %s firmware %s", m->opt->profile, FAKEMODEM_VERSION);
	return 0;
}

/* An 8-bit timer string: eight 0s and 1s (empty when not given: *out left alone). */
static bool take_bits(const struct at_command *c, int i, size_t count, char *out)
{
	char bits[RADIO_TIMER_SIZE];

	if (!at_param_present(c, i))
		return true;
	if (!at_param_copy(c, i, bits, sizeof(bits)) || strlen(bits) != count ||
	    strspn(bits, "01") != count)
		return false;
	strcpy(out, bits);
	return true;
}

int cmd_cpsms(struct modem *m, const struct at_command *c)
{
	struct radio_settings *r = &m->radio;
	long mode = 0;
	int rc;

	if (!known(m, RADIO_CPSMS))
		return CMD_UNSUPPORTED;
	switch (c->form) {
	case AT_SET:
		/* <mode>[,<RAU>[,<GPRS-READY>[,<TAU>[,<Active-Time>]]]]; mode 2 forgets the values. */
		if ((rc = check_params(c, 0, 5)))
			return rc;
		if (c->nparams >= 1 && at_param_present(c, 0) && !at_param_int(c, 0, 0, 2, &mode))
			return 50;
		if (!take_bits(c, 3, 8, r->psm_tau) || !take_bits(c, 4, 8, r->psm_active))
			return 50;
		r->psm_mode = mode == 1 ? 1 : 0;
		if (mode == 2)
			r->psm_tau[0] = r->psm_active[0] = '\0';
		return 0;
	case AT_READ:
		reply_info(m, "+CPSMS: %d,,,\"%s\",\"%s\"", r->psm_mode, r->psm_tau, r->psm_active);
		return 0;
	case AT_TEST:
		reply_info(m, "+CPSMS: (0-2),,,(\"00000000\"-\"11111111\"),(\"00000000\"-\"11111111\")");
		return 0;
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

int cmd_cedrxs(struct modem *m, const struct at_command *c)
{
	struct radio_settings *r = &m->radio;
	long mode = 0, act = EDRX_ACT_NB_S1;
	int rc;

	if (!known(m, RADIO_CEDRXS))
		return CMD_UNSUPPORTED;
	switch (c->form) {
	case AT_SET:
		/* <mode>[,<AcT-type>[,<Requested_eDRX_value>]]: only NB-S1 (5) here; mode 3 forgets. */
		if ((rc = check_params(c, 0, 3)))
			return rc;
		if ((c->nparams >= 1 && at_param_present(c, 0) && !at_param_int(c, 0, 0, 3, &mode)) ||
		    (c->nparams >= 2 && at_param_present(c, 1) &&
		     !at_param_int(c, 1, EDRX_ACT_NB_S1, EDRX_ACT_NB_S1, &act)) ||
		    !take_bits(c, 2, 4, r->edrx_value))
			return 50;
		r->edrx_mode = mode == 1 || mode == 2 ? 1 : 0;
		if (mode == 3)
			r->edrx_value[0] = '\0';
		return 0;
	case AT_READ:
		/* One line per access technology with eDRX asked for; none when off. */
		if (r->edrx_mode)
			reply_info(m, "+CEDRXS: %d,\"%s\"", EDRX_ACT_NB_S1, r->edrx_value);
		return 0;
	case AT_TEST:
		reply_info(m, "+CEDRXS: (0-3),(5),(\"0000\"-\"1111\")");
		return 0;
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}
