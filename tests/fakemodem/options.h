/* Command-line options of st87-fakemodem. */
#ifndef FM_OPTIONS_H
#define FM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct fm_options {
	const char *link_path;    /* --link: symlink to the slave */
	const char *stats_path;   /* --stats */
	const char *trace_path;   /* --trace */
	char ipv4[64];            /* --ipv4: the modem's own addresses */
	char ipv6[64];            /* --ipv6 */
	bool echo;                /* --echo: echo on at start */
	bool ignore_ate0;         /* --ignore-ate0 */
	bool link_down;           /* --link-down: IP link down at start */
	long auto_ip_ms;          /* --auto-ip; -1 when not given */
	unsigned long baud;       /* --baud; 0 = no pacing */
	bool fragment;            /* --fragment */
	bool urc_noise;           /* --urc-noise */
	bool urc_interleave;      /* --urc-interleave */
	bool garbage;             /* --garbage */
	long latency_ms;          /* --latency */
	long stall_after;         /* --stall-after; -1 when not given */
	long reboot_after;        /* --reboot-after; -1 when not given */
	long connect_delay_ms;    /* --connect-delay */
	long read_chunk;          /* --read-chunk */
	long rx_buffer;           /* --rx-buffer */
	bool no_close_urc;        /* --no-close-urc */
	bool socketclosed_urc;    /* --socketclosed-urc */
	bool seed_given;
	uint64_t seed;            /* --seed */
};

/* Fills *opt from argv. Returns -1 when the program should run, otherwise
 * the exit status to leave with at once (0 after --help/--version, 2 after
 * a bad argument, which has been reported on stderr in one line). */
int options_parse(int argc, char **argv, struct fm_options *opt);

#endif
