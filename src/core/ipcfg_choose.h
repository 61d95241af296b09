/* Which context AT#IPCFG? lists is ours (ipcfg_choose.c). */
#ifndef ST87_IPCFG_CHOOSE_H
#define ST87_IPCFG_CHOOSE_H

#include <stdbool.h>

#include "st87/st87.h"

/*
 * From AT#IPCFG?'s lines, the context that suits us best: @p our_cid
 * (configured when @p cid_fixed, else learned, where an active context
 * beats it). 0, -EPROTO for a malformed line, -ENOENT when none suits.
 */
int st87_ipcfg_choose(const struct st87_at_reply *reply, int our_cid, bool cid_fixed,
		      struct st87_ipcfg *out);

#endif
