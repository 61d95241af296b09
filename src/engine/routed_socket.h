/*
 * A routed socket: the record of one program socket carried over the modem,
 * shared by the program's threads (through the host: the shim's fd map, or
 * st87d's request) and the engine thread, which bridges its pair's engine
 * end to a modem socket.
 *
 * Who writes what (the lock order is in engine.h):
 *  - "fixed": set by the constructor's caller before the record is shared;
 *  - "shared": under engine_lock;
 *  - "engine": the engine thread's alone, once the record is handed over.
 */
#ifndef ST87_ENGINE_ROUTED_SOCKET_H
#define ST87_ENGINE_ROUTED_SOCKET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "internal.h"
#include "st87/st87.h"

/* Guards every record's "shared" fields and the engine's hand-over state (engine.c). */
extern pthread_mutex_t engine_lock;

enum routed_state {
	ROUTED_CONNECTING, /* waiting for the engine: modem socket and TCP link */
	ROUTED_CONNECTED,
	ROUTED_FAILED, /* error says why; the engine's end is closed */
	ROUTED_CLOSED, /* the modem socket is closed; the record waits for its last reference */
};

/* Prepended to each datagram of an unconnected UDP socket inside the pair, so sendto/recvfrom keep addresses. */
struct datagram_header {
	struct sockaddr_storage address;
	socklen_t address_len;
};

struct routed_socket {
	/* fixed */
	int domain, type;
	bool framed; /* unconnected UDP: datagrams carry a struct datagram_header */
	struct sockaddr_storage remote;
	socklen_t remote_len;
	int local_port; /* UDP: the port the program bound before routing, 0 none */
	/* TCP: when a connect still waiting for the modem's one TCP socket gives up (st87_now_ms() time);
	 * 0: ST87_CONNECT_TIMEOUT after the hand-over (tcp_queue.c) */
	long long connect_deadline_ms;
	bool dns_queries; /* each datagram is a DNS query (the engine's own lookups): one downlink expected */
	/* In st87d: the client's connection (told of state changes; the engine thread's once handed
	 * over), and who the client is; -1 and 0 in a program; a SOCKS client: -1 and its pid, -1
	 * when st87d cannot name it. */
	int client_fd;
	int client_pid;
	bool of_client; /* st87d's: a client's socket, even once client_fd is closed */
	char client_program[ST87_PROCESS_NAME_SIZE];

	/*
	 * ST87_SO_RAI: <rai> of its datagrams, -1 not set (the engine's udp_rai
	 * then). Changed after routing by the program (the shim) or by its st87d
	 * client (the engine thread): read and written with __atomic builtins.
	 */
	int rai;

	/*
	 * The shim's daemon client, in a program using st87d: its connection to
	 * the daemon, which reports this socket's state, -1 otherwise (under the
	 * shim's lock). A record with one is never handed to an engine.
	 */
	int daemon_fd;

	/* shared */
	atomic_int refs; /* the host's references (fd map entries), plus one while the engine holds it */
	enum routed_state state;
	int error;             /* positive errno for SO_ERROR / the failed connect */
	bool error_reported;   /* SO_ERROR clears it, as the kernel's does */
	int sndbuf_to_restore; /* program end's SO_SNDBUF before it was shrunk, 0 none */
	pthread_cond_t changed;
	bool daemon_reported_eof; /* st87d said the peer closed: an EOF is not the daemon's death */
	/* unconnected UDP: where send() goes after a connect(), as on a kernel socket; length 0 none */
	struct sockaddr_storage default_destination;
	socklen_t default_destination_len;
	/* SO_LINGER as the program left it, read when it exits: the exit's flush waits at most that long. */
	bool linger_at_exit;
	int linger_ms;
	/* In line for the modem's one TCP socket, not yet connecting on the modem (tcp_queue.c). */
	bool waiting_for_tcp;

	/* engine */
	int engine_fd; /* the pair's engine end; set before hand-over, -1 once closed */
	int modem_socket;
	size_t filler;         /* bytes written to make the program end unwritable while connecting */
	bool data_waiting;     /* #IPRECV seen: read the modem until it is empty */
	bool urc_since_status; /* an #IPRECV came since the link status was last asked */
	bool urc_unread;       /* an #IPRECV came since the last AT#IPREAD */
	bool peer_closed;      /* EOF passed (or to pass) to the program */
	bool program_eof;      /* the program shut its writing side: stop reading the pair */
	bool program_done;     /* the program closed its end: flush, then close */
	bool carried_out, carried_in; /* bytes went each way: an exchange happened (evict.c) */
	long long last_traffic_ms; /* payload either way, or the connect: what quiet is measured from */
	long long link_checked_ms; /* the modem last asked about the link (AT#TCPCONNECT?): not traffic */
	unsigned long long bytes_to_modem, bytes_from_modem; /* payload each way (engine_metrics.c) */
	unsigned failed_attempts_before; /* the engine's failed modem openings when given it */
	/* unconnected UDP: where the last datagram went, the best guess of where an answer came from */
	struct sockaddr_storage last_destination;
	socklen_t last_destination_len;
	uint8_t inbound[sizeof(struct datagram_header) + ST87_MAX_READ];
	size_t inbound_len, inbound_sent;
	struct routed_socket *next;        /* engine's list */
	struct routed_socket *next_waiter; /* the TCP queue, while waiting_for_tcp */
	long long queued_ms;               /* when it joined the TCP queue */
	bool waited_in_line; /* joined it behind a holder or others: a wait the metrics count */
};

/*
 * A new record for a socket of @domain and @type routed to @remote, not yet
 * referenced: connecting, no fds, no modem socket, no client, ST87_SO_RAI
 * not set. NULL when out of memory (or @remote_len is longer than any address). The caller fills in the rest of the
 * fixed fields before it shares the record.
 */
struct routed_socket *routed_socket_new(int domain, int type, const struct sockaddr *remote,
					socklen_t remote_len);
/* Frees a record that was never shared (its routing failed). */
void routed_socket_discard(struct routed_socket *s);

/* Takes a reference. */
void routed_socket_hold(struct routed_socket *s);
/* Drops a reference; frees the record and returns true at the last. Any lock may be held. */
bool routed_socket_release(struct routed_socket *s);

/* The least length of an IPv4 or IPv6 socket address of @family; 0 for any other family. */
socklen_t routed_address_size(int family);

#endif
