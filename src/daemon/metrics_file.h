/*
 * st87d --metrics-file: the engine's counters and the radio's gauges in the
 * Prometheus text format, written whole every interval (node_exporter's
 * textfile collector reads the file).
 */
#ifndef ST87_DAEMON_METRICS_FILE_H
#define ST87_DAEMON_METRICS_FILE_H

struct metrics_file_settings {
	const char *path;
	int interval_s; /* how often the file is written */
};

/* Starts the writer thread (the file is written at once, then every interval). 0 or -errno. */
int metrics_file_start(const struct metrics_file_settings *settings);

#endif
