#ifndef ST87_CORE_CME_TABLE_H
#define ST87_CORE_CME_TABLE_H
#include <stddef.h>

struct st87_cme_entry {
	int code;
	const char *text;
};

/* Sorted by code, so lookups can bisect. */
extern const struct st87_cme_entry st87_cme_table[];
extern const size_t st87_cme_table_len;

#endif
