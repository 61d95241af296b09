/*
 * The peers behind the fake modem's sockets: small servers on 127.0.0.1,
 * each in its own thread, started and stopped by the test that needs it.
 * A stop request goes through a pipe that every wait of the thread also
 * watches, so stopping never depends on a timeout.
 */
#ifndef ST87_CORE_TESTS_LOOPBACK_SERVER_H
#define ST87_CORE_TESTS_LOOPBACK_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum loopback_server_kind {
	TCP_ECHO_SERVER,       /* echoes every connection, one after another */
	UDP_ECHO_SERVER,       /* sends each datagram back to its sender */
	TCP_SEND_CLOSE_SERVER, /* sends its payload to the first connection, then closes it */
};

struct loopback_server {
	enum loopback_server_kind kind;
	int socket_fd;
	int port;
	int stop_pipe[2];
	pthread_t thread;
	bool running;
	const uint8_t *payload; /* TCP_SEND_CLOSE_SERVER: what to send */
	size_t payload_len;
};

/*
 * Binds 127.0.0.1 on a free port and starts the thread. @p payload (kept by
 * the caller until the server stops) is for TCP_SEND_CLOSE_SERVER only.
 * 0 or a negative errno.
 */
int loopback_server_start(struct loopback_server *server, enum loopback_server_kind kind,
			  const uint8_t *payload, size_t payload_len);

/* Stops the thread and closes the socket; harmless when not running. */
void loopback_server_stop(struct loopback_server *server);

/*
 * A TCP port on 127.0.0.1 with no listener: a socket bound there but not
 * listening, so connecting is refused and no one else takes the port while
 * @p *holder_fd stays open. The port, or a negative errno.
 */
int refusing_port(int *holder_fd);

#endif
