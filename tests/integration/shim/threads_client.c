/*
 * A multi-threaded program for the shim: threads connect, exchange, dup and
 * close routed and unrouted sockets at once, and check every byte.
 *
 *   st87-test-threads ROUTED_TCP_PORT ROUTED_UDP_PORT UNROUTED_TCP_PORT ROUNDS
 *
 * The routed servers echo on 127.0.0.1, the unrouted one on 127.0.0.2 (run
 * with ST87_ROUTE=127.0.0.1/32). The modem has one TCP and two UDP sockets:
 * a routed TCP connect waits in line for its turn, and a UDP one that finds
 * both taken (EMFILE) waits and tries again.
 * Exit status 0 when every exchange came back byte for byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define TCP_PAYLOAD 3000
#define UDP_PAYLOAD 300
#define BUSY_RETRIES 400
#define RETRY_PAUSE_US 20000

struct job {
	const char *name;
	const char *address;
	int port;
	int type;
	int rounds;
	bool duplicate; /* exchange over a dup() of the socket, closing the original first */
	unsigned seed;
};

static atomic_int exchanges, failures;

static void fail(const struct job *job, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", job->name, what, strerror(errno));
	atomic_fetch_add(&failures, 1);
}

/* A connected socket, waiting while the modem's sockets are all taken. -1 on failure. */
static int connect_to(const struct job *job)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)job->port)};
	inet_pton(AF_INET, job->address, &address.sin_addr);
	for (int attempt = 0; attempt < BUSY_RETRIES; attempt++) {
		int fd = socket(AF_INET, job->type, 0);
		if (fd < 0)
			return -1;
		struct timeval bound = {.tv_sec = 20};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
		if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0)
			return fd;
		int err = errno;
		close(fd);
		if (err != EMFILE && err != ETIMEDOUT)
			return errno = err, -1;
		usleep(RETRY_PAUSE_US);
	}
	return -1;
}

enum outcome { EXCHANGED, FAILED, DIFFERS };

/* FAILED leaves errno set; DIFFERS is data that came back other than it went. */
static enum outcome exchange(int fd, const struct job *job, unsigned *seed)
{
	unsigned char sent[TCP_PAYLOAD], got[TCP_PAYLOAD];
	size_t len = job->type == SOCK_STREAM ? TCP_PAYLOAD : UDP_PAYLOAD;
	for (size_t i = 0; i < len; i++)
		sent[i] = (unsigned char)rand_r(seed);
	if (send(fd, sent, len, MSG_NOSIGNAL) != (ssize_t)len)
		return FAILED;
	size_t have = 0;
	while (have < len) {
		ssize_t n = recv(fd, got + have, sizeof(got) - have, 0);
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			return FAILED;
		have += (size_t)n;
		if (job->type != SOCK_STREAM)
			break;
	}
	return have == len && memcmp(sent, got, len) == 0 ? EXCHANGED : DIFFERS;
}

static void *run(void *argument)
{
	struct job *job = argument;
	unsigned seed = job->seed;
	for (int round = 0; round < job->rounds; round++) {
		int fd = connect_to(job);
		if (fd < 0) {
			fail(job, "connect");
			continue;
		}
		if (job->duplicate) {
			int copy = dup(fd);
			close(fd);
			fd = copy;
		}
		enum outcome outcome = fd < 0 ? FAILED : exchange(fd, job, &seed);
		if (outcome == EXCHANGED)
			atomic_fetch_add(&exchanges, 1);
		else
			fail(job, outcome == DIFFERS ? "the echo differs" : "exchange");
		close(fd);
	}
	return NULL;
}

/*
 * An unconnected routed UDP socket used by two threads at once: this one
 * sends its data and takes the echoes, a second one sends pings to the same
 * address, as a program sharing a socket between threads may. Every echo is
 * one of the two threads' data.
 */
struct shared_udp {
	int fd;
	struct sockaddr_in address;
	atomic_bool done;
};

static void *send_pings(void *argument)
{
	struct shared_udp *shared = argument;
	while (!atomic_load(&shared->done)) {
		sendto(shared->fd, "ping", 4, MSG_NOSIGNAL, (struct sockaddr *)&shared->address,
		       sizeof(shared->address));
		usleep(3000);
	}
	return NULL;
}

/*
 * A new UDP socket and its first datagram, which routes it. Through st87d the
 * modem's UDP sockets the other threads closed are freed a moment later, by
 * the daemon: a first datagram that finds them taken (EMFILE) waits and goes
 * again on a new socket, as a connect does.
 */
static const char first[] = "first";

static int first_datagram(const struct sockaddr_in *address)
{
	for (int attempt = 0; attempt < BUSY_RETRIES; attempt++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return -1;
		struct timeval bound = {.tv_sec = 20};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
		if (sendto(fd, first, sizeof(first), 0, (const struct sockaddr *)address,
			   sizeof(*address)) >= 0)
			return fd;
		int err = errno;
		close(fd);
		if (err != EMFILE)
			return errno = err, -1;
		usleep(RETRY_PAUSE_US);
	}
	return -1;
}

static void *run_shared_udp(void *argument)
{
	struct job *job = argument;
	struct shared_udp shared = {
		.address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)job->port)}};
	inet_pton(AF_INET, job->address, &shared.address.sin_addr);
	struct sockaddr_in address = shared.address;
	shared.fd = first_datagram(&address);
	if (shared.fd < 0) {
		fail(job, "sendto");
		return NULL;
	}
	pthread_t sender;
	pthread_create(&sender, NULL, send_pings, &shared);
	unsigned seed = job->seed;
	int echoed = 0;
	for (int round = 0; round < job->rounds; round++) {
		unsigned char data[64];
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (unsigned char)rand_r(&seed);
		sendto(shared.fd, data, sizeof(data), 0, (struct sockaddr *)&address, sizeof(address));
		unsigned char got[256];
		for (;;) {
			ssize_t n = recvfrom(shared.fd, got, sizeof(got), 0, NULL, NULL);
			if (n == (ssize_t)sizeof(data) && memcmp(got, data, sizeof(data)) == 0) {
				echoed++;
				break;
			}
			bool known = (n == 4 && memcmp(got, "ping", 4) == 0) ||
				(n == (ssize_t)sizeof(first) && memcmp(got, first, sizeof(first)) == 0);
			if (!known) {
				fail(job, n <= 0 ? "recvfrom" : "a datagram neither thread sent");
				break;
			}
		}
	}
	atomic_store(&shared.done, true);
	pthread_join(sender, NULL);
	close(shared.fd);
	atomic_fetch_add(&exchanges, echoed);
	if (echoed != job->rounds)
		fail(job, "echoes missing");
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s ROUTED_TCP_PORT ROUTED_UDP_PORT UNROUTED_TCP_PORT ROUNDS\n",
			argv[0]);
		return 2;
	}
	int rounds = atoi(argv[4]);
	struct job jobs[] = {
		{"routed tcp", "127.0.0.1", atoi(argv[1]), SOCK_STREAM, rounds, false, 1},
		{"routed udp 1", "127.0.0.1", atoi(argv[2]), SOCK_DGRAM, rounds, false, 2},
		{"routed udp 2 (dup)", "127.0.0.1", atoi(argv[2]), SOCK_DGRAM, rounds, true, 3},
		{"unrouted tcp 1", "127.0.0.2", atoi(argv[3]), SOCK_STREAM, rounds * 4, false, 4},
		{"unrouted tcp 2 (dup)", "127.0.0.2", atoi(argv[3]), SOCK_STREAM, rounds * 4, true, 5},
	};
	size_t count = sizeof(jobs) / sizeof(jobs[0]);
	pthread_t threads[sizeof(jobs) / sizeof(jobs[0])];
	for (size_t i = 0; i < count; i++)
		pthread_create(&threads[i], NULL, run, &jobs[i]);
	for (size_t i = 0; i < count; i++)
		pthread_join(threads[i], NULL);
	/* After the others: the modem's two UDP sockets are free again. */
	struct job shared =
		{"shared unconnected udp", "127.0.0.1", atoi(argv[2]), SOCK_DGRAM, rounds * 3, false, 6};
	pthread_t shared_thread;
	pthread_create(&shared_thread, NULL, run_shared_udp, &shared);
	pthread_join(shared_thread, NULL);
	printf("exchanges %d, failures %d\n", atomic_load(&exchanges), atomic_load(&failures));
	return atomic_load(&failures) == 0 ? 0 : 1;
}
