/* st87d: the answer to ST87D_METRICS (st87ctl watch through st87d). */
#ifndef ST87_DAEMON_METRICS_REPORT_H
#define ST87_DAEMON_METRICS_REPORT_H

/* Answers on @connection with the metrics (metrics_text.h), one ST87D_TEXT line each, then ST87D_ANSWER. */
void metrics_report(int connection);

#endif
