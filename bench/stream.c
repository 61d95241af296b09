/*
 * st87-bench-stream: one TCP transfer over 127.0.0.1, sender and receiver in
 * one program (the receiver is a forked child), for bench_passthrough.py to
 * time with and without the shim preloaded.
 *
 *     st87-bench-stream BYTES CHUNK
 *
 * The parent listens on 127.0.0.1 (a free port), forks a child that connects
 * and receives with recv() until EOF; the parent send()s BYTES in writes of
 * CHUNK bytes, closes, and waits for the child. Both use the calls the shim
 * intercepts (connect, send, recv, close), so a preloaded shim sees every one.
 * Prints "BYTES received in SECONDS s" (the transfer alone, from connect to
 * the receiver's EOF).
 *
 * Exit status: 0 when every byte arrived, 1 otherwise. Links with nothing
 * but libc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "st87-bench-stream: %s: %s\n", what, strerror(errno));
	return 1;
}

/* The child: connects, counts what arrives, reports it through its exit status and stdout. */
static int receive(const struct sockaddr_in *to, long long expected, size_t chunk)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return fail("connect");
	char *buffer = malloc(chunk);
	if (!buffer)
		return fail("malloc");
	double start = now_s();
	long long got = 0;
	for (;;) {
		ssize_t n = recv(fd, buffer, chunk, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("recv");
		if (n == 0)
			break;
		got += n;
	}
	double seconds = now_s() - start;
	close(fd);
	free(buffer);
	printf("%lld received in %.6f s\n", got, seconds);
	fflush(stdout); /* the child leaves with _exit() */
	return got == expected ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: st87-bench-stream BYTES CHUNK\n");
		return 2;
	}
	long long total = atoll(argv[1]);
	size_t chunk = (size_t)atol(argv[2]);
	if (total <= 0 || chunk == 0) {
		fprintf(stderr, "st87-bench-stream: BYTES and CHUNK must be positive\n");
		return 2;
	}
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(address);
	if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(listener, 1) < 0 || getsockname(listener, (struct sockaddr *)&address, &len) < 0)
		return fail("listen on 127.0.0.1");
	fflush(stdout);
	pid_t child = fork();
	if (child < 0)
		return fail("fork");
	if (child == 0) {
		close(listener);
		_exit(receive(&address, total, chunk));
	}
	int fd = accept(listener, NULL, NULL);
	close(listener);
	if (fd < 0)
		return fail("accept");
	char *buffer = calloc(1, chunk);
	if (!buffer)
		return fail("calloc");
	int status = 0;
	for (long long sent = 0; sent < total;) {
		size_t want = total - sent < (long long)chunk ? (size_t)(total - sent) : chunk;
		ssize_t n = send(fd, buffer, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = fail("send");
			break;
		}
		sent += n;
	}
	close(fd);
	free(buffer);
	int child_status;
	if (waitpid(child, &child_status, 0) < 0)
		return fail("waitpid");
	if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0)
		status = 1;
	return status;
}
