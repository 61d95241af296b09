/*
 * st87-bench-probe: a small TCP client whose CPU time and memory
 * bench_idle.py and bench_memory.py read, with and without the shim.
 *
 *     st87-bench-probe PORT IDLE_SECONDS [SETTLE_SECONDS]
 *
 * Connects to 127.0.0.1:PORT (an echo server), exchanges one byte so the
 * connection is known to be up, waits SETTLE_SECONDS (default 0) for the
 * shim to finish what follows the exchange (reads, link check), then sleeps
 * IDLE_SECONDS with the connection open and idle, exchanges one more byte (the connection still works), and
 * prints one "key value" line each:
 *
 *     idle_cpu_ns        CPU time of the whole process (every thread, the
 *                        shim's engine included) during the idle sleep
 *     idle_wakeups       voluntary context switches of all threads during it
 *     total_cpu_us       user + system time of the process so far (getrusage)
 *     threads            threads of the process
 *     vm_rss_kb          VmRSS after the exchanges
 *     vm_hwm_kb          VmHWM (peak resident)
 *     rss_anon_kb, rss_file_kb   parts of VmRSS
 *
 * Exit status: 0, or 1 when the connection failed. Links with nothing but libc.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "st87-bench-probe: %s: %s\n", what, strerror(errno));
	return 1;
}

static long long cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The value of "@key:" in @path (a /proc status file), or -1. */
static long status_field(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char line[256];
	size_t key_len = strlen(key);
	long value = -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, key_len) && line[key_len] == ':') {
			value = strtol(line + key_len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

/* Voluntary context switches summed over every thread of this process. */
static long voluntary_switches(void)
{
	DIR *tasks = opendir("/proc/self/task");
	if (!tasks)
		return -1;
	long total = 0;
	struct dirent *entry;
	while ((entry = readdir(tasks))) {
		if (entry->d_name[0] == '.')
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/status", entry->d_name);
		long n = status_field(path, "voluntary_ctxt_switches");
		if (n > 0)
			total += n;
	}
	closedir(tasks);
	return total;
}

static void sleep_seconds(double seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	long long ns = (long long)(seconds * 1e9) + until.tv_nsec;
	until.tv_sec += (time_t)(ns / 1000000000LL);
	until.tv_nsec = (long)(ns % 1000000000LL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

static int exchange(int fd)
{
	char byte = 'p';
	if (send(fd, &byte, 1, 0) != 1)
		return -1;
	ssize_t n;
	while ((n = recv(fd, &byte, 1, 0)) < 0 && errno == EINTR)
		;
	return n == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: st87-bench-probe PORT IDLE_SECONDS [SETTLE_SECONDS]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	double idle = atof(argv[2]);
	double settle = argc == 4 ? atof(argv[3]) : 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		return fail("connect");
	if (exchange(fd) < 0)
		return fail("first exchange");
	sleep_seconds(settle);

	long switches_before = voluntary_switches();
	long long cpu_before = cpu_ns();
	sleep_seconds(idle);
	long long cpu_after = cpu_ns();
	long switches_after = voluntary_switches();

	if (exchange(fd) < 0)
		return fail("exchange after the idle time");
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	printf("idle_cpu_ns %lld\n", cpu_after - cpu_before);
	/* The probe's own sleep is one switch; the rest are other threads waking. */
	printf("idle_wakeups %ld\n", switches_after - switches_before);
	printf("total_cpu_us %lld\n",
	       (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000LL +
		       usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
	printf("threads %ld\n", status_field("/proc/self/status", "Threads"));
	printf("vm_rss_kb %ld\n", status_field("/proc/self/status", "VmRSS"));
	printf("vm_hwm_kb %ld\n", status_field("/proc/self/status", "VmHWM"));
	printf("rss_anon_kb %ld\n", status_field("/proc/self/status", "RssAnon"));
	printf("rss_file_kb %ld\n", status_field("/proc/self/status", "RssFile"));
	fflush(stdout);
	close(fd);
	return 0;
}
