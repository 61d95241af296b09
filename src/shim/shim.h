/*
 * The shim's shared state: the map from the program's fds to routed sockets
 * (the records are the engine's: routed_socket.h) and the configuration.
 *
 * Locking: shim.lock guards the fd map, the modem's addresses and each
 * record's daemon_fd; a record's shared fields are under engine_lock, which
 * may be taken while shim.lock is held, never the reverse (engine.h).
 * Program threads never touch the serial port.
 */
#ifndef ST87_SHIM_SHIM_H
#define ST87_SHIM_SHIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uthash.h>

#include "config.h"
#include "engine.h"
#include "internal.h"
#include "st87/st87.h"

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
	 * The largest datagram the modem takes, as this process's engine or st87d
	 * knows it (st87_modem_datagram_limit), 0 before it knew any: program threads give
	 * EMSGSIZE above it at once, as a kernel does, instead of the engine
	 * dropping the datagram later with a line.
	 */
	_Atomic size_t datagram_limit;

	/* the modem's own addresses (from the engine, or st87d's reports), "" when unknown */
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

/* Lazy, once: real libc pointers and the configuration. */
void shim_init(void);

/* True when shim_init found routes and @addr is one of them. */
bool shim_routes(const struct sockaddr *addr, socklen_t addr_len);

/* The routed socket behind @fd with a reference taken, or NULL (unrouted). */
struct routed_socket *shim_lookup(int fd);
/*
 * An interposer's first step: shim_init(), then the routed socket behind @fd
 * with a reference taken, or NULL when @fd is not routed or the engine thread
 * itself is the caller (its calls go to libc as they are).
 */
struct routed_socket *shim_routed(int fd);
/* Drops a reference from shim_lookup() or the map; at the last, the record and its st87d connection go. Lock not held. */
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

/* An unconnected UDP socket's destination named by connect() into @out (under the lock); its length, 0 none. */
socklen_t shim_connected_destination(struct routed_socket *s, struct sockaddr_storage *out);

/* What shim_route_connect() is told about the socket. */
enum route_flags {
	ROUTE_FRAMED = 1, /* unconnected UDP: datagrams carry a struct datagram_header */
};

/* Routes @fd to @addr (connect() and first sendto()): errno-style result (0 or -errno). */
int shim_route_connect(int fd, const struct sockaddr *addr, socklen_t addr_len, unsigned flags);

/* The modem's own address (for getsockname), "" when unknown. */
void shim_modem_address(int family, char *address, size_t len);
void shim_set_modem_address(const char *ipv4, const char *ipv6);

/* One line on stderr ("st87shim: ..."), through libst87's log levels. */
#define shim_log st87_log
void st87_log(enum st87_log_level level, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
