/*
 * st87ctl status's radio section: the 27.007 queries read from the modem
 * (st87_radio_read) or from st87d (ST87D_RADIO), printed as rows or JSON. A
 * query the firmware does not know leaves its fields out, never an error.
 */
#ifndef ST87CTL_RADIO_H
#define ST87CTL_RADIO_H

#include <stdio.h>

#include "st87ctl.h"

/* One row of status's table: section (or ""), key, value. */
typedef void (*st87ctl_row_fn)(const char *section, const char *key, const char *value);

/* The radio section's rows. */
void st87ctl_radio_print_text(const struct st87_radio *radio, st87ctl_row_fn row);
/* The radio object (its keys in st87ctl(1)), without a newline after it. */
void st87ctl_radio_print_json(FILE *out, const struct st87_radio *radio);
/* ST87CTL_EXIT_OK, or the code of the worst query that failed for another reason than being unknown. */
int st87ctl_radio_exit_code(const struct st87_radio *radio);

/*
 * st87d's answer to ST87D_RADIO into @radio: 0, or -errno with @why (an
 * older st87d, which does not know the request, answers EINVAL).
 */
int st87ctl_radio_from_daemon(const char *socket_path, struct st87_radio *radio, char *why,
			      size_t why_len);

#endif
