/* --stats: counters written as one line of JSON at exit and on SIGUSR1:
 *
 * {"open_sockets": 0, "commands": {"AT": 3, "AT#IPREAD": 7}, "bytes_from_host": 512,
 *  "bytes_to_host": 2048, "payload_sent": 100, "payload_received": 1500,
 *  "udp_dropped": 0, "reboots": 0, "profile": "note", "send_handshake": "one",
 *  "dns_queries": 0, "connects_refused_injected": 0,
 *  "sends_failed_injected": 0, "link_losses": 0, "lines_at_wrong_speed": 0, "udp_rai_0": 0,
 *  "udp_rai_1": 0, "udp_rai_2": 0, "wakeups": 0, "commands_while_asleep": 0,
 *  "awake_ms": 1200, "run_ms": 1200, "uplink_bytes_queued": 0, "uplink_bytes_sent": 0,
 *  "downlink_bytes_queued": 0, "downlink_bytes_sent": 0, "sends_held_for_uplink": 0,
 *  "rrc_setups": 0, "radio_connected_ms": 0, "late_answers": 0, "network": {...}}
 *
 * (one line in the file). "Host" is the computer on the pty side. */
#ifndef FM_STATS_H
#define FM_STATS_H

#include <stdint.h>

#include "air.h"
#include "network.h"

#define STATS_MAX_COMMANDS 64

struct stats {
	uint64_t bytes_from_host;  /* bytes read from the pty */
	uint64_t bytes_to_host;    /* bytes written to the pty */
	uint64_t payload_sent;     /* payload bytes of accepted AT#IPSEND* */
	uint64_t payload_received; /* payload bytes handed out by AT#IPREAD */
	uint64_t reboots;
	uint64_t dns_queries;               /* AT#DNS lookups made (found or not) */
	uint64_t connects_refused_injected; /* --refuse-connects */
	uint64_t sends_failed_injected;     /* --fail-send-after */
	uint64_t link_losses;               /* --link-loss-after */
	uint64_t udp_rai[3];                /* accepted AT#IPSENDUDP by <rai> */
	uint64_t wakeups;                   /* --sleep-after: times woken */
	uint64_t commands_while_asleep;     /* lines lost waking the modem */
	uint64_t lines_at_wrong_speed;      /* --strict-baud: lines lost to a host at another speed */
	uint64_t awake_ms;                  /* filled in when written */
	uint64_t run_ms;                    /* filled in when written: since start */
	const char *profile;                /* --profile */
	const char *send_handshake;         /* "one" or "two" */
	struct air_stats air;               /* the air model */
	const struct air_figures *network;  /* the figures in force */
	int ncommands;
	struct {
		char name[40];
		uint64_t count;
	} commands[STATS_MAX_COMMANDS];
};

/* Counts one command line under its keyword (e.g. "AT#IPREAD"). Past
 * STATS_MAX_COMMANDS distinct names, counts go to "OTHER". */
void stats_count_command(struct stats *s, const char *keyword);
/* Writes the JSON to path (through a temporary file and rename, so a reader
 * never sees half a file). Returns 0 or -errno. */
int stats_write(const struct stats *s, const char *path, int open_sockets, uint64_t udp_dropped);

#endif
