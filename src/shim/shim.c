/* The shim's global state: start-up, the fd map, fork and exit. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"
#include "libc_calls.h"
#include "real.h"

struct shim_state shim = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Set while this thread initialises: calls made meanwhile (by dlsym, a sanitizer) must not wait for it. */
static __attribute__((tls_model("initial-exec"))) _Thread_local bool initialising;
/* Set once initialise() has run: the common case skips pthread_once. */
static atomic_bool ready;

/* The map's lock, then the engine's: the order engine.h sets. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&shim.lock);
	engine_before_fork();
}

static void fork_parent(void)
{
	engine_after_fork_in_parent();
	pthread_mutex_unlock(&shim.lock);
}

/*
 * The shim's own fds (serial port, engine ends, wake-up, st87d connections)
 * are the parent's: a child holding copies would keep a pair open after the
 * parent's engine closed it (the parent would not see a modem loss) and
 * would keep the port's lock after the parent exits. Routed records stay,
 * with no daemon connection: the child reads its reports no more.
 */
static void mark_mapped(int fd, bool mapped);

static void drop_private_fds_in_child(void)
{
	struct fd_entry *entry, *next;
	HASH_ITER(hh, shim.fds, entry, next)
	{
		if (entry->socket) {
			entry->socket->daemon_fd = -1;
			entry->socket->engine_fd = -1;
			continue;
		}
		if (!shim_entry_is_private(entry))
			continue;
		libc_close(entry->fd);
		HASH_DEL(shim.fds, entry);
		mark_mapped(entry->fd, false);
		atomic_fetch_sub(&shim.fd_count, 1);
		free(entry);
	}
}

/*
 * The child has no engine thread and no lock on the port. Its inherited
 * routed fds still reach the parent's engine (or st87d), like a shared
 * kernel socket would; a connect of its own starts its own engine, which
 * finds the port busy while the parent holds it (st87d serves both).
 */
static void fork_child(void)
{
	drop_private_fds_in_child();
	pthread_mutex_init(&shim.lock, NULL);
	engine_after_fork_in_child();
}

/* Seconds as the engine's milliseconds, without overflow. */
static int linger_ms(const struct linger *linger)
{
	return linger->l_linger < 0                 ? 0
		: linger->l_linger > INT_MAX / 1000 ? INT_MAX
						    : linger->l_linger * 1000;
}

/* SO_LINGER as the program leaves @fd (its end of the pair holds it), closed or at exit: the exit's flush keeps to it. Lock held. */
static void note_linger_locked(int fd, struct routed_socket *s)
{
	struct linger linger;
	socklen_t len = sizeof(linger);
	if (libc_getsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, &len) < 0)
		return;
	pthread_mutex_lock(&engine_lock);
	s->linger_at_exit = linger.l_onoff != 0;
	s->linger_ms = linger_ms(&linger);
	pthread_mutex_unlock(&engine_lock);
}

static void note_lingers(void)
{
	pthread_mutex_lock(&shim.lock);
	struct fd_entry *entry, *next;
	HASH_ITER(hh, shim.fds, entry, next)
	{
		if (entry->socket)
			note_linger_locked(entry->fd, entry->socket);
	}
	pthread_mutex_unlock(&shim.lock);
}

static void at_exit(void)
{
	note_lingers();
	engine_flush_at_exit();
}

static void publish_datagram_limit(size_t limit)
{
	atomic_store_explicit(&shim.datagram_limit, limit, memory_order_relaxed);
}

/* The engine in this process: its fds are the map's private ones, its news the shim's. */
static void start_engine_hosting(void)
{
	struct engine_settings settings = engine_settings_from(&shim.config);
	struct engine_host host = {
		.own_fd = shim_map_add_private,
		.disown_fd = shim_map_remove_private,
		.modem_addresses = shim_set_modem_address,
		.datagram_limit = publish_datagram_limit,
		.min_private_fd = shim.min_private_fd,
	};
	engine_init(&settings, &host);
}

static void initialise(void)
{
	initialising = true;
	real_libc_init();
	st87_log_set_name("st87shim");
	char errors[4096];
	int err = shim_config_parse(NULL, &shim.config, errors, sizeof(errors));
	st87_log_set_level(shim.config.log_level);
	if (err) {
		for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n"))
			shim_log(ST87_LOG_ERROR, "%s", line);
	}
	shim.config_ok = err == 0;

	/* The shim's own fds go near the top of the fd table, where programs rarely dup2 to. */
	struct rlimit limit;
	int top = 1024;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
	    limit.rlim_cur < 1u << 20)
		top = (int)limit.rlim_cur;
	shim.min_private_fd = top > 256 ? top - 64 : top / 2;
	start_engine_hosting();

	if (!shim.config.inert) {
		pthread_atfork(fork_prepare, fork_parent, fork_child);
		atexit(at_exit);
	}
	initialising = false;
	atomic_store_explicit(&ready, true, memory_order_release);
}

void shim_init(void)
{
	if (atomic_load_explicit(&ready, memory_order_acquire) || initialising)
		return;
	pthread_once(&init_once, initialise);
}

__attribute__((constructor)) static void shim_constructor(void)
{
	shim_init();
}

bool shim_routes(const struct sockaddr *addr, socklen_t addr_len)
{
	shim_init();
	if (shim.config.inert || !addr)
		return false;
	return shim_route_match(&shim.config.routes, addr, addr_len);
}

static void mark_mapped(int fd, bool mapped)
{
	if (fd < 0 || fd >= SHIM_FD_BITS)
		return;
	uint64_t bit = (uint64_t)1 << (fd % 64);
	if (mapped)
		atomic_fetch_or(&shim.mapped_bits[fd / 64], bit);
	else
		atomic_fetch_and(&shim.mapped_bits[fd / 64], ~bit);
}

static struct fd_entry *find_locked(int fd)
{
	struct fd_entry *entry = NULL;
	HASH_FIND_INT(shim.fds, &fd, entry);
	return entry;
}

struct routed_socket *shim_lookup(int fd)
{
	if (!shim_fd_maybe_mapped(fd))
		return NULL;
	pthread_mutex_lock(&shim.lock);
	struct fd_entry *entry = find_locked(fd);
	struct routed_socket *socket = entry ? entry->socket : NULL;
	if (socket)
		routed_socket_hold(socket);
	pthread_mutex_unlock(&shim.lock);
	return socket;
}

struct routed_socket *shim_routed(int fd)
{
	shim_init();
	return on_engine_thread ? NULL : shim_lookup(fd);
}

void shim_release_locked(struct routed_socket *socket)
{
	/* Read while the reference keeps the record: the engine's last release frees none with one. */
	int daemon_fd = socket->daemon_fd;
	if (routed_socket_release(socket) && daemon_fd >= 0) {
		shim_map_remove_private_locked(daemon_fd);
		libc_close(daemon_fd);
	}
}

void shim_release(struct routed_socket *socket)
{
	pthread_mutex_lock(&shim.lock);
	shim_release_locked(socket);
	pthread_mutex_unlock(&shim.lock);
}

int shim_map_add_locked(int fd, struct routed_socket *socket)
{
	struct fd_entry *entry = find_locked(fd);
	if (entry) {
		if (entry->socket)
			shim_release_locked(entry->socket);
	} else {
		entry = calloc(1, sizeof(*entry));
		if (!entry)
			return -ENOMEM;
		entry->fd = fd;
		entry->pending_rai = -1;
		HASH_ADD_INT(shim.fds, fd, entry);
		mark_mapped(fd, true);
		atomic_fetch_add(&shim.fd_count, 1);
	}
	entry->socket = socket;
	entry->pending_rai = -1; /* routed now, or the shim's own */
	if (socket)
		routed_socket_hold(socket);
	return 0;
}

bool shim_map_remove_locked(int fd, bool *was_private)
{
	struct fd_entry *entry = find_locked(fd);
	*was_private = false;
	if (!entry)
		return false;
	if (shim_entry_is_private(entry)) {
		*was_private = true;
		return true;
	}
	HASH_DEL(shim.fds, entry);
	mark_mapped(fd, false);
	atomic_fetch_sub(&shim.fd_count, 1);
	if (entry->socket) {
		note_linger_locked(fd, entry->socket);
		shim_release_locked(entry->socket);
	}
	free(entry);
	return true;
}

void shim_map_add_private(int fd)
{
	pthread_mutex_lock(&shim.lock);
	int err = shim_map_add_locked(fd, NULL);
	pthread_mutex_unlock(&shim.lock);
	if (err)
		shim_log(ST87_LOG_WARN,
			 "out of memory: the program's close(%d) would close the shim's own fd", fd);
}

void shim_map_remove_private_locked(int fd)
{
	struct fd_entry *entry = find_locked(fd);
	if (entry && shim_entry_is_private(entry)) {
		HASH_DEL(shim.fds, entry);
		mark_mapped(fd, false);
		atomic_fetch_sub(&shim.fd_count, 1);
		free(entry);
	}
}

void shim_map_remove_private(int fd)
{
	pthread_mutex_lock(&shim.lock);
	shim_map_remove_private_locked(fd);
	pthread_mutex_unlock(&shim.lock);
}

void shim_modem_address(int family, char *address, size_t len)
{
	pthread_mutex_lock(&shim.lock);
	snprintf(address, len, "%s", family == AF_INET6 ? shim.modem_ipv6 : shim.modem_ipv4);
	pthread_mutex_unlock(&shim.lock);
}

void shim_set_modem_address(const char *ipv4, const char *ipv6)
{
	pthread_mutex_lock(&shim.lock);
	snprintf(shim.modem_ipv4, sizeof(shim.modem_ipv4), "%s", ipv4);
	snprintf(shim.modem_ipv6, sizeof(shim.modem_ipv6), "%s", ipv6);
	pthread_mutex_unlock(&shim.lock);
}

bool shim_is_private_fd(int fd)
{
	if (!shim_fd_maybe_mapped(fd))
		return false;
	pthread_mutex_lock(&shim.lock);
	struct fd_entry *entry = find_locked(fd);
	bool is_private = entry && shim_entry_is_private(entry);
	pthread_mutex_unlock(&shim.lock);
	return is_private;
}

int shim_set_pending_rai(int fd, int rai)
{
	pthread_mutex_lock(&shim.lock);
	struct fd_entry *entry = find_locked(fd);
	int err = entry ? 0 : shim_map_add_locked(fd, NULL);
	if (!err)
		find_locked(fd)->pending_rai = rai;
	pthread_mutex_unlock(&shim.lock);
	return err;
}

int shim_pending_rai(int fd)
{
	if (!shim_fd_maybe_mapped(fd))
		return -1;
	pthread_mutex_lock(&shim.lock);
	struct fd_entry *entry = find_locked(fd);
	int rai = entry && !entry->socket ? entry->pending_rai : -1;
	pthread_mutex_unlock(&shim.lock);
	return rai;
}

int shim_private_fd(int fd)
{
	if (fd < 0 || fd >= shim.min_private_fd)
		return fd;
	int moved = libc_fcntl(fd, F_DUPFD_CLOEXEC, shim.min_private_fd);
	if (moved < 0)
		return fd; /* no room up there: keep the low number */
	libc_close(fd);
	return moved;
}

socklen_t shim_connected_destination(struct routed_socket *s, struct sockaddr_storage *out)
{
	pthread_mutex_lock(&engine_lock);
	socklen_t len = s->default_destination_len;
	memcpy(out, &s->default_destination, len);
	pthread_mutex_unlock(&engine_lock);
	return len;
}
