/*
 * st87run: runs a program with libst87shim.so preloaded, in the manner of
 * `torsocks CMD`. Options become the ST87_* variables the shim reads.
 *
 *   st87run [--port P] [--baud B] [--rtscts] [--route R] [--dns D] [--log L] [--trace F] [--daemon S]
 *           [--allow-unrouted] [--isolate] [--] CMD ARGS...
 *
 * The ST87_* variables (options and inherited ones) are checked with the
 * shim's own parser before COMMAND runs: a bad one is the shim's line, and
 * exit status 125, instead of a command whose routed calls fail.
 *
 * It fails closed: a program the shim cannot reach (static, Go, no libc;
 * program_check.h) is refused with exit status 125 unless --allow-unrouted,
 * since its traffic would leave by another way, unseen. --isolate runs the
 * program in a network namespace of its own with only loopback (isolate.h),
 * so what the shim does not route cannot leave at all.
 *
 * The shim is found next to this program (a build tree), else where
 * `meson install` put it; ST87_SHIM_LIBRARY overrides both.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_file.h"
#include "config.h"
#include "isolate.h"
#include "program_check.h"

#ifndef ST87_SHIM_INSTALLED
#define ST87_SHIM_INSTALLED "/usr/local/lib/libst87shim.so"
#endif

static void usage(FILE *out)
{
	fputs("Usage: st87run [OPTION]... [--] COMMAND [ARG]...\n"
	      "Run COMMAND with its sockets for the routed destinations carried over an\n"
	      "ST87MXX modem (LD_PRELOAD=libst87shim.so).\n\n"
	      "  -p, --port PATH    serial port of the modem, or auto        (ST87_PORT)\n"
	      "  -b, --baud RATE    serial speed, default 115200             (ST87_BAUD)\n"
	      "      --rtscts       RTS/CTS flow control, for a modem wired so (ST87_RTSCTS)\n"
	      "  -r, --route RULES  destinations to route, default '*'       (ST87_ROUTE)\n"
	      "  -d, --dns IP[:PORT] resolver reached through the modem      (ST87_DNS)\n"
	      "  -l, --log LEVEL    none, error, warn, info or debug         (ST87_LOG)\n"
	      "  -t, --trace FILE   append the AT traffic to FILE            (ST87_TRACE)\n"
	      "  -D, --daemon PATH  st87d's socket, or off for the port; default: st87d\n"
	      "                     when it answers at " ST87D_DEFAULT_SOCKET "   (ST87_DAEMON)\n"
	      "      --allow-unrouted  run COMMAND even when the shim cannot reach its calls\n"
	      "                     (a static or Go program, or one without libc): its traffic\n"
	      "                     then leaves by the host's own network, not the modem\n"
	      "      --isolate      run COMMAND in a network namespace of its own with only\n"
	      "                     loopback: what the shim does not route fails (ENETUNREACH)\n"
	      "  -h, --help         show this help\n\n"
	      "Exit status: COMMAND's, or 125 when st87run itself fails or refuses COMMAND.\n",
	      out);
}

/* The shim beside this executable (build tree), or the installed one. */
static const char *find_shim(char *buffer, size_t len)
{
	const char *forced = getenv("ST87_SHIM_LIBRARY");
	if (forced && *forced)
		return forced;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(buffer, len, "%s/libst87shim.so", dirname(self));
		if (access(buffer, R_OK) == 0)
			return buffer;
	}
	return ST87_SHIM_INSTALLED;
}

static int set(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0) {
		fprintf(stderr, "st87run: cannot set %s: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Whether the shim can reach @command's calls: 0, after a warning line for
 * io_uring; -1 after the line saying why not. A command that is not found
 * is left for execvp() to report.
 */
static int check_program(const char *command)
{
	struct program_check check;
	char line[sizeof(check.path) + sizeof(check.why) + 16];
	if (program_check(command, &check) < 0)
		return 0;
	program_check_describe(&check, line, sizeof(line));
	if (check.refused) {
		fprintf(stderr,
			"st87run: %s; its traffic would not go over the modem (--allow-unrouted runs it "
			"anyway; a SOCKS5 client can use st87d --socks-port)\n",
			line);
		return -1;
	}
	if (check.uses_io_uring)
		fprintf(stderr, "st87run: warning: %s\n", line);
	return 0;
}

/*
 * Parses the ST87_* variables as the shim will. Returns 0, or prints each bad
 * variable's line as the shim would, with "st87run: " in front, and returns -1.
 */
static int check_variables(void)
{
	/* Static: the config holds two paths of 4 KiB. */
	static struct shim_config config;
	char errors[4096];

	if (shim_config_parse(NULL, &config, errors, sizeof(errors)) == 0)
		return 0;
	for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(stderr, "st87run: %s\n", line);
	return -1;
}

/* True when the configuration file names the routes: st87run's default ('*') must not hide them. */
static bool file_has_routes(void)
{
	static struct shim_conf_file file;
	const char *named = getenv("ST87_CONF");
	const char *path = named && *named ? named : SHIM_CONF_DEFAULT_PATH;
	char errors[256];
	shim_conf_file_load(path, false, shim_config_variable_name, &file, errors,
			    sizeof(errors)); /* problems: check_variables says */
	return shim_conf_file_value(&file, "ST87_ROUTE", NULL) != NULL;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'},     {"baud", required_argument, NULL, 'b'},
		{"rtscts", no_argument, NULL, 'R'},         {"route", required_argument, NULL, 'r'},
		{"dns", required_argument, NULL, 'd'},      {"log", required_argument, NULL, 'l'},
		{"trace", required_argument, NULL, 't'},    {"daemon", required_argument, NULL, 'D'},
		{"allow-unrouted", no_argument, NULL, 'U'}, {"isolate", no_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	static const char *const variables[] = {
		['p'] = "ST87_PORT", ['b'] = "ST87_BAUD",  ['r'] = "ST87_ROUTE",  ['d'] = "ST87_DNS",
		['l'] = "ST87_LOG",  ['t'] = "ST87_TRACE", ['D'] = "ST87_DAEMON", ['R'] = "ST87_RTSCTS",
	};
	int option;
	bool allow_unrouted = false, isolate = false;
	/* "+": options stop at the command, so its own options are left alone. */
	while ((option = getopt_long(argc, argv, "+p:b:r:d:l:t:D:h", options, NULL)) != -1) {
		if (option == 'h') {
			usage(stdout);
			return 0;
		}
		if (option == 'U' || option == 'I') {
			*(option == 'U' ? &allow_unrouted : &isolate) = true;
			continue;
		}
		if (option == '?' || option >= (int)(sizeof(variables) / sizeof(variables[0])) ||
		    !variables[option]) {
			usage(stderr);
			return 125;
		}
		/* --rtscts takes no value: it turns the setting on. */
		if (set(variables[option], optarg ? optarg : "1") < 0)
			return 125;
	}
	if (optind >= argc) {
		fputs("st87run: no command given (see st87run --help)\n", stderr);
		return 125;
	}
	if (!getenv("ST87_ROUTE") && !file_has_routes() && set("ST87_ROUTE", "*") < 0)
		return 125;
	if (check_variables() < 0)
		return 125;
	if (!allow_unrouted && check_program(argv[optind]) < 0)
		return 125;

	char shim_path[PATH_MAX + 32];
	const char *shim = find_shim(shim_path, sizeof(shim_path));
	/* The loader would skip a shim it cannot open, with a warning, and run the command unrouted. */
	if (access(shim, R_OK) < 0) {
		fprintf(stderr,
			"st87run: the shim %s: %s; nothing would be routed (ST87_SHIM_LIBRARY names "
			"it)\n",
			shim, strerror(errno));
		return 125;
	}
	const char *preload = getenv("LD_PRELOAD");
	char combined[2 * PATH_MAX];
	/* Libraries already preloaded (a sanitizer runtime, say) keep their place in front. */
	if (preload && *preload)
		snprintf(combined, sizeof(combined), "%s:%s", preload, shim);
	else
		snprintf(combined, sizeof(combined), "%s", shim);
	if (set("LD_PRELOAD", combined) < 0)
		return 125;
	char why[256];
	if (isolate && isolate_network(why, sizeof(why)) < 0) {
		fprintf(stderr, "st87run: --isolate: %s\n", why);
		return 125;
	}
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "st87run: %s: %s\n", argv[optind], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
