#include "network.h"

#include <string.h>

/* Figures from NB-IoT in the field (issue 24's figures; docs/PROTOCOL.md §2), at the fast end so
 * a test suite can afford them: a round trip of 1.6 s, a few kbit/s each
 * way, idle after 10 s, an RRC setup of 1.5 s, a lookup of 2 s. */
const struct network_preset_value network_nbiot[] = {
	{"rtt", "1600"},
	{"uplink-rate", "2000"},
	{"downlink-rate", "3000"},
	{"uplink-queue", "4096"},
	{"radio-idle-after", "10000"},
	{"rrc-setup", "1500"},
	{"dns-delay", "2000"},
	{NULL, NULL},
};

/* A real modem's UART buffer holds a few KiB of sends waiting for the air. */
#define DEFAULT_UPLINK_QUEUE 4096

void network_defaults(struct network_switches *n)
{
	memset(n, 0, sizeof(*n));
	n->preset = "loopback";
	n->scale = 1.0;
	n->uplink_queue = DEFAULT_UPLINK_QUEUE;
}

static int64_t scaled_us(long ms, double scale)
{
	return (int64_t)((double)ms * 1000.0 / scale + 0.5);
}

void network_effective(const struct network_switches *n, long dns_delay_ms, struct air_figures *out)
{
	memset(out, 0, sizeof(*out));
	out->preset = n->preset;
	out->scale = n->scale;
	out->rtt_us = scaled_us(n->rtt_ms, n->scale);
	out->uplink_rate = (double)n->uplink_rate * n->scale;
	out->downlink_rate = (double)n->downlink_rate * n->scale;
	out->uplink_queue = n->uplink_queue;
	out->radio_idle_after_us = scaled_us(n->radio_idle_after_ms, n->scale);
	out->rrc_setup_us = scaled_us(n->rrc_setup_ms, n->scale);
	out->dns_delay_us = scaled_us(dns_delay_ms, n->scale);
	out->late_percent = n->late_percent;
	out->late_by_us = scaled_us(n->late_by_ms, n->scale);
	out->cscon_urcs = n->cscon_urcs;
	/* The radio is modelled as soon as one figure needs it: an RRC setup
	 * alone is paid once, by the first packet. */
	out->air = out->rtt_us || n->uplink_rate || n->downlink_rate || out->radio_idle_after_us ||
		out->rrc_setup_us;
}

static void print_rate(FILE *f, double rate)
{
	if (rate > 0)
		fprintf(f, "%.0f B/s", rate);
	else
		fputs("unlimited", f);
}

void network_print_help(FILE *f, const struct air_figures *a)
{
	fputs("  --network nbiot stands for:", f);
	for (const struct network_preset_value *v = network_nbiot; v->option; v++)
		fprintf(f, "%s--%s %s", (v - network_nbiot) % 2 ? " " : "\n                         ",
			v->option, v->arg);
	fprintf(f, "\n  In force with the switches given: network %s, scale %g,\n", a->preset, a->scale);
	fprintf(f, "    rtt %.1f ms, uplink ", (double)a->rtt_us / 1000.0);
	print_rate(f, a->uplink_rate);
	fputs(", downlink ", f);
	print_rate(f, a->downlink_rate);
	fprintf(f, ", uplink queue %ld B,\n", a->uplink_queue);
	fprintf(f, "    radio idle after %.1f ms%s, RRC setup %.1f ms, DNS %.1f ms,\n",
		(double)a->radio_idle_after_us / 1000.0, a->radio_idle_after_us ? "" : " (never)",
		(double)a->rrc_setup_us / 1000.0, (double)a->dns_delay_us / 1000.0);
	fprintf(f, "    late answers %ld %% by %.1f ms%s\n", a->late_percent,
		(double)a->late_by_us / 1000.0, a->air ? "" : "; no air model (loopback)");
}

void network_print_json(FILE *f, const struct air_figures *a)
{
	fprintf(f,
		"\"network\": {\"preset\": \"%s\", \"scale\": %g, \"air\": %s, \"rtt_ms\": %.3f, "
		"\"uplink_rate\": %.1f, \"downlink_rate\": %.1f, \"uplink_queue\": %ld, "
		"\"radio_idle_after_ms\": %.3f, \"rrc_setup_ms\": %.3f, \"dns_delay_ms\": %.3f, "
		"\"late_percent\": %ld, \"late_by_ms\": %.3f, \"cscon_urcs\": %s}",
		a->preset, a->scale, a->air ? "true" : "false", (double)a->rtt_us / 1000.0,
		a->uplink_rate, a->downlink_rate, a->uplink_queue,
		(double)a->radio_idle_after_us / 1000.0, (double)a->rrc_setup_us / 1000.0,
		(double)a->dns_delay_us / 1000.0, a->late_percent, (double)a->late_by_us / 1000.0,
		a->cscon_urcs ? "true" : "false");
}
