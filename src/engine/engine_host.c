/* The engine's host: its settings and hooks, the engine's fds, what it is told of the modem (engine_host.h). */
#include "engine_host.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>

#include "config.h"
#include "libc_calls.h"
#include "routed_socket.h"

struct engine_settings engine_settings_given;
static struct engine_host host;

/* The modem's addresses, for st87d's reports and status: under engine_lock. */
static char modem_ipv4[64], modem_ipv6[64];
/* The largest datagram the modem takes, for st87d's reports: written by the engine thread alone. */
static _Atomic size_t datagram_limit;

struct engine_settings engine_settings_from(const struct shim_config *config)
{
	return (struct engine_settings){
		.port = config->port,
		.baud = config->baud,
		.rtscts = config->rtscts,
		.hex_payloads = config->hex_payloads,
		.send_handshake = config->send_handshake,
		.sleep_hold_s = config->sleep_hold_s,
		.deadline_percent = config->deadline_percent,
		.trace_path = config->trace_path,
		.link_check_interval_s = config->link_check_interval_s,
		.udp_rai = config->udp_rai,
		.tcp_evict_idle_ms = config->tcp_evict_idle_ms,
		.connect_timeout_ms = config->connect_timeout_ms,
		.half_close_idle_ms = config->half_close_idle_ms,
		.exit_flush_timeout_ms = config->exit_flush_timeout_ms,
	};
}

void engine_host_keep(const struct engine_settings *settings, const struct engine_host *hooks)
{
	engine_settings_given = *settings;
	host = *hooks;
}

int engine_min_private_fd(void)
{
	return host.min_private_fd;
}

void engine_own_fd(int fd)
{
	if (host.own_fd)
		host.own_fd(fd);
}

void engine_disown_fd(int fd)
{
	if (host.disown_fd)
		host.disown_fd(fd);
}

int engine_private_fd(int fd)
{
	int moved = host.min_private_fd > 0 && fd < host.min_private_fd
		? libc_fcntl(fd, F_DUPFD_CLOEXEC, host.min_private_fd)
		: -1;
	if (moved >= 0) {
		libc_close(fd);
		fd = moved;
	}
	engine_own_fd(fd);
	return fd;
}

/* The host is told first: its close() would keep an fd it owns. */
void engine_close_private_fd(int fd)
{
	engine_disown_fd(fd);
	libc_close(fd);
}

void engine_modem_address(int family, char *address, size_t len)
{
	pthread_mutex_lock(&engine_lock);
	snprintf(address, len, "%s", family == AF_INET6 ? modem_ipv6 : modem_ipv4);
	pthread_mutex_unlock(&engine_lock);
}

void engine_publish_modem_addresses(const char *ipv4, const char *ipv6)
{
	pthread_mutex_lock(&engine_lock);
	snprintf(modem_ipv4, sizeof(modem_ipv4), "%s", ipv4);
	snprintf(modem_ipv6, sizeof(modem_ipv6), "%s", ipv6);
	pthread_mutex_unlock(&engine_lock);
	if (host.modem_addresses)
		host.modem_addresses(ipv4, ipv6);
}

/* For the host's program threads (the shim's sends) and, in st87d, its clients' reports. */
void engine_publish_datagram_limit(size_t limit)
{
	atomic_store_explicit(&datagram_limit, limit, memory_order_relaxed);
	if (host.datagram_limit)
		host.datagram_limit(limit);
}

size_t engine_published_datagram_limit(void)
{
	return atomic_load_explicit(&datagram_limit, memory_order_relaxed);
}

void engine_host_after_fork_in_child(void)
{
	modem_ipv4[0] = modem_ipv6[0] = '\0';
}
