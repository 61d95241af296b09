#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "internal.h"
#include "metrics_text.h"

/* A scraper's request line and headers; more is not read. */
#define REQUEST_MAX 2048
/*
 * A client holds the (one) serving thread this long at most: its whole
 * request must come within REQUEST_DEADLINE_MS (a wait per read would let
 * one byte every few seconds hold it for an hour), and each write of the
 * answer may wait CLIENT_TIMEOUT_S.
 */
#define REQUEST_DEADLINE_MS 2000
#define CLIENT_TIMEOUT_S 2

/* "127.0.0.1:9187" or "[::1]:9187" into @out: true for a loopback address and a port 1..65535. */
static bool parse_loopback(const char *text, struct sockaddr_storage *out, socklen_t *out_len)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host))
		return false;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 1 || port > 65535)
		return false;
	memset(out, 0, sizeof(*out));
	size_t host_len = strlen(host);
	if (host[0] == '[' && host_len > 2 && host[host_len - 1] == ']') {
		host[host_len - 1] = '\0';
		struct sockaddr_in6 *six = (struct sockaddr_in6 *)out;
		six->sin6_family = AF_INET6;
		six->sin6_port = htons((uint16_t)port);
		*out_len = sizeof(*six);
		return inet_pton(AF_INET6, host + 1, &six->sin6_addr) == 1 &&
			IN6_IS_ADDR_LOOPBACK(&six->sin6_addr);
	}
	struct sockaddr_in *four = (struct sockaddr_in *)out;
	four->sin_family = AF_INET;
	four->sin_port = htons((uint16_t)port);
	*out_len = sizeof(*four);
	return inet_pton(AF_INET, host, &four->sin_addr) == 1 &&
		(ntohl(four->sin_addr.s_addr) >> 24) == 127;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

/* HEAD gets the headers a GET would, its Content-Length too (RFC 9110 9.3.2), and no body. */
static void respond(int fd, bool head_only, const char *status, const char *type, const char *body,
		    size_t body_len)
{
	char head[256];
	int len = snprintf(head, sizeof(head),
			   "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			   "Connection: close\r\n\r\n",
			   status, type, body_len);
	send_all(fd, head, (size_t)len);
	if (!head_only)
		send_all(fd, body, body_len);
}

/*
 * Reads up to the end of the request's headers (or what fits, or what came
 * before the client closed its side). False when the deadline passed first:
 * the connection is dropped unanswered.
 */
static bool read_request(int fd, char *request, size_t size)
{
	size_t len = 0;
	long long deadline = st87_now_ms() + REQUEST_DEADLINE_MS;
	while (len + 1 < size) {
		long long left = st87_ms_until(deadline);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0)
			return false;
		ssize_t n = ready < 0 ? -1 : recv(fd, request + len, size - 1 - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		request[len] = '\0';
		if (strstr(request, "\r\n\r\n") || strstr(request, "\n\n"))
			break;
	}
	request[len] = '\0';
	return true;
}

static void serve_one(int fd)
{
	struct timeval bound = {.tv_sec = CLIENT_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof(bound));
	char request[REQUEST_MAX];
	if (!read_request(fd, request, sizeof(request)))
		return;
	bool get = strncmp(request, "GET ", 4) == 0, head = strncmp(request, "HEAD ", 5) == 0;
	const char *path = request + (get ? 4 : 5);
	if (!get && !head) {
		respond(fd, false, "405 Method Not Allowed", "text/plain", "GET /metrics only\n", 18);
		return;
	}
	if (strncmp(path, "/metrics", 8) != 0 || (path[8] != ' ' && path[8] != '?')) {
		respond(fd, head, "404 Not Found", "text/plain", "see /metrics\n", 13);
		return;
	}
	char *body = NULL;
	size_t body_len = 0;
	FILE *text = open_memstream(&body, &body_len);
	if (!text) {
		respond(fd, head, "500 Internal Server Error", "text/plain", "out of memory\n", 14);
		return;
	}
	metrics_text(text);
	fclose(text);
	respond(fd, head, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, body_len);
	free(body);
}

static void *serve_scrapes(void *argument)
{
	int listener = (int)(intptr_t)argument;
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			st87_log(ST87_LOG_ERROR, "--metrics: accept: %s", strerror(errno));
			sleep(1); /* out of fds, say: the next scrape may find some */
			continue;
		}
		serve_one(fd);
		close(fd);
	}
	return NULL;
}

int metrics_http_listen(const char *address, char *why, size_t why_len)
{
	struct sockaddr_storage where;
	socklen_t where_len;
	if (!parse_loopback(address, &where, &where_len)) {
		snprintf(why, why_len,
			 "--metrics %s: expected a loopback ADDR:PORT (127.0.0.1:9187, [::1]:9187): "
			 "the metrics are not served beyond this host",
			 address);
		return -EINVAL;
	}
	int listener = socket(where.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1;
	if (listener >= 0)
		setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (listener < 0 || bind(listener, (struct sockaddr *)&where, where_len) < 0 ||
	    listen(listener, 16) < 0) {
		int err = errno;
		snprintf(why, why_len, "--metrics %s: %s", address, strerror(err));
		if (listener >= 0)
			close(listener);
		return -err;
	}
	return listener;
}

int metrics_http_serve(int listener)
{
	pthread_t thread;
	int err = pthread_create(&thread, NULL, serve_scrapes, (void *)(intptr_t)listener);
	if (err)
		return -err;
	pthread_detach(thread);
	return 0;
}
