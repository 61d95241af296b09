/*
 * The shim's shared state: the map from the program's fds to routed sockets,
 * the routed socket records, and the hand-over to the engine thread.
 *
 * Locking: one mutex (shim.lock) guards the fd map, the socket list and the
 * fields marked "shared" below. The engine thread alone touches the fields
 * marked "engine". Program threads never touch the serial port.
 */
#ifndef ST87_SHIM_SHIM_H
#define ST87_SHIM_SHIM_H

#include <pthread.h>
#include <time.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uthash.h>

#include "config.h"
#include "engine.h"
#include "internal.h"
#include "st87/st87.h"

enum routed_state {
	ROUTED_CONNECTING, /* waiting for the engine: modem socket and TCP link */
	ROUTED_CONNECTED,
	ROUTED_FAILED, /* error says why; the engine's end is closed */
	ROUTED_CLOSED, /* the modem socket is closed; the record waits for its last fd */
};

/* Prepended to each datagram of an unconnected UDP socket inside the pair, so sendto/recvfrom keep addresses. */
struct datagram_header {
	struct sockaddr_storage address;
	socklen_t address_len;
};

struct routed_socket {
	/* fixed once the socket is routed */
	int domain, type;
	bool framed; /* unconnected UDP: datagrams carry a struct datagram_header */
	struct sockaddr_storage remote;
	socklen_t remote_len;
	int local_port;   /* UDP: the port the program bound before routing, 0 none */
	bool dns_queries; /* each datagram is a DNS query: one downlink expected */
	int rai;          /* ST87_SO_RAI: <rai> of its datagrams, -1 not set (ST87_UDP_RAI) */
	/* In a program using st87d: its connection to the daemon, which reports this socket's state; -1 otherwise. */
	int daemon_fd;
	bool daemon_reported_eof; /* the daemon said the peer closed: an EOF is not the daemon's death */
	/* In st87d: the client's connection (told of state changes), and who the client is; -1 and 0 in a program. */
	int client_fd;
	int client_pid;
	char client_program[ST87_PROCESS_NAME_SIZE];

	/* shared */
	int refs; /* fd map entries, plus one while the engine holds it */
	enum routed_state state;
	int error;             /* positive errno for SO_ERROR / the failed connect */
	bool error_reported;   /* SO_ERROR clears it, as the kernel's does */
	int sndbuf_to_restore; /* program end's SO_SNDBUF before it was shrunk, 0 none */
	pthread_cond_t changed;
	/* unconnected UDP: where send() goes after a connect(), as on a kernel socket; length 0 none */
	struct sockaddr_storage default_destination;
	socklen_t default_destination_len;
	/* SO_LINGER as the program left it, read when it exits: the exit's flush waits at most that long. */
	bool linger_at_exit;
	int linger_ms;

	/* engine */
	int engine_fd;
	int modem_socket;
	size_t filler;         /* bytes written to make the program end unwritable while connecting */
	bool data_waiting;     /* #IPRECV seen: read the modem until it is empty */
	bool urc_since_status; /* an #IPRECV came since the link status was last asked */
	bool urc_unread;       /* an #IPRECV came since the last AT#IPREAD */
	bool peer_closed;      /* EOF passed (or to pass) to the program */
	bool program_eof;      /* the program shut its writing side: stop reading the pair */
	bool program_done;     /* the program closed its end: flush, then close */
	bool carried_out, carried_in; /* bytes went each way: an exchange happened (evict.c) */
	long long last_traffic_ms;
	unsigned failed_attempts_before; /* the engine's failed modem openings when given it */
	/* unconnected UDP: where the last datagram went, the best guess of where an answer came from */
	struct sockaddr_storage last_destination;
	socklen_t last_destination_len;
	uint8_t inbound[sizeof(struct datagram_header) + ST87_MAX_READ];
	size_t inbound_len, inbound_sent;
	struct routed_socket *next; /* engine's list */
};

struct fd_entry {
	int fd;
	struct routed_socket *socket; /* NULL: one of the shim's own fds, or an unrouted socket below */
	/* An unrouted UDP socket whose ST87_SO_RAI was set before routing, -1 otherwise. */
	int pending_rai;
	UT_hash_handle hh;
};

/* One of the shim's own fds (serial port, engine ends, ...): the program's close() leaves it open. */
static inline bool shim_entry_is_private(const struct fd_entry *entry)
{
	return !entry->socket && entry->pending_rai < 0;
}

#define SHIM_FD_BITS 65536

struct shim_state {
	pthread_mutex_t lock;
	struct shim_config config;
	bool config_ok;
	struct fd_entry *fds;
	atomic_int fd_count; /* lets unrouted calls skip the lock while nothing is routed */
	/* One bit per fd below SHIM_FD_BITS, set while the map holds it: unrouted fds skip the lock. */
	_Atomic uint64_t mapped_bits[SHIM_FD_BITS / 64];

	int min_private_fd;

	/*
	 * The largest datagram the modem takes, as this process's engine knows it
	 * (st87_modem_datagram_limit), 0 before it knew any: program threads give
	 * EMSGSIZE above it at once, as a kernel does, instead of the engine
	 * dropping the datagram later with a line.
	 */
	_Atomic size_t datagram_limit;

	/* shared: the modem's own addresses (from the engine, or st87d's reports), "" when unknown */
	char modem_ipv4[64], modem_ipv6[64];
};

extern struct shim_state shim;

/* False when @fd is surely not in the map: the caller need not take the lock. */
static inline bool shim_fd_maybe_mapped(int fd)
{
	if (atomic_load_explicit(&shim.fd_count, memory_order_acquire) == 0)
		return false;
	if (fd < 0 || fd >= SHIM_FD_BITS)
		return true;
	uint64_t word = atomic_load_explicit(&shim.mapped_bits[fd / 64], memory_order_acquire);
	return (word >> (fd % 64)) & 1;
}

/* "st87shim" in programs; st87d defines its own. */
extern const char *shim_log_name;

/* Lazy, once: real libc pointers and the configuration. */
void shim_init(void);

/* True when shim_init found routes and @addr is one of them. */
bool shim_routes(const struct sockaddr *addr, socklen_t addr_len);

/* The routed socket behind @fd with a reference taken, or NULL (unrouted). */
struct routed_socket *shim_lookup(int fd);
/* Drops a reference from shim_lookup() or the engine; frees at zero. Lock not held. */
void shim_release(struct routed_socket *socket);
/* Same with shim.lock held. */
void shim_release_locked(struct routed_socket *socket);

/* Adds fd -> @socket (a new reference). Lock held. */
int shim_map_add_locked(int fd, struct routed_socket *socket);
/* Forgets @fd; returns true when it was one of the shim's own fds. Lock held. */
bool shim_map_remove_locked(int fd, bool *was_private);
/* Marks @fd as the shim's own: the program's close() will not close it. */
void shim_map_add_private(int fd);
void shim_map_remove_private(int fd);
void shim_map_remove_private_locked(int fd);
bool shim_is_private_fd(int fd);
/* ST87_SO_RAI on a UDP socket not routed yet: kept until it is routed (or closed). 0 or -ENOMEM. */
int shim_set_pending_rai(int fd, int rai);
/* The ST87_SO_RAI kept for @fd, -1 none. */
int shim_pending_rai(int fd);

/* Moves @fd to a high number, close-on-exec, out of the program's way. Returns the new fd. */
int shim_private_fd(int fd);

/* The least length of an IPv4 or IPv6 socket address of @family; 0 for any other family. */
socklen_t shim_address_size(int family);

/* An unconnected UDP socket's destination named by connect() into @out (under the lock); its length, 0 none. */
socklen_t shim_connected_destination(struct routed_socket *s, struct sockaddr_storage *out);

/* What shim_route_connect() is told about the socket. */
enum route_flags {
	ROUTE_FRAMED = 1,      /* unconnected UDP: datagrams carry a struct datagram_header */
	ROUTE_DNS_QUERIES = 2, /* the shim's own DNS queries: each expects one answer (<rai> 2) */
};

/* Routes @fd to @addr (connect() and first sendto()): errno-style result (0 or -errno). */
int shim_route_connect(int fd, const struct sockaddr *addr, socklen_t addr_len, unsigned flags);

/* The modem's own address (for getsockname), "" when unknown. */
void shim_modem_address(int family, char *address, size_t len);
void shim_set_modem_address(const char *ipv4, const char *ipv6);

/* One line on stderr ("st87shim: ..."), through libst87's log levels. */
#define shim_log st87_log
void st87_log(enum st87_log_level level, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* A condition variable whose timed waits use CLOCK_MONOTONIC (every one of the shim's). */
void shim_cond_init(pthread_cond_t *cond);
/* The absolute CLOCK_MONOTONIC time @p ms from now, for pthread_cond_timedwait on those. */
struct timespec shim_deadline_after(int ms);

/* True on the engine thread: its calls go straight to libc. */
extern __attribute__((tls_model("initial-exec"))) _Thread_local bool shim_internal_call;

#endif
