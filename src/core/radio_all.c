/* Every radio query at once (st87ctl status, in st87ctl and in st87d alike). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const query_names[ST87_RADIO_QUERIES] = {
	[ST87_RADIO_CGSN] = "AT+CGSN",   [ST87_RADIO_CGMR] = "AT+CGMR",
	[ST87_RADIO_CESQ] = "AT+CESQ",   [ST87_RADIO_CSQ] = "AT+CSQ",
	[ST87_RADIO_CEREG] = "AT+CEREG", [ST87_RADIO_CSCON] = "AT+CSCON",
	[ST87_RADIO_CPSMS] = "AT+CPSMS", [ST87_RADIO_CEDRXS] = "AT+CEDRXS",
};

const char *st87_radio_query_name(enum st87_radio_query query)
{
	return (unsigned)query < ST87_RADIO_QUERIES ? query_names[query] : NULL;
}

static int run(struct st87_modem *modem, enum st87_radio_query query, struct st87_radio *out)
{
	switch (query) {
	case ST87_RADIO_CGSN:
		return st87_cgsn_read(modem, out->imei);
	case ST87_RADIO_CGMR:
		return st87_cgmr_read(modem, out->revision);
	case ST87_RADIO_CESQ:
		return st87_cesq_read(modem, &out->cesq);
	case ST87_RADIO_CSQ:
		return st87_csq_read(modem, &out->csq);
	case ST87_RADIO_CEREG:
		return st87_cereg_read(modem, true, &out->cereg);
	case ST87_RADIO_CSCON:
		return st87_cscon_read(modem, &out->cscon);
	case ST87_RADIO_CPSMS:
		return st87_cpsms_read(modem, &out->cpsms);
	case ST87_RADIO_CEDRXS:
		return st87_cedrxs_read(modem, &out->cedrxs);
	case ST87_RADIO_QUERIES:
		break;
	}
	return -EINVAL;
}

void st87_radio_read(struct st87_modem *modem, struct st87_radio *out)
{
	memset(out, 0, sizeof(*out));
	for (int query = 0; query < ST87_RADIO_QUERIES; query++) {
		st87_clear_error();
		out->err[query] = run(modem, (enum st87_radio_query)query, out);
		if (out->err[query])
			snprintf(out->why[query], sizeof(out->why[query]), "%s",
				 st87_last_error()[0] ? st87_last_error()
						      : st87_strerror(out->err[query]));
	}
}
