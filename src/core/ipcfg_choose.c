/*
 * AT#IPCFG?'s lines read: which listed context is ours (ipcfg_choose.h).
 * Kept apart from the command so that the session (modem.c), which checks
 * its link between commands, reads the answer without calling back up.
 */
#include "ipcfg_choose.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "internal.h"

static void copy_field(char *out, const struct st87_fields *fields, size_t index)
{
	out[0] = '\0';
	if (index < fields->count)
		snprintf(out, ST87_ADDR_LEN, "%s", fields->value[index]);
}

static int parse_ipcfg(const char *line, struct st87_ipcfg *out)
{
	struct st87_fields fields;
	if (st87_fields_split(line, true, &fields) < 2 || st87_fields_int(&fields, 0, &out->cid) ||
	    st87_fields_int(&fields, 1, &out->status))
		return st87_fail(-EPROTO, "malformed \"%s\"", line);
	copy_field(out->ipv4, &fields, 2);
	copy_field(out->ipv6, &fields, 3);
	/* The address fields come in any order; an IPv6 one holds a colon. */
	if (strchr(out->ipv4, ':')) {
		char swap[ST87_ADDR_LEN];
		memcpy(swap, out->ipv4, sizeof(swap));
		memcpy(out->ipv4, out->ipv6, sizeof(swap));
		memcpy(out->ipv6, swap, sizeof(swap));
	}
	return 0;
}

/*
 * How well a listed context suits us: ours (configured, or learned) beats
 * the rest, and when the context id is learned an active one beats all.
 */
static int context_rank(int our_cid, bool cid_fixed, const struct st87_ipcfg *context)
{
	int rank = context->cid == our_cid ? 2 : 0;
	if (!cid_fixed && context->status == 1)
		rank += 4;
	return cid_fixed && context->cid != our_cid ? -1 : rank;
}

int st87_ipcfg_choose(const struct st87_at_reply *reply, int our_cid, bool cid_fixed,
		      struct st87_ipcfg *out)
{
	int best_rank = -1;
	for (size_t i = 0; i < reply->n_lines; i++) {
		struct st87_ipcfg context;
		int err = parse_ipcfg(reply->lines[i], &context);
		if (err)
			return err;
		int rank = context_rank(our_cid, cid_fixed, &context);
		if (rank > best_rank) {
			best_rank = rank;
			*out = context;
		}
	}
	return best_rank < 0 ? st87_fail(-ENOENT, "AT#IPCFG? does not list context %d", our_cid) : 0;
}
