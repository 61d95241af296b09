/*
 * st87d --metrics ADDR:PORT: the metrics (metrics_text.h) over HTTP at
 * /metrics, for Prometheus to scrape, on a loopback address only: they name
 * no program, but they tell the modem's state to whoever can connect.
 */
#ifndef ST87_DAEMON_METRICS_HTTP_H
#define ST87_DAEMON_METRICS_HTTP_H

#include <stddef.h>

/*
 * Listens on @address ("127.0.0.1:9187", "[::1]:9187"): the listening fd,
 * or -EINVAL (not a loopback ADDR:PORT) or another -errno, with one line in
 * @why. Before st87d goes to the background, so a port taken fails its start.
 */
int metrics_http_listen(const char *address, char *why, size_t why_len);
/* Serves scrapes on @listener from a thread of its own (started after the fork). 0 or -errno. */
int metrics_http_serve(int listener);

#endif
