#include "radio_report.h"

#include "engine.h"
#include "radio_lines.h"
#include "wire.h"

static int run_radio(struct st87_modem *modem, void *arg)
{
	st87_radio_read(modem, arg);
	return 0;
}

static void send_line(void *user, const char *line)
{
	st87d_send_reply(*(const int *)user, ST87D_TEXT, 0, line);
}

void radio_report(int connection)
{
	/* Requests run at once on their own threads: each reads into its own. */
	struct st87_radio radio;
	struct engine_job job = {.run = run_radio, .arg = &radio};
	int err = engine_run_job(&job);
	if (!err)
		st87d_radio_lines(&radio, send_line, &connection);
	st87d_send_reply(connection, ST87D_ANSWER, -err, err ? job.error : "");
}
