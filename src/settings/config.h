/*
 * The shim's configuration: the ST87_* environment variables, parsed once at
 * start-up into a struct shim_config.
 *
 * | variable | default | value |
 * | --- | --- | --- |
 * | `ST87_ROUTE` | unset: nothing routed, the shim is inert | destinations carried over the modem: comma-separated `[!]ADDR[/PREFIX][:PORT]` rules, IPv6 in brackets, `*` for all, `!` to exclude; the first match decides (route.h) |
 * | `ST87_PORT` | `auto` | the modem's serial device as an absolute path, or `auto` to find it by its USB id |
 * | `ST87_BAUD` | `115200` | serial speed: a standard rate from 1200 to 4000000 |
 * | `ST87_RTSCTS` | `0` | `1`: hardware flow control (RTS/CTS), for a modem whose UART has those lines wired |
 * | `ST87_DNS` | unset: no resolver over the modem | resolver reached over the modem for names /etc/hosts does not answer: `IP[:PORT]`, IPv6 in brackets, port 53 when left out (`9.9.9.9`, `[2620:fe::fe]:53`) |
 * | `ST87_LOG` | `error` | what goes to stderr: `none`, `error`, `warn`, `info`, `debug` (any case), or `0`..`4` |
 * | `ST87_TRACE` | unset: no trace | file the AT traffic is appended to |
 * | `ST87_HEX` | `0` | `1`: send payloads as hex text instead of binary (for links that mangle bytes) |
 * | `ST87_SEND_HANDSHAKE` | `detect` | how the modem takes a binary send: `one-step` (the line and its data at once, as the note says), `two-step` (the line, its OK, then the data, as the maker's drivers do), or `detect`: learned on a process's first send, which waits for the line's answer once (tens of milliseconds) |
 * | `ST87_CONNECT_TIMEOUT` | `60000` | milliseconds a routed `connect()` may take, 1..3600000 (on NB-IoT: the radio's set-up, the modem's start, a connect tried three times over seconds-long round trips); also how long a routed TCP connect may wait in line for the modem's one TCP socket, and a name's DNS query for its modem UDP socket |
 * | `ST87_DEADLINE_PERCENT` | `100` | how long each AT command may take, as a percentage of libst87's table of deadlines (at least the maker's), 1..1000: raise it where coverage is poor |
 * | `ST87_LINK_CHECK` | `60` | seconds between link-status checks of an idle routed TCP socket while the modem has not shown that it announces closes, 0..86400; `0` never checks |
 * | `ST87_SLEEP_HOLD` | unset: the modem's own (AT#SLEEPMODE? at start-up; 10 s where the firmware has no such command) | seconds the modem stays awake after a command before it may sleep (its AT#SLEEPMODE hold time), 0..86400: a command after that much quiet is preceded by the wake probe; `0`: the modem never sleeps unless it says #SLEEP |
 * | `ST87_UDP_RAI` | `0` | release assistance of a routed UDP socket's datagrams: `0` none, `1` no downlink expected, `2` one downlink expected (a socket's ST87_SO_RAI wins; DNS queries always go with 2) |
 * | `ST87_TCP_EVICT_IDLE` | `200` | milliseconds a routed TCP connection must have been idle before a routed TCP connect of the same program waiting in line may take the modem's only TCP socket from it, 0..3600000; `0` never takes it |
 * | `ST87_HALF_CLOSE_IDLE` | `5000` | milliseconds a routed TCP connection whose program shut its writing side (`shutdown(SHUT_WR)`) may stay quiet before its modem socket is closed, so that the peer sees the end of the data, 0..3600000; `0` keeps it open until the program closes it |
 * | `ST87_CONF` | `/etc/st87/st87.conf` when present | a `key = value` file with these settings (conf_file.h), read where the environment leaves one unset; when named it must exist |
 * | `ST87_DAEMON` | unset: st87d's socket `/run/st87/st87d.sock` when a daemon answers there, else the port | the absolute path of st87d's socket: routed sockets go through that daemon and fail when it does not answer; `off`: never the daemon, always the port |
 * | `ST87_EXIT_FLUSH_TIMEOUT` | `60000` | milliseconds the program's exit keeps waiting for its unsent data while the modem takes none of it (no cap while it does), 0..3600000; `0` sends nothing more, but still closes the modem sockets |
 *
 * A variable set to the empty string counts as unset. Whitespace around
 * numbers, keywords and addresses is ignored; paths are taken as written.
 *
 * Bad values: each bad variable gives one line naming it, its value and what
 * was expected, and keeps its default. The shim then never guesses:
 *  - a bad ST87_ROUTE routes nothing (the shim is inert), so the program's
 *    traffic goes where it would have gone without the shim;
 *  - any other bad variable with good routes makes routed calls fail with an
 *    errno (fail_routed): routed traffic never leaves another way, and never
 *    reaches the modem with settings the user did not ask for.
 *
 * Nothing here links libst87 but its libc-only settings tables: the baud
 * rates (st87_baud_supported()) and the log level names
 * (st87_log_parse_level()).
 */
#ifndef ST87_SHIM_CONFIG_H
#define ST87_SHIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "route.h"
#include "st87/st87.h"

/* Longest path (with its NUL) ST87_PORT and ST87_TRACE may hold. */
#define SHIM_CONFIG_PATH_SIZE 4096

#define SHIM_CONFIG_DEFAULT_PORT "auto"
#define SHIM_CONFIG_DEFAULT_BAUD 115200
#define SHIM_CONFIG_DEFAULT_DNS_PORT 53
#define SHIM_CONFIG_DEFAULT_CONNECT_TIMEOUT_MS 60000
/* The longest any of the timeouts may be: an hour, anything longer is a typo. */
#define SHIM_CONFIG_MAX_TIMEOUT_MS 3600000
#define SHIM_CONFIG_DEFAULT_LINK_CHECK_S 60
/* ST87_SLEEP_HOLD unset: the modem is asked (AT#SLEEPMODE?), 10 s where it cannot say. */
#define SHIM_CONFIG_SLEEP_HOLD_ASK (-1)
#define SHIM_CONFIG_DEFAULT_EXIT_FLUSH_TIMEOUT_MS 60000
#define SHIM_CONFIG_DEFAULT_TCP_EVICT_IDLE_MS 200
#define SHIM_CONFIG_DEFAULT_HALF_CLOSE_IDLE_MS 5000
/* Where st87d listens when neither --socket nor ST87_DAEMON says otherwise. */
#define ST87D_DEFAULT_SOCKET "/run/st87/st87d.sock"

enum shim_daemon_use {
	SHIM_DAEMON_IF_RUNNING, /* the daemon when it answers at daemon_socket, else the port */
	SHIM_DAEMON_REQUIRED,   /* ST87_DAEMON named it: the daemon or nothing */
	SHIM_DAEMON_OFF,        /* always the port */
};

struct shim_config {
	/* Nothing can be routed: ST87_ROUTE unset, empty, only "!" rules, or
	 * bad. Every call goes straight to libc. */
	bool inert;
	/* A variable was bad: routed calls must fail, not leave another way. */
	bool fail_routed;
	struct shim_route_table routes;
	/* A device path, or "auto" in lower case whatever case the value had: libst87's
	 * st87_modem_open() compares it as written, so parse_port() is the one check. */
	char port[SHIM_CONFIG_PATH_SIZE];
	int baud;
	bool rtscts; /* hardware flow control on the port */
	bool has_dns_server;
	/* Names go to the modem (AT#DNS, else ST87_DNS): ST87_DNS is set or every DNS destination is routed. */
	bool names_over_modem;
	struct sockaddr_storage dns_server; /* AF_INET or AF_INET6, port set */
	/* Without ST87_DNS: queries go to the DNS server the modem is configured with (AT#IPPARAMS?),
	 * where it names one, instead of AT#DNS. */
	bool modem_dns_server;
	socklen_t dns_server_len;
	enum st87_log_level log_level;
	char trace_path[SHIM_CONFIG_PATH_SIZE]; /* "" for no trace */
	bool hex_payloads;
	enum st87_send_handshake send_handshake; /* ST87_SEND_DETECT: learned on the first send */
	int connect_timeout_ms;
	int link_check_interval_s; /* 0: never */
	int deadline_percent;      /* of every AT command's deadline (libst87's table) */
	int sleep_hold_s;      /* 0: the modem sleeps only when it says so; SHIM_CONFIG_SLEEP_HOLD_ASK */
	int udp_rai;           /* <rai> of routed datagrams: 0, 1 or 2 */
	int tcp_evict_idle_ms; /* 0: an idle connection keeps the TCP socket */
	int exit_flush_timeout_ms; /* a stall bound, not a cap: the most time without a byte moved; 0: send nothing more */
	int half_close_idle_ms; /* after shutdown(SHUT_WR): quiet time before the modem socket closes; 0 never */
	enum shim_daemon_use daemon_use;
	char daemon_socket[108]; /* sun_path's size */
};

/* Looks a variable up: NULL when unset. Tests pass their own table. */
typedef const char *(*shim_config_getenv_fn)(const char *name);

/*
 * The process environment, in the shape shim_config_parse() takes. Uses
 * secure_getenv(): in a set-user-ID or set-group-ID program every variable
 * reads as unset (so the shim is inert), since ST87_TRACE could otherwise
 * make it write any file.
 */
const char *shim_config_process_getenv(const char *name);

/*
 * Fills @config with every default: inert (nothing routed), port "auto",
 * 115200 baud, no DNS server, log level error, no trace, binary payloads,
 * and the default timeouts above.
 */
void shim_config_set_defaults(struct shim_config *config);

/*
 * Reads every ST87_* variable through @getenv_fn (NULL: the process
 * environment) into @config, starting from the defaults.
 * Returns 0, or -EINVAL when a variable (or @config) is bad: see "Bad values"
 * above for what @config then says. @errors (when not NULL, @errors_len > 0)
 * gets one '\n'-terminated line per bad variable, e.g.
 * `ST87_BAUD="fast": expected a baud rate such as 115200 (...)`, or "" when
 * all is well; it is always NUL-terminated, lines that do not fit are cut.
 * Does not allocate.
 */
int shim_config_parse(shim_config_getenv_fn getenv_fn, struct shim_config *config, char *errors,
		      size_t errors_len);

/*
 * shim_config_parse() for a program that uses a few settings (st87ctl): reads
 * only the variables in @names (NULL-terminated; NULL: all), so a bad value
 * of any other one is never looked at; those keep their defaults. A problem
 * with the configuration file itself (unreadable, a bad line) is reported
 * all the same.
 */
int shim_config_parse_some(shim_config_getenv_fn getenv_fn, const char *const *names,
			   struct shim_config *config, char *errors, size_t errors_len);

/*
 * Parses @value as variable @name ("ST87_PORT") would be parsed into
 * @config, for a value given another way (st87ctl --port): 0, or -EINVAL
 * with what was expected in @problem (no name, no newline). Unlike a
 * variable, "" is a value here, and checked as one.
 */
int shim_config_parse_value(const char *name, const char *value, struct shim_config *config,
			    char *problem, size_t problem_len);

/* The @i-th ST87_* variable (a conf_file.h shim_variable_names), NULL past the last. */
const char *shim_config_variable_name(size_t i);

#endif
