/*
 * st87-bench-minimal-host: the least a host can do to upload through the
 * modem, for bench_linerate.py to measure the shim against on the same line.
 *
 *     st87-bench-minimal-host PTY PORT BYTES CHUNK one-step|two-step
 *
 * Opens the fake modem's pty, makes a TCP socket to 127.0.0.1:PORT, and sends
 * BYTES of zeros in CHUNK-byte AT#IPSENDTCP commands, each only after the
 * previous one's final result: with one-step the line and its data in one
 * write, with two-step the line, its OK, then the data. No parsing beyond
 * finding the final result, no other fds, no threads: what is left of the
 * line's time is the pty's and the scheduler's, not a driver's.
 *
 * Prints "seconds S" (first send to last final result) and "bytes N".
 * Exit status 0, or 1 with a line on stderr. Links with nothing but libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_WAIT_MS 10000

static char answer[4096];
static size_t answer_len;

static void fail(const char *what)
{
	fprintf(stderr, "st87-bench-minimal-host: %s\n", what);
	exit(1);
}

static void write_all(int fd, const void *data, size_t len)
{
	const char *bytes = data;
	while (len > 0) {
		ssize_t n = write(fd, bytes, len);
		if (n > 0) {
			bytes += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			struct pollfd out = {.fd = fd, .events = POLLOUT};
			poll(&out, 1, ANSWER_WAIT_MS);
		} else if (n < 0 && errno != EINTR) {
			fail("write to the pty failed");
		}
	}
}

/* Reads until a final result ends the answer; true for OK. */
static bool await_final_result(int fd)
{
	answer_len = 0;
	for (;;) {
		answer[answer_len] = '\0';
		if (strstr(answer, "OK\r\n"))
			return true;
		if (strstr(answer, "ERROR"))
			return false;
		if (answer_len + 1 >= sizeof(answer))
			fail("an answer too long");
		ssize_t n = read(fd, answer + answer_len, sizeof(answer) - 1 - answer_len);
		if (n > 0) {
			answer_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail("read from the pty failed");
		struct pollfd in = {.fd = fd, .events = POLLIN};
		if (poll(&in, 1, ANSWER_WAIT_MS) == 0)
			fail("the modem did not answer");
	}
}

static void command(int fd, const char *line)
{
	char text[256];
	int n = snprintf(text, sizeof(text), "%s\r", line);
	write_all(fd, text, (size_t)n);
	if (!await_final_result(fd)) {
		fprintf(stderr, "st87-bench-minimal-host: %s: %s\n", line, answer);
		exit(1);
	}
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 6)
		fail("usage: st87-bench-minimal-host PTY PORT BYTES CHUNK one-step|two-step");
	long total = atol(argv[3]), chunk = atol(argv[4]);
	bool two_step = strcmp(argv[5], "two-step") == 0;
	if (total <= 0 || chunk <= 0 || chunk > 1600)
		fail("BYTES and CHUNK (at most 1600) must be positive");
	int fd = open(argv[1], O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		fail("cannot open the pty");
	struct termios raw;
	if (tcgetattr(fd, &raw) == 0) {
		cfmakeraw(&raw);
		tcsetattr(fd, TCSANOW, &raw);
	}

	command(fd, "ATE0");
	command(fd, "AT#IPCFG?");
	int cid = 0;
	const char *ipcfg = strstr(answer, "#IPCFG: ");
	if (!ipcfg || sscanf(ipcfg, "#IPCFG: %d", &cid) != 1)
		fail("no context in AT#IPCFG?'s answer");
	char line[128];
	snprintf(line, sizeof(line), "AT#SOCKETCREATE=%d,0,TCP,,10,10,1", cid);
	command(fd, line);
	int socket_id = 0;
	const char *created = strstr(answer, "#SOCKETCREATE: ");
	if (!created || sscanf(created, "#SOCKETCREATE: %d", &socket_id) != 1)
		fail("no socket id in AT#SOCKETCREATE's answer");
	snprintf(line, sizeof(line), "AT#TCPCONNECT=%d,%d,127.0.0.1,%s", cid, socket_id, argv[2]);
	command(fd, line);

	static char frame[128 + 1600];
	double started = now_s();
	for (long sent = 0; sent < total; sent += chunk) {
		long len = total - sent < chunk ? total - sent : chunk;
		int head = snprintf(frame, 128, "AT#IPSENDTCP=%d,%d,1,%ld\r", cid, socket_id, len);
		if (two_step) {
			write_all(fd, frame, (size_t)head);
			if (!await_final_result(fd))
				fail("the modem refused a send line");
			memset(frame, 0, (size_t)len);
			write_all(fd, frame, (size_t)len);
		} else {
			/* The line ends in CR alone, as the driver ends it: the maker's firmware takes
			 * an LF after it for the data's first byte (docs/PROTOCOL.md §1), and so does the
			 * suites' fake modem (--cr-only). */
			memset(frame + head, 0, (size_t)len);
			write_all(fd, frame, (size_t)(head + len));
		}
		if (!await_final_result(fd))
			fail("the modem refused a send");
	}
	printf("seconds %.6f\nbytes %ld\n", now_s() - started, total);
	return 0;
}
