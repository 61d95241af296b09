/*
 * st87d's metrics in the Prometheus text format (st87d(8) names them), for
 * --metrics-file (metrics_file.c) and --metrics (metrics_http.c) alike.
 */
#ifndef ST87_DAEMON_METRICS_TEXT_H
#define ST87_DAEMON_METRICS_TEXT_H

#include <stdio.h>

/* The radio is asked at most every @radio_interval_s seconds. Before any metrics_text(). */
void metrics_text_configure(int radio_interval_s);

/*
 * Writes the metrics to @out: the engine's counters as of its last turn, and
 * the radio's gauges, asked again when older than the radio interval and the
 * modem is open and awake (else the last values, with their age). Waits for
 * the radio about 1 s at most: a modem busy with a long command leaves the
 * last values, and a later call takes the answer. Safe on several threads at
 * once.
 */
void metrics_text(FILE *out);

#endif
