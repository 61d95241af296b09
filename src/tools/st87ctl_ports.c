/* st87ctl ports: the serial ports, with the ones that look like the modem marked. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "st87ctl.h"

/* Enough for any real host; more are counted and the overflow is said. */
#define MAX_LISTED_PORTS 64

static void print_help(void)
{
	printf("Usage: st87ctl ports\n"
	       "List the serial ports with their USB VID:PID and description.\n"
	       "'*' marks the ports that look like an ST87 modem: the ones\n"
	       "--port auto (or ST87_PORT=auto) would choose from.\n\n%s",
	       st87ctl_exit_code_help);
}

int st87ctl_ports_run(const struct st87ctl_globals *globals, int argc, char **argv)
{
	(void)globals;
	int parsed = st87ctl_parse_no_arguments("ports", argc, argv, print_help);
	if (parsed >= 0)
		return parsed;

	struct st87_port_info *ports = calloc(MAX_LISTED_PORTS, sizeof(*ports));
	if (!ports) {
		st87ctl_error("out of memory");
		return ST87CTL_EXIT_MODEM_ERROR;
	}
	int count = st87_serial_list(ports, MAX_LISTED_PORTS);
	if (count < 0) {
		st87ctl_error("%s", st87ctl_describe(count));
		free(ports);
		return ST87CTL_EXIT_NO_MODEM;
	}
	if (count == 0)
		printf("no serial ports found\n");
	else
		printf("  %-24s %-9s  %s\n", "PORT", "VID:PID", "DESCRIPTION");
	int modems = 0;
	for (int i = 0; i < count && i < MAX_LISTED_PORTS; i++) {
		const struct st87_port_info *port = &ports[i];
		char usb_id[16] = "-";
		if (port->usb_vid >= 0)
			snprintf(usb_id, sizeof(usb_id), "%04x:%04x", (unsigned)port->usb_vid & 0xffffu,
				 (unsigned)port->usb_pid & 0xffffu);
		modems += port->looks_like_modem;
		printf("%c %-24s %-9s  %s\n", port->looks_like_modem ? '*' : ' ', port->path, usb_id,
		       port->description);
	}
	if (count > MAX_LISTED_PORTS)
		printf("(and %d more not shown)\n", count - MAX_LISTED_PORTS);
	if (count > 0)
		printf("\n%d port%s look%s like an ST87 modem ('*').\n", modems, modems == 1 ? "" : "s",
		       modems == 1 ? "s" : "");
	free(ports);
	return ST87CTL_EXIT_OK;
}
