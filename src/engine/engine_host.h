/*
 * The engine's host, as engine_init() was given it: the settings it runs by,
 * the hooks it tells things through, and the fds it keeps out of the
 * program's way. Beneath every other part of the engine: they read the
 * settings and make their fds here, and never reach the host another way.
 */
#ifndef ST87_ENGINE_ENGINE_HOST_H
#define ST87_ENGINE_ENGINE_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "st87/st87.h"

/* What the engine reads of the configuration (config.h says what each means); given once, at start. */
struct engine_settings {
	const char *port; /* the host's: must outlive the engine */
	int baud;
	bool rtscts;
	bool hex_payloads;
	enum st87_send_handshake send_handshake;
	int sleep_hold_s; /* SHIM_CONFIG_SLEEP_HOLD_ASK: ask the modem */
	int deadline_percent;
	const char *trace_path; /* "" or NULL: no trace */
	int link_check_interval_s;
	int udp_rai;
	int tcp_evict_idle_ms;
	int connect_timeout_ms; /* a connect waiting for the TCP socket without a deadline of its own */
	int half_close_idle_ms;
	int exit_flush_timeout_ms;
};

struct shim_config;
/* The engine's part of a parsed configuration (its strings stay @config's). */
struct engine_settings engine_settings_from(const struct shim_config *config);

/* What the engine tells the one hosting it. Any hook may be NULL. */
struct engine_host {
	/*
	 * The engine's own fds (the port, the wake-up, the pairs' engine ends),
	 * after it opens one and before it closes one: a host that interposes
	 * close() keeps the program's hands off them. Called without engine_lock.
	 */
	void (*own_fd)(int fd);
	void (*disown_fd)(int fd);
	/* The modem's addresses, once its link is up (for getsockname). */
	void (*modem_addresses)(const char *ipv4, const char *ipv6);
	/* The largest datagram the modem takes, 0 while unknown: published on every turn of the loop. */
	void (*datagram_limit)(size_t limit);
	/* The engine's fds go at or above this, out of the program's way (0: anywhere). */
	int min_private_fd;
};

/* @fd out of the program's way (at or above the host's min_private_fd) and the host told it is the engine's. */
int engine_private_fd(int fd);
/* Closes an fd engine_private_fd() gave, the host told first. */
void engine_close_private_fd(int fd);

/* The modem's address of @family (AF_INET or AF_INET6) as the engine knows it, "" when unknown. */
void engine_modem_address(int family, char *address, size_t len);

/* Inside the engine, not for its hosts: */

/* The host's settings, as engine_init() was given them. */
extern struct engine_settings engine_settings_given;

/* Keeps copies of @settings and @hooks (engine_init). */
void engine_host_keep(const struct engine_settings *settings, const struct engine_host *hooks);
/* Where the engine's fds go: the host's min_private_fd. */
int engine_min_private_fd(void);
/* The host told that @fd, opened elsewhere (the modem's port), is the engine's; or is no longer. */
void engine_own_fd(int fd);
void engine_disown_fd(int fd);

/* The modem's addresses, once its link is up: for engine_modem_address() and the host. */
void engine_publish_modem_addresses(const char *ipv4, const char *ipv6);
/* The largest datagram the modem takes, each turn of the loop: for st87d's clients and the host. */
void engine_publish_datagram_limit(size_t limit);
size_t engine_published_datagram_limit(void);

/* In a forked child: the parent's modem addresses are not the child's (the settings and hooks are). */
void engine_host_after_fork_in_child(void);

#endif
