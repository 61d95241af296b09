/*
 * st87-bench-percall: calls each function the shim intercepts many times on
 * unrouted fds, for `valgrind --tool=callgrind` to count the instructions
 * (bench_percall.py runs it with and without LD_PRELOAD of the shim).
 *
 *     st87-bench-percall CALLS [ROUTED_PORT]
 *
 * Each call under test sits in its own non-inlined function, op_<name>(n),
 * which makes n calls; callgrind's inclusive count of op_<name> divided by
 * the number of calls is the cost of one call, a few loop instructions
 * included (the same with and without the shim). Calls are made in batches
 * of BATCH so that the socketpair never fills and the fds made by dup are
 * closed again.
 *
 * With ROUTED_PORT, a TCP connection to 127.0.0.1:ROUTED_PORT is opened
 * first and kept open: with ST87_ROUTE naming that port it is routed, and the
 * shim's fd map is no longer empty while the unrouted calls are measured.
 *
 * Only loopback and a socketpair are used. Links with nothing but libc.
 * Exit status: 0, or 1 when a call failed (the message names it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define BATCH 64

static int pair[2];                /* unrouted AF_UNIX stream pair */
static int udp_a = -1, udp_b = -1; /* two unrouted UDP sockets on 127.0.0.1, connected to each other */
static struct sockaddr_in udp_b_address;
static int dup_fds[BATCH];
static int dup2_target = -1;
static volatile long sink; /* keeps results alive */
static long failures;

static void fail(const char *what)
{
	fprintf(stderr, "st87-bench-percall: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void count(long result)
{
	if (result < 0)
		failures++;
	sink += result;
}

#define NOINLINE __attribute__((noinline))

NOINLINE void op_loop(long n)
{
	for (long i = 0; i < n; i++)
		count(0);
}

NOINLINE void op_send(long n)
{
	char byte = 'x';
	for (long i = 0; i < n; i++)
		count(send(pair[0], &byte, 1, 0));
}

NOINLINE void op_recv(long n)
{
	char byte;
	for (long i = 0; i < n; i++)
		count(recv(pair[1], &byte, 1, 0));
}

NOINLINE void op_sendto(long n)
{
	char byte = 'u';
	for (long i = 0; i < n; i++)
		count(sendto(udp_a, &byte, 1, 0, (const struct sockaddr *)&udp_b_address,
			     sizeof(udp_b_address)));
}

NOINLINE void op_recvfrom(long n)
{
	char byte;
	struct sockaddr_storage from;
	for (long i = 0; i < n; i++) {
		socklen_t len = sizeof(from);
		count(recvfrom(udp_b, &byte, 1, 0, (struct sockaddr *)&from, &len));
	}
}

NOINLINE void op_sendmsg(long n)
{
	char byte = 'm';
	struct iovec part = {.iov_base = &byte, .iov_len = 1};
	struct msghdr message = {.msg_iov = &part, .msg_iovlen = 1};
	for (long i = 0; i < n; i++)
		count(sendmsg(pair[0], &message, 0));
}

NOINLINE void op_recvmsg(long n)
{
	char byte;
	struct iovec part = {.iov_base = &byte, .iov_len = 1};
	struct msghdr message = {.msg_iov = &part, .msg_iovlen = 1};
	for (long i = 0; i < n; i++)
		count(recvmsg(pair[1], &message, 0));
}

NOINLINE void op_getsockopt(long n)
{
	for (long i = 0; i < n; i++) {
		int type = 0;
		socklen_t len = sizeof(type);
		count(getsockopt(udp_a, SOL_SOCKET, SO_TYPE, &type, &len));
	}
}

NOINLINE void op_setsockopt(long n)
{
	int on = 1;
	for (long i = 0; i < n; i++)
		count(setsockopt(udp_a, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)));
}

NOINLINE void op_getsockname(long n)
{
	struct sockaddr_storage address;
	for (long i = 0; i < n; i++) {
		socklen_t len = sizeof(address);
		count(getsockname(udp_a, (struct sockaddr *)&address, &len));
	}
}

NOINLINE void op_getpeername(long n)
{
	struct sockaddr_storage address;
	for (long i = 0; i < n; i++) {
		socklen_t len = sizeof(address);
		count(getpeername(udp_a, (struct sockaddr *)&address, &len));
	}
}

NOINLINE void op_connect(long n)
{
	/* Connecting a UDP socket again is allowed: every call asks the routes. */
	for (long i = 0; i < n; i++)
		count(connect(udp_a, (const struct sockaddr *)&udp_b_address, sizeof(udp_b_address)));
}

NOINLINE void op_fcntl(long n)
{
	for (long i = 0; i < n; i++)
		count(fcntl(pair[0], F_GETFL));
}

NOINLINE void op_dup(long n)
{
	for (long i = 0; i < n; i++) {
		dup_fds[i] = dup(pair[0]);
		count(dup_fds[i]);
	}
}

NOINLINE void op_close(long n)
{
	for (long i = 0; i < n; i++)
		count(close(dup_fds[i]));
}

NOINLINE void op_dup2(long n)
{
	for (long i = 0; i < n; i++)
		count(dup2(pair[0], dup2_target));
}

static void make_udp_pair(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	udp_b_address = a;
	udp_a = socket(AF_INET, SOCK_DGRAM, 0);
	udp_b = socket(AF_INET, SOCK_DGRAM, 0);
	if (udp_a < 0 || udp_b < 0)
		fail("socket");
	socklen_t len = sizeof(a);
	if (bind(udp_a, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(udp_a, (struct sockaddr *)&a, &len) < 0)
		fail("bind UDP");
	len = sizeof(udp_b_address);
	if (bind(udp_b, (struct sockaddr *)&udp_b_address, sizeof(udp_b_address)) < 0 ||
	    getsockname(udp_b, (struct sockaddr *)&udp_b_address, &len) < 0)
		fail("bind UDP");
	if (connect(udp_a, (struct sockaddr *)&udp_b_address, sizeof(udp_b_address)) < 0 ||
	    connect(udp_b, (struct sockaddr *)&a, sizeof(a)) < 0)
		fail("connect UDP");
}

/* Opens a TCP connection to 127.0.0.1:@port and exchanges one byte, so that it is up. */
static int open_routed(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		fail("connect to the routed port");
	char byte = 'r';
	if (write(fd, &byte, 1) != 1 || read(fd, &byte, 1) != 1)
		fail("exchange over the routed connection");
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: st87-bench-percall CALLS [ROUTED_PORT]\n");
		return 2;
	}
	long calls = strtol(argv[1], NULL, 10);
	int routed = argc == 3 ? open_routed(atoi(argv[2])) : -1;
	if (calls < BATCH)
		calls = BATCH;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
		fail("socketpair");
	make_udp_pair();
	dup2_target = dup(pair[1]);
	if (dup2_target < 0)
		fail("dup");

	for (long done = 0; done < calls; done += BATCH) {
		op_loop(BATCH);
		op_send(BATCH);
		op_recv(BATCH);
		op_sendmsg(BATCH);
		op_recvmsg(BATCH);
		op_sendto(BATCH);
		op_recvfrom(BATCH);
		op_getsockopt(BATCH);
		op_setsockopt(BATCH);
		op_getsockname(BATCH);
		op_getpeername(BATCH);
		op_connect(BATCH);
		op_fcntl(BATCH);
		op_dup(BATCH);
		op_close(BATCH);
		op_dup2(BATCH);
	}
	if (routed >= 0)
		close(routed);
	if (failures) {
		fprintf(stderr, "st87-bench-percall: %ld calls failed\n", failures);
		return 1;
	}
	printf("calls per function: %ld\n", (calls + BATCH - 1) / BATCH * BATCH);
	return 0;
}
