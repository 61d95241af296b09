/* Command-line options of st87-fakemodem. */
#ifndef FM_OPTIONS_H
#define FM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "network.h"
#include "radio.h"

/* Largest payload of one send that --max-send may allow (and the size of
 * the buffers that hold one). */
#define FM_MAX_SEND_LIMIT 1600
/* --dns-entry: how many, and the longest name (a DNS name's limit). */
#define FM_MAX_DNS_ENTRIES 16
#define FM_MAX_DNS_NAME 253

/* How a binary send's payload follows its command line (docs/PROTOCOL.md §7). */
enum send_handshake {
	SEND_ONE_STEP, /* the note: data right after the line, one result */
	SEND_TWO_STEP, /* the maker: OK to the line, then data, then a result */
};

/* What AT#IPREAD answers when nothing is waiting. */
enum empty_read {
	EMPTY_READ_HEADER, /* "#IPREAD: <cid>,<sid>,0" then OK */
	EMPTY_READ_OK,     /* a bare OK */
};

/* The URC that announces a --link-loss-after. */
enum link_loss_urc {
	LOSS_NW_DEACT,  /* +CGEV: NW PDN DEACT <cid> */
	LOSS_NW_DETACH, /* +CGEV: NW DETACH */
	LOSS_IPCFG0,    /* #IPCFG: <cid>,0 */
	LOSS_CEREG,     /* +CEREG: 2 */
};

/* A name AT#DNS knows (--dns-entry NAME=ADDR). */
struct dns_entry {
	char name[FM_MAX_DNS_NAME + 1];
	int family; /* AF_INET or AF_INET6 */
	char addr[64];
};

struct fm_options {
	const char *link_path;  /* --link: symlink to the slave */
	const char *stats_path; /* --stats */
	const char *trace_path; /* --trace */
	char ipv4[64];          /* --ipv4: the modem's own addresses */
	char ipv6[64];          /* --ipv6 */
	bool echo;              /* --echo: echo on at start */
	bool ignore_ate0;       /* --ignore-ate0 */
	bool echo_data;         /* --echo-data: echo on repeats a binary send's bytes too */
	bool echo_cr_alone;  /* --echo-cr-alone: an echoed line ends in CR alone, as the host sent it */
	bool link_down;      /* --link-down: IP link down at start */
	long auto_ip_ms;     /* --auto-ip; -1 when not given */
	unsigned long baud;  /* --baud; 0 = no pacing */
	bool fragment;       /* --fragment */
	bool urc_noise;      /* --urc-noise */
	bool urc_interleave; /* --urc-interleave */
	bool garbage;        /* --garbage */
	long latency_ms;     /* --latency */
	long stall_after;    /* --stall-after; -1 when not given */
	long stall_for_ms;   /* --stall-for; -1: the stall lasts */
	long reboot_after;   /* --reboot-after; -1 when not given */
	long connect_delay_ms; /* --connect-delay */
	long read_chunk;       /* --read-chunk */
	long rx_buffer;        /* --rx-buffer */
	bool no_close_urc;     /* --no-close-urc */
	bool socketclosed_urc; /* --socketclosed-urc */
	bool seed_given;
	uint64_t seed; /* --seed */

	/* Firmware variants; --profile sets a consistent group of them. */
	const char *profile;                /* --profile: "note" or "maker" */
	enum send_handshake send_handshake; /* --send-handshake */
	long cid;                           /* --cid: the only PDN context id */
	bool dns;                           /* --dns / --no-dns: AT#DNS supported */
	long dns_delay_ms;                  /* --dns-delay */
	int ndns;                           /* --dns-entry, in the order given */
	struct dns_entry dns_entries[FM_MAX_DNS_ENTRIES];
	long max_send;               /* --max-send: largest payload of one send */
	bool hex_counts_chars;       /* --hex-counts-chars */
	bool refuse_port_zero;       /* --refuse-port-zero: a TCP socket's <udp_port> 0 is 2141 */
	enum empty_read empty_read;  /* --empty-read */
	const char *ping_prefix;     /* --ping-prefix: "IPPING" or "IPING" */
	long sid_base;               /* --sid-base: the first socket id */
	long sleep_after_ms;         /* --sleep-after; -1: no AT#SLEEPMODE */
	bool sleep_urcs;             /* --sleep-urcs: #SLEEP and #WAKEUP */
	bool strict_baud;            /* --strict-baud: a host at another speed is not understood */
	const char *reboot_line;     /* --reboot-line: the first boot line */
	bool cme_without_code;       /* --cme-without-code */
	long dns_ttl;                /* --dns-ttl; -1: no TTL field */
	bool dns_error_after_answer; /* --dns-error-after-answer */
	bool cr_only;                /* --cr-only: the byte after a send line's CR is data, even an LF */
	bool answers_end_in_cr;      /* --answers-end-in-cr: the modem's lines framed by CR alone */
	long long_line;              /* --long-line: a line this long before each result; 0 none */
	long reboot_in_read;         /* --reboot-in-read: restart in the Nth read's block; -1 never */

	/* Faults injected once or a few times. */
	long refuse_connects;             /* --refuse-connects */
	long link_loss_after;             /* --link-loss-after; -1 when not given */
	enum link_loss_urc link_loss_urc; /* --link-loss-urc */
	long link_return_ms;              /* --link-return; -1 when not given */
	long fail_send_after;             /* --fail-send-after; -1 when not given */
	long fail_send_code;              /* --fail-send-code */
	bool keep_sockets_on_link_loss;   /* --keep-sockets-on-link-loss */
	long cereg_2_while_up;            /* --cereg-2-while-up; -1 when not given */
	long simst_without_reboot;        /* --simst-without-reboot; -1 when not given */
	bool dns_no_server;               /* --dns-no-server: AT#DNS answers 2112 */
	bool cfun_1_drops_stack;          /* --cfun-1-drops-stack: AT+CFUN=1 while on is 98 */

	struct radio_switches radio; /* --rsrp, --rsrq, --rssi, --radio-unknown */

	/* The air between the modem and its peers (network.h). */
	struct network_switches net; /* as given, after --network */
	struct air_figures air;      /* in force, after --network-scale */
};

/* Fills *opt from argv. Returns -1 when the program should run, otherwise
 * the exit status to leave with at once (0 after --help/--version, 2 after
 * a bad argument, which has been reported on stderr in one line). */
int options_parse(int argc, char **argv, struct fm_options *opt);

#endif
