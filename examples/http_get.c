/*
 * http_get: fetch one URL over the modem's own TCP/IP stack with libst87,
 * the driver core, directly (no LD_PRELOAD shim). A first read of the API:
 *
 *   1. st87_modem_open()     open the serial port, check that a modem answers
 *   2. st87_modem_start()    bring the modem's IP link up
 *   3. st87_socket_create()  get a TCP socket on the modem (it has just one)
 *   4. st87_tcp_connect()    connect it to the server
 *   5. st87_send_tcp()       send the request
 *   6. st87_read()           read the response; between reads, st87_modem_poll()
 *                            waits for the modem to say more data came (#IPRECV)
 *   7. st87_socket_close()   give the socket back (it outlives this process otherwise)
 *
 * Every libst87 call returns 0 (or a count, or an id) on success and a
 * negative errno on failure; st87_last_error() says what went wrong in words.
 *
 * Usage: st87-http-get [--port P] [--baud B] [-o FILE] IP PORT PATH
 * The body goes to stdout, or to FILE. Exit status: 0 success, 1 failure
 * (including an HTTP status other than 2xx), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st87/st87.h"

/* AT#TCPCONNECT? statuses (docs/PROTOCOL.md §9). */
#define TCP_NOT_CONNECTED 3
#define TCP_CONNECTED 5
/* Give up when the server sends nothing for this long. */
#define IDLE_LIMIT_MS 60000

/* What the event callback learns; the main loop acts on it. */
struct download {
	int socket_id;
	bool data_waiting; /* #IPRECV: the modem holds bytes for us (or the peer closed) */
	bool peer_closed;  /* #SOCKETCLOSED, from firmware that sends it */
	bool link_down;    /* the modem rebooted or lost its link: the socket is gone */

	FILE *out;
	char header[8192]; /* the status line and headers, until the blank line */
	size_t header_len;
	bool in_body;
	int http_status;
	long long body_bytes;
	const char *problem; /* our own words for a failure that is not libst87's */
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * libst87 calls this from inside its own calls (st87_modem_poll() and any
 * command) when the modem reports something. Only note it here: the modem
 * is busy with a command, so no new command may be sent from a callback.
 */
static void on_event(void *user, enum st87_event_kind kind, int socket_id)
{
	struct download *download = user;
	if (kind == ST87_EVENT_LINK_DOWN)
		download->link_down = true;
	if (socket_id != download->socket_id)
		return;
	if (kind == ST87_EVENT_DATA)
		download->data_waiting = true;
	if (kind == ST87_EVENT_PEER_CLOSED)
		download->peer_closed = true;
}

/* Splits the response: headers are kept until the blank line, the rest is body. */
static int take_response_bytes(struct download *download, const char *data, size_t len)
{
	/* Header bytes one at a time: they are few, and the blank line may span two reads. */
	while (!download->in_body && len > 0) {
		if (download->header_len + 1 >= sizeof(download->header)) {
			download->problem = "the response headers are too long";
			return -EMSGSIZE;
		}
		download->header[download->header_len++] = *data++;
		download->header[download->header_len] = '\0';
		len--;
		if (download->header_len >= 4 &&
		    memcmp(download->header + download->header_len - 4, "\r\n\r\n", 4) == 0) {
			download->in_body = true;
			if (sscanf(download->header, "HTTP/%*d.%*d %d", &download->http_status) != 1) {
				download->problem = "the response is not HTTP";
				return -EPROTO;
			}
		}
	}
	if (len > 0 && fwrite(data, 1, len, download->out) != len) {
		download->problem = "cannot write the body";
		return -EIO;
	}
	download->body_bytes += (long long)len;
	return 0;
}

/* Waits until the modem reports something for our socket, or @p timeout_ms passes. */
static int wait_for_modem(struct st87_modem *modem, struct download *download, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	while (!download->data_waiting && !download->peer_closed && !download->link_down) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		/* Reads what the modem sends and hands URCs to libst87, which calls on_event(). */
		int err = st87_modem_poll(modem, (int)left);
		if (err < 0)
			return err;
	}
	return 0;
}

/* Reads the response until the server closes the connection. */
static int receive_response(struct st87_modem *modem, struct download *download)
{
	static char buf[ST87_MAX_READ]; /* a whole #IPREAD block fits: nothing is held back */
	long long last_progress = now_ms();
	for (;;) {
		download->data_waiting = false;
		ssize_t n = st87_read(modem, download->socket_id, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		if (n > 0) {
			int err = take_response_bytes(download, buf, (size_t)n);
			if (err)
				return err;
			last_progress = now_ms();
			continue;
		}
		/*
		 * The modem's buffer is empty. Either more is on its way, or the
		 * server closed the connection: the note has no URC for that, so
		 * ask for the link's status.
		 */
		if (download->link_down) {
			download->problem = "the modem restarted or lost its IP link";
			return -ENETRESET;
		}
		int status = download->peer_closed ? TCP_NOT_CONNECTED
						   : st87_tcp_status(modem, download->socket_id);
		if (status < 0)
			return status;
		if (status != TCP_CONNECTED) {
			/* Bytes that arrived between our read and the close are still to be read. */
			while ((n = st87_read(modem, download->socket_id, buf, sizeof(buf))) > 0) {
				int err = take_response_bytes(download, buf, (size_t)n);
				if (err)
					return err;
			}
			return n < 0 ? (int)n : 0;
		}
		if (now_ms() - last_progress > IDLE_LIMIT_MS) {
			download->problem = "the server sent nothing for 60 s";
			return -ETIMEDOUT;
		}
		/* Still connected: sleep until #IPRECV, checking the link now and then anyway. */
		int err = wait_for_modem(modem, download, 5000);
		if (err)
			return err;
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: st87-http-get [--port P] [--baud B] [-o FILE] IP PORT PATH\n"
		"HTTP/1.0 GET of http://IP:PORT/PATH through the ST87 modem.\n"
		"P defaults to $ST87_PORT, else \"auto\" (the one port that looks like the modem).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'},
		{"baud", required_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *port = getenv("ST87_PORT") ? getenv("ST87_PORT") : "auto";
	const char *output_path = NULL;
	int baud = 0, option;
	while ((option = getopt_long(argc, argv, "p:b:o:h", options, NULL)) != -1) {
		switch (option) {
		case 'p':
			port = optarg;
			break;
		case 'b':
			baud = atoi(optarg);
			break;
		case 'o':
			output_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 3) {
		usage(stderr);
		return 2;
	}
	const char *ip = argv[optind], *path = argv[optind + 2];
	int server_port = atoi(argv[optind + 1]);
	bool ipv6 = strchr(ip, ':') != NULL;

	/* The request, built first: a PATH too long for it is a usage error, found before any I/O. */
	char request[1024];
	int len = snprintf(request, sizeof(request),
			   "GET %s HTTP/1.0\r\nHost: %s%s%s:%d\r\nUser-Agent: st87-http-get\r\n"
			   "Connection: close\r\n\r\n",
			   path, ipv6 ? "[" : "", ip, ipv6 ? "]" : "", server_port);
	if (len < 0 || (size_t)len >= sizeof(request)) {
		fprintf(stderr, "st87-http-get: PATH is too long\n");
		return 2;
	}

	struct download download = {.socket_id = -1, .out = stdout};
	if (output_path && !(download.out = fopen(output_path, "wb"))) {
		fprintf(stderr, "st87-http-get: %s: %s\n", output_path, strerror(errno));
		return 1;
	}

	/* 1. Open the port; on_event() hears about incoming data. */
	struct st87_modem_options modem_options = {.port = port,
						   .baud = baud,
						   .on_event = on_event,
						   .user = &download};
	struct st87_modem *modem = NULL;
	int err = st87_modem_open(&modem_options, &modem);
	const char *step = "open the modem";
	/* 2. Bring the IP link up (waiting up to 10 s), closing sockets an earlier process left. */
	if (!err) {
		step = "bring the IP link up";
		err = st87_modem_start(modem, 10000, true);
		download.link_down = false; /* what happened before the link came up is history */
	}
	/* 3. A TCP socket: ip_version 0 is IPv4, 1 IPv6; the UDP port does not apply to TCP. */
	if (!err) {
		step = "create a socket";
		err = st87_socket_create(modem, ipv6 ? 1 : 0, ST87_TCP, 0);
		if (err >= 0) {
			download.socket_id = err;
			err = 0;
		}
	}
	/* 4. Connect: returns once the modem reports the TCP link up. */
	if (!err) {
		step = "connect";
		err = st87_tcp_connect(modem, download.socket_id, ip, server_port);
	}
	/* 5. Send the request; libst87 cuts it into AT#IPSENDTCP commands of at most 512 bytes. */
	if (!err) {
		step = "send the request";
		ssize_t sent = st87_send_tcp(modem, download.socket_id, request, (size_t)len);
		/* A short count means a later chunk failed; st87_last_error() says why. */
		err = sent < 0 ? (int)sent : sent < len ? -EIO : 0;
	}
	/* 6. Read until the server closes the connection. */
	if (!err) {
		step = "receive the response";
		err = receive_response(modem, &download);
	}
	if (err)
		fprintf(stderr, "st87-http-get: cannot %s: %s\n", step,
			download.problem ? download.problem : st87_last_error());

	/* 7. Close the socket: the modem keeps it open after we exit otherwise. */
	if (download.socket_id >= 0)
		st87_socket_close(modem, download.socket_id);
	st87_modem_close(modem);
	if (fflush(download.out) != 0 && !err) {
		fprintf(stderr, "st87-http-get: writing the body: %s\n", strerror(errno));
		err = -EIO;
	}
	if (output_path)
		fclose(download.out);
	if (err)
		return 1;
	if (!download.in_body) {
		fprintf(stderr, "st87-http-get: the connection closed before the end of the headers\n");
		return 1;
	}
	if (download.http_status < 200 || download.http_status > 299) {
		fprintf(stderr, "st87-http-get: the server answered %.*s\n",
			(int)strcspn(download.header, "\r\n"), download.header);
		return 1;
	}
	fprintf(stderr, "st87-http-get: %lld bytes of body\n", download.body_bytes);
	return 0;
}
