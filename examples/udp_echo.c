/*
 * udp_echo: send one datagram through the modem and print what comes back,
 * with libst87 directly (no shim). Try it against any UDP echo service.
 *
 *   1. st87_modem_open(), st87_modem_start()   the port, then the IP link
 *   2. st87_socket_create(..., ST87_UDP, 0)     a UDP socket on the modem
 *   3. st87_send_udp()                          one datagram (at most 512 bytes)
 *   4. st87_modem_poll()                        wait for #IPRECV: an answer arrived
 *   5. st87_read()                              one datagram per call
 *   6. st87_socket_close()
 *
 * Usage: st87-udp-echo [--port P] [--baud B] [-W SECONDS] IP PORT [MESSAGE]
 * Exit status: 0 an answer came back, 1 none (or an error), 2 usage error.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st87/st87.h"

struct echo {
	int socket_id;
	bool data_waiting; /* set by on_event() when the modem sends #IPRECV for our socket */
};

/* Called from inside libst87 calls: just take note, never send a command from here. */
static void on_event(void *user, enum st87_event_kind kind, int socket_id)
{
	struct echo *echo = user;
	if (kind == ST87_EVENT_DATA && socket_id == echo->socket_id)
		echo->data_waiting = true;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads datagrams as #IPRECV says they come, until one arrives or the time is up. */
static ssize_t wait_for_answer(struct st87_modem *modem, struct echo *echo, char *buf, size_t cap,
			       int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		/* The URC may have come already, even during st87_send_udp(): read first. */
		echo->data_waiting = false;
		ssize_t n = st87_read(modem, echo->socket_id, buf, cap);
		if (n != 0)
			return n; /* a datagram, or an error */
		while (!echo->data_waiting) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return 0;
			int err = st87_modem_poll(modem, (int)left);
			if (err < 0)
				return err;
		}
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: st87-udp-echo [--port P] [--baud B] [-W SECONDS] IP PORT [MESSAGE]\n"
		"Send MESSAGE (default \"hello from st87\") to IP:PORT over UDP through the\n"
		"ST87 modem and print the datagram that comes back within SECONDS (default 10).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'},
		{"baud", required_argument, NULL, 'b'},
		{"timeout", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *port = getenv("ST87_PORT") ? getenv("ST87_PORT") : "auto";
	int baud = 0, timeout_s = 10, option;
	while ((option = getopt_long(argc, argv, "p:b:W:h", options, NULL)) != -1) {
		switch (option) {
		case 'p':
			port = optarg;
			break;
		case 'b':
			baud = atoi(optarg);
			break;
		case 'W':
			timeout_s = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2 || argc - optind > 3 || timeout_s < 1) {
		usage(stderr);
		return 2;
	}
	const char *ip = argv[optind];
	int server_port = atoi(argv[optind + 1]);
	const char *message = argc - optind == 3 ? argv[optind + 2] : "hello from st87";

	struct echo echo = {.socket_id = -1};
	struct st87_modem_options modem_options = {.port = port,
						   .baud = baud,
						   .on_event = on_event,
						   .user = &echo};
	struct st87_modem *modem = NULL;
	char answer[ST87_MAX_READ];
	ssize_t received = 0;
	const char *step = "open the modem";
	int err = st87_modem_open(&modem_options, &modem);
	if (!err) {
		step = "bring the IP link up";
		err = st87_modem_start(modem, 10000, true);
	}
	if (!err) {
		/* ip_version 0 is IPv4, 1 IPv6; local UDP port 0 lets the modem pick one. */
		step = "create a socket";
		err = st87_socket_create(modem, strchr(ip, ':') ? 1 : 0, ST87_UDP, 0);
		if (err >= 0) {
			echo.socket_id = err;
			err = 0;
		}
	}
	if (!err) {
		/* rai 0: no release-assistance hint, we expect an answer. */
		step = "send";
		ssize_t sent = st87_send_udp(modem, echo.socket_id, ip, server_port, 0, message,
					     strlen(message));
		err = sent < 0 ? (int)sent : 0;
	}
	if (!err) {
		step = "receive";
		received = wait_for_answer(modem, &echo, answer, sizeof(answer), timeout_s * 1000);
		err = received < 0 ? (int)received : 0;
	}
	if (err)
		fprintf(stderr, "st87-udp-echo: cannot %s: %s\n", step, st87_last_error());
	else if (received == 0)
		fprintf(stderr, "st87-udp-echo: no answer from %s port %d within %d s\n", ip,
			server_port, timeout_s);
	else
		printf("%zd bytes back: %.*s\n", received, (int)received, answer);

	if (echo.socket_id >= 0)
		st87_socket_close(modem, echo.socket_id);
	st87_modem_close(modem);
	return !err && received > 0 ? 0 : 1;
}
