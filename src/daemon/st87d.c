/*
 * st87d: owns the modem's serial port and serves routed sockets to every
 * program on the host over a Unix socket, as gpsd serves a GPS. The bridge
 * between a program's pair and the modem is the engine (src/engine), the one
 * the shim runs in a program; this file is the daemon around it: options,
 * settings, the listening socket (or systemd's), signals, and the accept loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admission.h"
#include "config.h"
#include "engine.h"
#include "internal.h"
#include "listen_socket.h"
#include "metrics_file.h"
#include "metrics_http.h"
#include "metrics_text.h"
#include "no_modem.h"
#include "serve.h"
#include "socks_serve.h"
#include "wire.h"

#define DEFAULT_GROUP "dialout"
#define DEFAULT_MODE 0660
/* systemd's socket activation hands its sockets over from fd 3 on. */
#define SYSTEMD_FIRST_FD 3
/*
 * Without a modem, an activated st87d answers clients until none has come for
 * this long: systemd keeps queueing them on its socket, and a program's retry
 * is answered at once rather than after systemd's restart delay.
 */
#define ACTIVATED_QUIET_MS 1000
/* node_exporter's default scrape is every 15 s; the radio is worth a command a minute. */
#define DEFAULT_METRICS_INTERVAL_S 15
#define DEFAULT_METRICS_RADIO_INTERVAL_S 60

struct options {
	bool foreground;
	int verbosity;
	const char *socket_path;
	const char *group;
	mode_t mode;
	struct metrics_file_settings metrics; /* path NULL: no --metrics-file */
	const char *metrics_address;          /* --metrics: NULL, none */
	int metrics_radio_interval_s;
	const char *socks_path; /* --socks: NULL, none */
	int socks_port;         /* --socks-port: 0, none */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: st87d [-f] [-v] [--socket PATH] [--group NAME] [--mode OCTAL]\n"
		"             [--metrics ADDR:PORT] [--metrics-file PATH [--metrics-interval S]]\n"
		"             [--metrics-radio-interval S] [--socks PATH] [--socks-port N]\n"
		"Owns the ST87 modem's serial port and serves routed sockets to programs run with the\n"
		"st87shim (LD_PRELOAD or st87run), which use it whenever it answers on its socket.\n"
		"The port, baud rate and other settings come from the ST87_* variables, as in the "
		"shim.\n"
		"  -f, --foreground   stay in the foreground (for systemd and debugging)\n"
		"  -v, --verbose      log each client and socket (-vv: also every AT exchange's "
		"outcome)\n"
		"  --socket PATH      Unix socket to serve on (default: $ST87_DAEMON, else %s)\n"
		"  --group NAME       group whose members may use the modem (default %s; '' for anyone\n"
		"                     who can open the socket); root and st87d's own user always may\n"
		"  --mode OCTAL       the socket file's mode (default %o)\n"
		"  --metrics ADDR:PORT\n"
		"                     serve the metrics (Prometheus text format) at /metrics on a\n"
		"                     loopback address, e.g. 127.0.0.1:9187\n"
		"  --metrics-file PATH\n"
		"                     write the Prometheus text format to PATH (whole, by rename)\n"
		"                     every --metrics-interval seconds (default %d)\n"
		"  --metrics-radio-interval S\n"
		"                     ask the radio (AT+CESQ, AT+CSCON?) for them at most every S\n"
		"                     seconds (default %d), never while the modem may sleep\n"
		"  --socks PATH       a SOCKS5 door (CONNECT, no password) on a Unix socket, for\n"
		"                     programs the shim cannot reach; same --group and --mode\n"
		"  --socks-port N     the SOCKS5 door on 127.0.0.1 and ::1 port N; a client's uid is\n"
		"                     the kernel's owner of its socket, checked against --group\n",
		ST87D_DEFAULT_SOCKET, DEFAULT_GROUP, DEFAULT_MODE, DEFAULT_METRICS_INTERVAL_S,
		DEFAULT_METRICS_RADIO_INTERVAL_S);
}

/* A whole number of seconds, 1 to a day. */
static int parse_seconds(const char *option, const char *text, int *seconds)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (errno || end == text || *end || value < 1 || value > 86400) {
		fprintf(stderr, "st87d: %s %s: expected whole seconds from 1 to 86400\n", option, text);
		return -1;
	}
	*seconds = (int)value;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},
		{"socket", required_argument, NULL, 's'},
		{"group", required_argument, NULL, 'g'},
		{"mode", required_argument, NULL, 'm'},
		{"metrics", required_argument, NULL, 'A'},
		{"metrics-file", required_argument, NULL, 'M'},
		{"metrics-interval", required_argument, NULL, 'I'},
		{"metrics-radio-interval", required_argument, NULL, 'R'},
		{"socks", required_argument, NULL, 'S'},
		{"socks-port", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int option;
	while ((option = getopt_long(argc, argv, "fvh", long_options, NULL)) != -1) {
		char *end;
		switch (option) {
		case 'f':
			options->foreground = true;
			break;
		case 'v':
			options->verbosity++;
			break;
		case 's':
			options->socket_path = optarg;
			break;
		case 'g':
			options->group = optarg;
			break;
		case 'm':
			errno = 0;
			options->mode = (mode_t)strtoul(optarg, &end, 8);
			if (errno || *end || end == optarg || options->mode > 0777) {
				fprintf(stderr,
					"st87d: --mode %s: expected an octal file mode such as 0660\n",
					optarg);
				return -1;
			}
			break;
		case 'A':
			options->metrics_address = optarg;
			break;
		case 'M':
			options->metrics.path = optarg;
			break;
		case 'I':
		case 'R':
			if (parse_seconds(option == 'I' ? "--metrics-interval"
							: "--metrics-radio-interval",
					  optarg,
					  option == 'I' ? &options->metrics.interval_s
							: &options->metrics_radio_interval_s) < 0)
				return -1;
			break;
		case 'S':
			options->socks_path = optarg;
			break;
		case 'P':
			errno = 0;
			options->socks_port = (int)strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || options->socks_port < 1 ||
			    options->socks_port > 65535) {
				fprintf(stderr,
					"st87d: --socks-port %s: expected a port from 1 to 65535\n",
					optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "st87d: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int resolve_group(const char *name, struct access_policy *policy)
{
	snprintf(policy->group_name, sizeof(policy->group_name), "%s", name);
	if (name[0] == '\0') {
		policy->any_group = true;
		return 0;
	}
	struct group *entry = getgrnam(name);
	if (!entry) {
		fprintf(stderr, "st87d: --group %s: no such group\n", name);
		return -1;
	}
	policy->group = entry->gr_gid;
	return 0;
}

/* The socket systemd passed (LISTEN_FDS), or -1. */
static int socket_from_systemd(void)
{
	const char *pid = getenv("LISTEN_PID");
	const char *count = getenv("LISTEN_FDS");
	if (!pid || !count || atoi(pid) != (int)getpid() || atoi(count) != 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	return SYSTEMD_FIRST_FD;
}

/*
 * Goes to the background before the engine thread exists (fork keeps one
 * thread); the parent waits until the child has opened the modem, so its
 * exit status still says whether st87d started. Returns the pipe to report on.
 */
static int go_to_background(void)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	pid_t child = fork();
	if (child < 0)
		return -1;
	if (child > 0) {
		close(ready[1]);
		char status = 1;
		if (read(ready[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(ready[0]);
	setsid();
	if (chdir("/") < 0)
		return -1;
	/* The caller's terminal or pipe is not ours to hold: `$(st87d)` and ssh return. Logs stay on stderr. */
	int nothing = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nothing >= 0) {
		dup2(nothing, STDIN_FILENO);
		dup2(nothing, STDOUT_FILENO);
		close(nothing);
	}
	return ready[1];
}

static void report_started(int pipe_fd, bool started)
{
	if (pipe_fd < 0)
		return;
	char status = started ? 0 : 1;
	if (write(pipe_fd, &status, 1) != 1)
		perror("st87d: reporting start-up");
	close(pipe_fd);
}

struct acceptor {
	int listener;
	const struct access_policy *policy;
};

/* Out of fds or memory for a moment: worth waiting this long and accepting again, not giving up. */
#define ACCEPT_RETRY_MS 100

static bool accept_may_succeed_later(int err)
{
	return err == EINTR || err == ECONNABORTED || err == EMFILE || err == ENFILE || err == ENOBUFS ||
		err == ENOMEM;
}

/*
 * Accepts clients on a thread of its own (the main thread waits for
 * signals) and hands each to admission.c, which never waits on a client:
 * every request gets its own thread.
 */
static void *accept_clients(void *argument)
{
	const struct acceptor *acceptor = argument;
	for (;;) {
		int connection = accept4(acceptor->listener, NULL, NULL, SOCK_CLOEXEC);
		if (connection >= 0) {
			admit_client(connection, acceptor->policy);
			continue;
		}
		int err = errno;
		if (!accept_may_succeed_later(err))
			return NULL;
		if (err != EINTR && err != ECONNABORTED) {
			st87_log(ST87_LOG_WARN, "accepting a client: %s: trying again", strerror(err));
			usleep(ACCEPT_RETRY_MS * 1000);
		}
	}
}

/* Serves until a stop signal; 0, or 1 when serving could not start. */
static int serve(int listener, const struct access_policy *policy)
{
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGHUP);
	int signals = signalfd(-1, &stop_signals, SFD_CLOEXEC);
	static struct acceptor acceptor;
	acceptor = (struct acceptor){.listener = listener, .policy = policy};
	pthread_t thread;
	if (signals < 0 || pthread_create(&thread, NULL, accept_clients, &acceptor) != 0) {
		perror("st87d: cannot serve");
		return 1;
	}
	struct signalfd_siginfo info;
	while (read(signals, &info, sizeof(info)) != sizeof(info))
		if (errno != EINTR)
			return 1;
	st87_log(ST87_LOG_INFO, "signal %u: closing every modem socket and stopping", info.ssi_signo);
	/* The acceptor may be inside a request: the engine's exit ends it (its job fails), and exit ends the thread. */
	return 0;
}

/*
 * The ST87_* settings (and st87.conf), read as the shim reads them: each bad
 * one logged. False when one is bad enough that st87d must not start.
 */
static bool read_settings(struct shim_config *config)
{
	char errors[4096];
	int err = shim_config_parse(NULL, config, errors, sizeof(errors));
	st87_log_set_level(config->log_level);
	if (err) {
		for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n"))
			st87_log(ST87_LOG_ERROR, "%s", line);
	}
	return err == 0 || !config->fail_routed;
}

/* The engine, hosted here: nothing interposes close() in st87d, so it needs no hooks. */
static void start_engine_hosting(const struct shim_config *config)
{
	struct engine_settings settings = engine_settings_from(config);
	struct engine_host host = {0};
	engine_init(&settings, &host);
	serve_configure(config);
}

/* The SOCKS doors asked for, into @fds (the Unix socket, 127.0.0.1, ::1; -1 where none). 0, or -1 said. */
static int open_socks_doors(const struct options *options, const struct access_policy *policy,
			    int fds[3])
{
	if (options->socks_path &&
	    (fds[0] = listen_at(options->socks_path, policy, options->mode, SOCK_STREAM)) < 0)
		return -1;
	if (options->socks_port && socks_listen_port(options->socks_port, fds + 1) < 0) {
		if (fds[0] >= 0)
			unlink(options->socks_path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options options = {.group = DEFAULT_GROUP,
				  .mode = DEFAULT_MODE,
				  .metrics = {.interval_s = DEFAULT_METRICS_INTERVAL_S},
				  .metrics_radio_interval_s = DEFAULT_METRICS_RADIO_INTERVAL_S};
	if (parse_options(argc, argv, &options) < 0)
		return 2;
	st87_log_set_name("st87d");
	/* Static: the config holds two paths of 4 KiB, and the engine keeps pointers to them. */
	static struct shim_config config;
	if (!read_settings(&config)) {
		fprintf(stderr, "st87d: fix the ST87_* variables above\n");
		return 2;
	}
	start_engine_hosting(&config);
	int level = (int)config.log_level;
	if (options.verbosity > 0 && level < ST87_LOG_INFO + options.verbosity - 1)
		level = ST87_LOG_INFO + options.verbosity - 1;
	st87_log_set_level((enum st87_log_level)(level > ST87_LOG_DEBUG ? ST87_LOG_DEBUG : level));
	if (!options.socket_path)
		options.socket_path = config.daemon_use == SHIM_DAEMON_REQUIRED ? config.daemon_socket
										: ST87D_DEFAULT_SOCKET;
	struct access_policy policy = {0};
	if (resolve_group(options.group, &policy) < 0)
		return 2;

	/* Signals are read from a signalfd; every thread (the engine's too) keeps them blocked. */
	sigset_t blocked;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGHUP);
	sigaddset(&blocked, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);

	/* Refused before anything starts: a wrong address is a usage error, a port taken a start failure. */
	char why[320];
	int metrics_listener = options.metrics_address
		? metrics_http_listen(options.metrics_address, why, sizeof(why))
		: -1;
	if (options.metrics_address && metrics_listener < 0) {
		fprintf(stderr, "st87d: %s\n", why);
		return metrics_listener == -EINVAL ? 2 : 1;
	}
	int listener = socket_from_systemd();
	bool activated = listener >= 0;
	if (!activated &&
	    (listener = listen_at(options.socket_path, &policy, options.mode, SOCK_SEQPACKET)) < 0)
		return 1;
	int socks_listeners[3] = {-1, -1, -1};
	if (open_socks_doors(&options, &policy, socks_listeners) < 0) {
		if (!activated)
			unlink(options.socket_path);
		return 1;
	}
	int started_pipe = -1;
	if (!options.foreground && (started_pipe = go_to_background()) < 0) {
		perror("st87d: going to the background");
		return 1;
	}
	char error[320];
	if (serve_open_modem(error, sizeof(error)) < 0) {
		fprintf(stderr, "st87d: %s\n", error);
		if (!activated)
			unlink(options.socket_path); /* no new clients: only the queued ones are answered */
		report_started(started_pipe, false);
		answer_without_modem(listener, error, activated ? ACTIVATED_QUIET_MS : 0);
		return 1;
	}
	st87_log(ST87_LOG_INFO, "serving %s on %s (group %s)", config.port,
		 activated ? "systemd's socket" : options.socket_path,
		 policy.any_group ? "any" : policy.group_name);
	report_started(started_pipe, true);
	metrics_text_configure(options.metrics_radio_interval_s);
	int err = options.metrics.path ? metrics_file_start(&options.metrics) : 0;
	if (err < 0)
		st87_log(ST87_LOG_ERROR, "--metrics-file %s: no writer thread: %s", options.metrics.path,
			 strerror(-err));
	err = metrics_listener >= 0 ? metrics_http_serve(metrics_listener) : 0;
	if (err < 0)
		st87_log(ST87_LOG_ERROR, "--metrics %s: no serving thread: %s", options.metrics_address,
			 strerror(-err));
	for (size_t i = 0; i < 3; i++) {
		err = socks_listeners[i] >= 0 ? socks_serve(socks_listeners[i], &policy, &config) : 0;
		if (err < 0)
			st87_log(ST87_LOG_ERROR, "SOCKS door: no accepting thread: %s", strerror(-err));
	}
	int status = serve(listener, &policy);
	close(listener);
	if (!activated)
		unlink(options.socket_path);
	if (options.socks_path)
		unlink(options.socks_path);
	engine_flush_at_exit();
	return status;
}
