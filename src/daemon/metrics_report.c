#include "metrics_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_text.h"
#include "wire.h"

void metrics_report(int connection)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out) {
		st87d_send_reply(connection, ST87D_ANSWER, ENOMEM, "st87d is out of memory");
		return;
	}
	metrics_text(out);
	fclose(out);
	char *rest = NULL;
	for (char *line = strtok_r(text, "\n", &rest); line; line = strtok_r(NULL, "\n", &rest))
		if (line[0] != '#') /* the HELP and TYPE lines: st87d(8) has them */
			st87d_send_reply(connection, ST87D_TEXT, 0, line);
	free(text);
	st87d_send_reply(connection, ST87D_ANSWER, 0, "");
}
