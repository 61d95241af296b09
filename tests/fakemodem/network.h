/* The network between the modem and its (loopback) peers: the switches as
 * given, the --network preset, and the figures in force after
 * --network-scale. Without any of them the network is loopback: nothing
 * waits, as the fake modem always was. */
#ifndef FM_NETWORK_H
#define FM_NETWORK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The switches, in their own units (ms, bytes per second, bytes). */
struct network_switches {
	const char *preset;       /* --network: "loopback" or "nbiot" */
	double scale;             /* --network-scale */
	long rtt_ms;              /* --rtt */
	long uplink_rate;         /* --uplink-rate, bytes/s; 0 unlimited */
	long downlink_rate;       /* --downlink-rate, bytes/s; 0 unlimited */
	long uplink_queue;        /* --uplink-queue, bytes */
	long radio_idle_after_ms; /* --radio-idle-after; 0: never idles */
	long rrc_setup_ms;        /* --rrc-setup */
	long late_percent;        /* --late-answers */
	long late_by_ms;          /* --late-by */
	bool cscon_urcs;          /* --cscon-urcs */
};

/* What the modem runs with: delays divided and rates multiplied by the scale. */
struct air_figures {
	const char *preset;
	double scale;
	int64_t rtt_us;
	double uplink_rate; /* bytes/s; 0 unlimited */
	double downlink_rate;
	long uplink_queue;
	int64_t radio_idle_after_us; /* 0: the radio never idles */
	int64_t rrc_setup_us;
	int64_t dns_delay_us;
	long late_percent;
	int64_t late_by_us;
	bool cscon_urcs;
	/* Anything stands between the modem and its peers (else the
	 * loopback behaviour, byte for byte). */
	bool air;
};

/* The value a preset gives a switch, as its argument text, or NULL. */
struct network_preset_value {
	const char *option; /* long name, e.g. "rtt" */
	const char *arg;
};
/* The nbiot preset; ends with {NULL, NULL}. */
extern const struct network_preset_value network_nbiot[];

void network_defaults(struct network_switches *n);
/* The figures in force; dns_delay_ms is --dns-delay (after the preset). */
void network_effective(const struct network_switches *n, long dns_delay_ms, struct air_figures *out);
/* A few lines for --help: the preset and the figures in force. */
void network_print_help(FILE *f, const struct air_figures *a);
/* "network": {...} for --stats (no separator around it). */
void network_print_json(FILE *f, const struct air_figures *a);

#endif
