/*
 * st87ctl: what the modem CLI's subcommands share.
 *
 * Each subcommand lives in its own st87ctl_<name>.c and gets the global
 * options (port, baud, trace, output format) already parsed by st87ctl.c,
 * plus its own argv (argv[0] is the subcommand's name). It returns one of
 * the exit codes below; it prints its own errors with st87ctl_error().
 */
#ifndef ST87CTL_H
#define ST87CTL_H

#include <stdbool.h>
#include <stdio.h>

#include "st87/st87.h"

#if defined(__GNUC__)
#define ST87CTL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define ST87CTL_PRINTF(fmt, args)
#endif

/*
 * Exit codes, the same for every subcommand (and printed by --help):
 *   0  success
 *   1  the modem answered with an error; ping: no reply at all
 *   2  usage error (bad option, bad value, out of the note's limits);
 *      ping: any other error, as ping(8) does
 *   3  no modem: the port is missing, busy or not a serial port, or
 *      nothing answers on it
 */
enum st87ctl_exit {
	ST87CTL_EXIT_OK = 0,
	ST87CTL_EXIT_MODEM_ERROR = 1,
	ST87CTL_EXIT_USAGE = 2,
	ST87CTL_EXIT_NO_MODEM = 3,
};

/* The exit-code table as --help prints it. */
extern const char st87ctl_exit_code_help[];

/*
 * Options that come before the subcommand, or the settings (ST87_* variables,
 * st87.conf) as the shim's parser read them.
 */
struct st87ctl_globals {
	const char *port;          /* a path, or "auto" */
	int baud;                  /* 0: the library's default */
	bool rtscts;               /* RTS/CTS flow control on the port */
	const char *trace_path;    /* NULL: no AT trace */
	bool json;                 /* machine-readable output where supported */
	const char *daemon_socket; /* st87d's socket; NULL: never st87d (ST87_DAEMON=off) */
	bool daemon_required;      /* ST87_DAEMON named the socket: st87d or nothing */
};

struct st87ctl_command {
	const char *name;
	const char *synopsis; /* arguments after the name, for usage lines */
	const char *summary;  /* one line for the program's --help */
	int (*run)(const struct st87ctl_globals *globals, int argc, char **argv);
};

int st87ctl_ports_run(const struct st87ctl_globals *globals, int argc, char **argv);
int st87ctl_status_run(const struct st87ctl_globals *globals, int argc, char **argv);
int st87ctl_ping_run(const struct st87ctl_globals *globals, int argc, char **argv);
int st87ctl_at_run(const struct st87ctl_globals *globals, int argc, char **argv);
int st87ctl_close_all_run(const struct st87ctl_globals *globals, int argc, char **argv);
int st87ctl_config_run(const struct st87ctl_globals *globals, int argc, char **argv);
int st87ctl_doctor_run(const struct st87ctl_globals *globals, int argc, char **argv);
int st87ctl_watch_run(const struct st87ctl_globals *globals, int argc, char **argv);

/*
 * Runs st87d request @kind (wire.h) at the daemon @globals name and prints the
 * answer: an exit code, or -1 when no daemon serves.
 */
int st87ctl_via_daemon(const struct st87ctl_globals *globals, int kind, bool json);
struct st87d_request;
/* The same for a request with its fields filled in (ST87D_AT), its answer printed to @out. */
int st87ctl_daemon_request(const struct st87ctl_globals *globals, struct st87d_request *request,
			   bool json, FILE *out);

/*
 * Sends st87d at @socket_path a request of @kind and hands each ST87D_TEXT
 * line of its answer to @take. 0; -errno with @why when st87d cannot be
 * reached, does not answer (-EPROTO) or answers an error (its errno).
 */
int st87ctl_daemon_lines(const char *socket_path, int kind, void (*take)(void *user, const char *line),
			 void *user, char *why, size_t why_len);

/* "st87ctl: <message>" on stderr, one line. */
void st87ctl_error(const char *format, ...) ST87CTL_PRINTF(1, 2);

/*
 * Reports a usage error of @p command (NULL: the program itself), with a
 * pointer to its --help, and returns ST87CTL_EXIT_USAGE.
 */
int st87ctl_usage_error(const char *command, const char *format, ...) ST87CTL_PRINTF(2, 3);

/*
 * Reports what getopt_long() (called with ':' leading its option string)
 * objected to, @p option being what it returned ('?' or ':'), and returns
 * ST87CTL_EXIT_USAGE.
 */
int st87ctl_bad_option(const char *command, int option, char **argv);

/*
 * What a subcommand's getopt_long() loop does with an option it has no case
 * of: 'h' prints @p print_help and returns ST87CTL_EXIT_OK; anything else
 * is reported as st87ctl_bad_option() does, returning ST87CTL_EXIT_USAGE.
 */
int st87ctl_help_or_bad_option(const char *command, int option, char **argv, void (*print_help)(void));

/*
 * After the options: -1 when no argument is left, or ST87CTL_EXIT_USAGE
 * after naming the first one.
 */
int st87ctl_no_argument_left(const char *command, int argc, char **argv);

/*
 * Parses the arguments of a subcommand that takes none but --help.
 * Returns -1 to go on, or the exit code: ST87CTL_EXIT_OK after printing the
 * help, ST87CTL_EXIT_USAGE after saying what was wrong.
 */
int st87ctl_parse_no_arguments(const char *command, int argc, char **argv, void (*print_help)(void));

/*
 * Parses a whole decimal number in [@p min, @p max] (surrounding blanks
 * allowed, as the shim's ST87_* variables allow them).
 * 0 and sets @p value, or -EINVAL (not a number) or -ERANGE (outside).
 */
int st87ctl_parse_int(const char *text, int min, int max, int *value);

/*
 * The libst87 account of the failure that returned @p err: st87_last_error()
 * when it has one, otherwise st87_strerror(@p err).
 */
const char *st87ctl_describe(int err);

/*
 * Opens the modem the global options name (st87_modem_open only: the modem's
 * state is not touched). @p on_event and @p user go to the modem options.
 * Returns ST87CTL_EXIT_OK and sets @p modem, or prints the reason
 * ("st87ctl: /dev/ttyUSB0: No such file or directory") and returns
 * ST87CTL_EXIT_NO_MODEM.
 */
int st87ctl_open_modem(const struct st87ctl_globals *globals, st87_event_fn on_event,
		       st87_urc_fn on_unsolicited, void *user, struct st87_modem **modem);

/*
 * The exit code for @p err returned by a command on an open modem:
 * ST87CTL_EXIT_NO_MODEM when the modem stopped answering or the port
 * failed, ST87CTL_EXIT_MODEM_ERROR otherwise.
 */
int st87ctl_exit_for(int err);

/* The path of the port @p modem has open (useful when it was "auto"). */
const char *st87ctl_modem_path(struct st87_modem *modem, char *buf, size_t len);

/* Writes @p text as a JSON string, quotes included. */
void st87ctl_json_string(FILE *out, const char *text);

#endif
