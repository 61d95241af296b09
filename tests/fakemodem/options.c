#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

#ifndef FAKEMODEM_VERSION
#define FAKEMODEM_VERSION "unknown"
#endif

#define PROG "st87-fakemodem"
#define PROFILE_VARIABLE "ST87_FAKEMODEM_PROFILE"

/* Values returned by getopt_long for the long-only options. */
enum {
	OPT_LINK = 256,
	OPT_ECHO,
	OPT_IGNORE_ATE0,
	OPT_IPV4,
	OPT_IPV6,
	OPT_LINK_DOWN,
	OPT_AUTO_IP,
	OPT_BAUD,
	OPT_FRAGMENT,
	OPT_URC_NOISE,
	OPT_URC_INTERLEAVE,
	OPT_GARBAGE,
	OPT_LATENCY,
	OPT_STALL_AFTER,
	OPT_STALL_FOR,
	OPT_REBOOT_AFTER,
	OPT_CONNECT_DELAY,
	OPT_READ_CHUNK,
	OPT_RX_BUFFER,
	OPT_NO_CLOSE_URC,
	OPT_SOCKETCLOSED_URC,
	OPT_STATS,
	OPT_TRACE,
	OPT_SEED,
	OPT_PROFILE,
	OPT_SEND_HANDSHAKE,
	OPT_CID,
	OPT_DNS,
	OPT_NO_DNS,
	OPT_DNS_ENTRY,
	OPT_DNS_DELAY,
	OPT_MAX_SEND,
	OPT_HEX_COUNTS_CHARS,
	OPT_REFUSE_PORT_ZERO,
	OPT_EMPTY_READ,
	OPT_PING_PREFIX,
	OPT_SID_BASE,
	OPT_REFUSE_CONNECTS,
	OPT_LINK_LOSS_AFTER,
	OPT_LINK_LOSS_URC,
	OPT_LINK_RETURN,
	OPT_FAIL_SEND_AFTER,
	OPT_FAIL_SEND_CODE,
	OPT_SLEEP_AFTER,
	OPT_SLEEP_URCS,
	OPT_STRICT_BAUD,
	OPT_NETWORK,
	OPT_NETWORK_SCALE,
	OPT_RTT,
	OPT_UPLINK_RATE,
	OPT_DOWNLINK_RATE,
	OPT_UPLINK_QUEUE,
	OPT_RADIO_IDLE_AFTER,
	OPT_RRC_SETUP,
	OPT_CSCON_URCS,
	OPT_LATE_ANSWERS,
	OPT_LATE_BY,
	OPT_CEREG_2_WHILE_UP,
	OPT_KEEP_SOCKETS_ON_LINK_LOSS,
	OPT_SIMST_WITHOUT_REBOOT,
	OPT_REBOOT_LINE,
	OPT_CME_WITHOUT_CODE,
	OPT_DNS_NO_SERVER,
	OPT_CFUN_1_DROPS_STACK,
	OPT_DNS_TTL,
	OPT_DNS_ERROR_AFTER_ANSWER,
	OPT_RSRP,
	OPT_RSRQ,
	OPT_RSSI,
	OPT_RADIO_UNKNOWN,
	OPT_CR_ONLY,
	OPT_ANSWERS_END_IN_CR,
	OPT_LONG_LINE,
	OPT_REBOOT_IN_READ,
	OPT_ECHO_DATA,
	OPT_ECHO_CR_ALONE,
	OPT_END
};

static const struct option long_options[] = {
	{"link", required_argument, NULL, OPT_LINK},
	{"echo", no_argument, NULL, OPT_ECHO},
	{"ignore-ate0", no_argument, NULL, OPT_IGNORE_ATE0},
	{"ipv4", required_argument, NULL, OPT_IPV4},
	{"ipv6", required_argument, NULL, OPT_IPV6},
	{"link-down", no_argument, NULL, OPT_LINK_DOWN},
	{"auto-ip", required_argument, NULL, OPT_AUTO_IP},
	{"baud", required_argument, NULL, OPT_BAUD},
	{"fragment", no_argument, NULL, OPT_FRAGMENT},
	{"urc-noise", no_argument, NULL, OPT_URC_NOISE},
	{"urc-interleave", no_argument, NULL, OPT_URC_INTERLEAVE},
	{"garbage", no_argument, NULL, OPT_GARBAGE},
	{"latency", required_argument, NULL, OPT_LATENCY},
	{"stall-after", required_argument, NULL, OPT_STALL_AFTER},
	{"stall-for", required_argument, NULL, OPT_STALL_FOR},
	{"reboot-after", required_argument, NULL, OPT_REBOOT_AFTER},
	{"connect-delay", required_argument, NULL, OPT_CONNECT_DELAY},
	{"read-chunk", required_argument, NULL, OPT_READ_CHUNK},
	{"rx-buffer", required_argument, NULL, OPT_RX_BUFFER},
	{"no-close-urc", no_argument, NULL, OPT_NO_CLOSE_URC},
	{"socketclosed-urc", no_argument, NULL, OPT_SOCKETCLOSED_URC},
	{"stats", required_argument, NULL, OPT_STATS},
	{"trace", required_argument, NULL, OPT_TRACE},
	{"seed", required_argument, NULL, OPT_SEED},
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"send-handshake", required_argument, NULL, OPT_SEND_HANDSHAKE},
	{"cid", required_argument, NULL, OPT_CID},
	{"dns", no_argument, NULL, OPT_DNS},
	{"no-dns", no_argument, NULL, OPT_NO_DNS},
	{"dns-entry", required_argument, NULL, OPT_DNS_ENTRY},
	{"dns-delay", required_argument, NULL, OPT_DNS_DELAY},
	{"max-send", required_argument, NULL, OPT_MAX_SEND},
	{"hex-counts-chars", no_argument, NULL, OPT_HEX_COUNTS_CHARS},
	{"refuse-port-zero", no_argument, NULL, OPT_REFUSE_PORT_ZERO},
	{"empty-read", required_argument, NULL, OPT_EMPTY_READ},
	{"ping-prefix", required_argument, NULL, OPT_PING_PREFIX},
	{"sid-base", required_argument, NULL, OPT_SID_BASE},
	{"sleep-after", required_argument, NULL, OPT_SLEEP_AFTER},
	{"sleep-urcs", no_argument, NULL, OPT_SLEEP_URCS},
	{"strict-baud", no_argument, NULL, OPT_STRICT_BAUD},
	{"refuse-connects", required_argument, NULL, OPT_REFUSE_CONNECTS},
	{"link-loss-after", required_argument, NULL, OPT_LINK_LOSS_AFTER},
	{"link-loss-urc", required_argument, NULL, OPT_LINK_LOSS_URC},
	{"link-return", required_argument, NULL, OPT_LINK_RETURN},
	{"fail-send-after", required_argument, NULL, OPT_FAIL_SEND_AFTER},
	{"fail-send-code", required_argument, NULL, OPT_FAIL_SEND_CODE},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"network-scale", required_argument, NULL, OPT_NETWORK_SCALE},
	{"rtt", required_argument, NULL, OPT_RTT},
	{"uplink-rate", required_argument, NULL, OPT_UPLINK_RATE},
	{"downlink-rate", required_argument, NULL, OPT_DOWNLINK_RATE},
	{"uplink-queue", required_argument, NULL, OPT_UPLINK_QUEUE},
	{"radio-idle-after", required_argument, NULL, OPT_RADIO_IDLE_AFTER},
	{"rrc-setup", required_argument, NULL, OPT_RRC_SETUP},
	{"cscon-urcs", no_argument, NULL, OPT_CSCON_URCS},
	{"late-answers", required_argument, NULL, OPT_LATE_ANSWERS},
	{"late-by", required_argument, NULL, OPT_LATE_BY},
	{"cereg-2-while-up", required_argument, NULL, OPT_CEREG_2_WHILE_UP},
	{"keep-sockets-on-link-loss", no_argument, NULL, OPT_KEEP_SOCKETS_ON_LINK_LOSS},
	{"simst-without-reboot", required_argument, NULL, OPT_SIMST_WITHOUT_REBOOT},
	{"reboot-line", required_argument, NULL, OPT_REBOOT_LINE},
	{"cme-without-code", no_argument, NULL, OPT_CME_WITHOUT_CODE},
	{"dns-no-server", no_argument, NULL, OPT_DNS_NO_SERVER},
	{"cfun-1-drops-stack", no_argument, NULL, OPT_CFUN_1_DROPS_STACK},
	{"dns-ttl", required_argument, NULL, OPT_DNS_TTL},
	{"dns-error-after-answer", no_argument, NULL, OPT_DNS_ERROR_AFTER_ANSWER},
	{"rsrp", required_argument, NULL, OPT_RSRP},
	{"rsrq", required_argument, NULL, OPT_RSRQ},
	{"rssi", required_argument, NULL, OPT_RSSI},
	{"radio-unknown", required_argument, NULL, OPT_RADIO_UNKNOWN},
	{"cr-only", no_argument, NULL, OPT_CR_ONLY},
	{"answers-end-in-cr", no_argument, NULL, OPT_ANSWERS_END_IN_CR},
	{"long-line", required_argument, NULL, OPT_LONG_LINE},
	{"reboot-in-read", required_argument, NULL, OPT_REBOOT_IN_READ},
	{"echo-data", no_argument, NULL, OPT_ECHO_DATA},
	{"echo-cr-alone", no_argument, NULL, OPT_ECHO_CR_ALONE},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* In sections: C11 compilers need only take string literals of 4095 bytes. */
static const char *const usage_text[] = {
	"Usage: " PROG " [OPTION]...\n"
	"A fake ST87MXX NB-IoT modem on a pseudo-terminal, with real TCP/UDP sockets\n"
	"on the host behind each modem socket (loopback destinations only).\n"
	"Prints the slave path (/dev/pts/N) as the first line on stdout, then serves\n"
	"until SIGTERM or SIGINT. SIGUSR1 writes the --stats file.\n"
	"\n",
	"Files:\n"
	"  --link PATH            also make PATH a symlink to the slave (removed at exit)\n"
	"  --stats FILE           write counters as JSON at exit and on SIGUSR1\n"
	"  --trace FILE           log the AT traffic line by line ('> ' in, '< ' out)\n"
	"\n",
	"Network:\n"
	"  --ipv4 ADDR            the modem's IPv4 address (default 127.0.0.1)\n"
	"  --ipv6 ADDR            the modem's IPv6 address (default ::1; none: no IPv6)\n"
	"  --link-down            start with the IP link down (AT#IPCFG? -> <cid>,0)\n"
	"  --auto-ip MS           with --link-down: bring the link up MS ms after start\n"
	"                         and send the boot URCs (auto_ip 1 in AT#IPPARAMS?)\n"
	"  --connect-delay MS     answer AT#TCPCONNECT no earlier than MS ms after it\n"
	"  --read-chunk N         at most N bytes per AT#IPREAD on TCP (default 1500);\n"
	"                         UDP reads give one whole datagram\n"
	"  --rx-buffer N          receive buffer per modem socket (default 4096)\n"
	"  --no-close-urc         no #IPRECV when a TCP peer closes\n"
	"  --socketclosed-urc     send #SOCKETCLOSED: <cid>,<sid> when a TCP peer closes\n"
	"\n",
	"What a real modem does (for testing the driver):\n"
	"  --baud N               pace both directions at N/10 bytes per second\n"
	"  --strict-baud          with --baud: lines the host sends while its tty is\n"
	"                         set to another speed are lost, as on a real UART\n"
	"  --echo                 echo on at start (default: off)\n"
	"  --ignore-ate0          ATE0 answers OK but leaves echo on\n"
	"  --echo-data            while echo is on, a binary send's bytes are echoed\n"
	"                         too, right after its line's echo (one-step) or\n"
	"                         after the line's OK (two-step)\n"
	"  --echo-cr-alone        echo a line as a character echo does: with the CR\n"
	"                         that ended it, no LF (default: CR LF)\n"
	"  --fragment             write output in random 1..7 byte pieces, tiny pauses\n"
	"  --urc-noise            inject +CEREG: 1 / +CSCON: 1 between response lines\n"
	"  --urc-interleave       send URCs that become due during a command at the\n"
	"                         next line boundary instead of after its final result\n"
	"  --garbage              inject lines of printable junk between lines\n"
	"  --latency MS           wait MS ms before each final result code (not the\n"
	"                         OK to the line of a two-step send)\n"
	"  --stall-after N        after answering N commands, answer nothing more\n"
	"  --stall-for MS         with --stall-after: answer again MS ms later, as a\n"
	"                         modem whose hang ended (no boot lines; once)\n"
	"  --reboot-after N       reboot once, at command N+1 (closes every socket and\n"
	"                         sends the boot lines; that command gets no answer)\n"
	"  --reboot-line LINE     the first boot line (default #SIMST: 1, the note's;\n"
	"                         the maker's firmware: #REBOOT_RESET)\n"
	"  --seed N               seed for --fragment, --urc-noise, --garbage,\n"
	"                         --late-answers\n"
	"  --answers-end-in-cr    frame every line the modem writes by CR alone\n"
	"                         (V.25ter S4 empty), a block's header too\n"
	"  --long-line N          before each final result, a line of N bytes no\n"
	"                         command asked for (#CERT: ...), 8..65535\n"
	"  --reboot-in-read N     restart once, half-way through the data block of\n"
	"                         the Nth AT#IPREAD that has data (the boot lines\n"
	"                         follow; that read gets no final result)\n"
	"\n",
	"Firmware variants (docs/PROTOCOL.md):\n"
	"  --profile NAME         a consistent group of the switches below, applied\n"
	"                         first; an explicit switch wins wherever it stands:\n"
	"                           note   the defaults (the application note)\n"
	"                           maker  --send-handshake two --cid 1 --dns\n"
	"                                  --max-send 1024 --read-chunk 1024\n"
	"                                  --empty-read ok --ping-prefix IPING\n"
	"                                  --sleep-after 10000 --refuse-port-zero\n"
	"                                  --reboot-line #REBOOT_RESET --cr-only\n"
	"                         (default: $ST87_FAKEMODEM_PROFILE, else note)\n"
	"  --send-handshake one|two\n"
	"                         binary AT#IPSENDTCP/UDP: one = the data follows the\n"
	"                         line, one final result (default); two = OK to the\n"
	"                         line (at once, not held by --latency), then <len>\n"
	"                         raw bytes, then a second final result; an error to\n"
	"                         the line means no data is read\n"
	"  --cid N                the only PDN context id, 1..15 (default 5)\n"
	"  --dns, --no-dns        AT#DNS=<cid>,<0|1>,<name> answers #DNS: <addr>, or\n"
	"                         2171 when not found (default: off, 504)\n"
	"  --dns-entry NAME=ADDR  a name AT#DNS knows besides localhost (it takes\n"
	"                         --dns or the maker profile to answer); ADDR is a\n"
	"                         loopback IPv4 or IPv6 address; repeatable (one per\n"
	"                         name and family)\n"
	"  --dns-delay MS         answer AT#DNS no earlier than MS ms after it\n"
	"  --max-send N           largest payload of one send, 1..1600 (default 512);\n"
	"                         above it 2146 and no data is read\n"
	"  --hex-counts-chars     data type 2: --max-send limits the hex characters,\n"
	"                         not the decoded bytes\n"
	"  --refuse-port-zero     AT#SOCKETCREATE of a TCP socket with <udp_port> 0\n"
	"                         is refused (2141); an empty field is taken, as\n"
	"                         the maker's drivers send it\n"
	"  --empty-read ok|header AT#IPREAD with nothing waiting: a bare OK, or\n"
	"                         #IPREAD: <cid>,<sid>,0 then OK (default header)\n"
	"  --ping-prefix IPPING|IPING\n"
	"                         prefix of the ping summary line (default IPPING)\n"
	"  --sid-base N           socket ids are N..N+2, N 0..20 (default 0)\n"
	"  --sleep-after MS       sleep MS ms after the last command (AT#SLEEPMODE\n"
	"                         mode 1; 0: the command is known, sleep off); the\n"
	"                         first line that comes while asleep wakes the modem\n"
	"                         and is lost; data from the network wakes it too\n"
	"                         (default: AT#SLEEPMODE unknown, never sleeps)\n"
	"  --sleep-urcs           say #SLEEP when falling asleep, #WAKEUP on waking\n"
	"  --cme-without-code     +CME ERROR with no code where a code would go (iLabs)\n"
	"  --dns-ttl S            AT#DNS answers #DNS: <addr>,<S> (Mbed's TTL)\n"
	"  --dns-error-after-answer\n"
	"                         AT#DNS ends a valid #DNS: answer with ERROR (Mbed)\n"
	"  --cr-only              a binary send's data starts right after its line's\n"
	"                         CR: an LF there is data (default: one LF after the\n"
	"                         CR is taken for the line's end)\n"
	"\n",
	"Faults:\n"
	"  --refuse-connects N    the first N AT#TCPCONNECT that would work answer\n"
	"                         2152 (a radio still waking)\n"
	"  --link-loss-after N    once, after the final result of command line N, the\n"
	"                         network drops the link: every socket is closed and\n"
	"                         a URC is sent; commands needing the link get 2106\n"
	"                         until it returns (AT#IPCFG=<cid>,0,<addr> or\n"
	"                         --link-return)\n"
	"  --link-loss-urc nw-deact|nw-detach|ipcfg0|cereg\n"
	"                         the URC: +CGEV: NW PDN DEACT <cid> (default),\n"
	"                         +CGEV: NW DETACH, #IPCFG: <cid>,0 or +CEREG: 2\n"
	"  --link-return MS       the lost link comes back by itself after MS ms\n"
	"                         (+CGEV: NW PDN ACT <cid>, +CEREG: 1 after cereg,\n"
	"                         #IPCFG: <cid>,1,\"<ipv4>\")\n"
	"  --fail-send-after N    the Nth send (AT#IPSENDTCP/UDP that would succeed)\n"
	"                         fails and closes its socket; others are unaffected\n"
	"  --fail-send-code C     the CME code of that failure (default 2154); a busy\n"
	"                         code (159, 536, 537, 1120) keeps the socket\n"
	"  --keep-sockets-on-link-loss\n"
	"                         a --link-loss-after leaves the modem's sockets taken:\n"
	"                         until AT#SOCKETCLOSE a new one of that kind gets 2150\n"
	"  --cereg-2-while-up N   once, after the final result of command line N,\n"
	"                         +CEREG: 2 while the link (and every socket) stays up\n"
	"  --simst-without-reboot N\n"
	"                         once, after the final result of command line N,\n"
	"                         #SIMST: 1 (a SIM refresh): nothing else changes\n"
	"  --dns-no-server        AT#DNS answers 2112 (no DNS server configured, the\n"
	"                         factory state)\n"
	"  --cfun-1-drops-stack   AT+CFUN=1 while the radio is on (it always is) drops\n"
	"                         the IP stack (the link, every socket; no URC) and\n"
	"                         answers +CME ERROR: 98 (the maker's firmware)\n"
	"\n",
	"The radio (AT+CESQ, AT+CSQ, AT+CEREG, AT+CSCON, AT+CGSN, AT+CGMR, AT+CPSMS,\n"
	"AT+CEDRXS; 3GPP TS 27.007):\n"
	"  --rsrp DBM|unknown     RSRP of AT+CESQ, -140..-44 dBm (default -95)\n"
	"  --rsrq DB|unknown      RSRQ of AT+CESQ, -19.5..-3 dB in halves (default -10.5)\n"
	"  --rssi DBM|unknown     RSSI of AT+CSQ, -113..-51 dBm, odd (default -73)\n"
	"  --radio-unknown LIST   these commands answer 504, as on firmware without\n"
	"                         them: cesq, csq, cereg, cscon, cgsn, cgmr, cpsms,\n"
	"                         cedrxs or all, separated by commas; repeatable\n"
	"\n",
	"The air between the modem and its peers (default: none, loopback):\n"
	"  --network loopback|nbiot\n"
	"                         a group of the switches below (figures at the end);\n"
	"                         a switch given explicitly wins wherever it stands\n"
	"  --network-scale F      divide every delay and multiply every rate below\n"
	"                         (and --dns-delay) by F, e.g. 10 (default 1)\n"
	"  --rtt MS               round trip: data reaches the peer MS/2 after it went\n"
	"                         on the air, the peer's data is announced MS/2 after\n"
	"                         it came; AT#TCPCONNECT answers after one round trip\n"
	"  --uplink-rate B        air rate modem to network, bytes per second\n"
	"  --downlink-rate B      air rate network to modem, bytes per second\n"
	"                         (0: unlimited, the default)\n"
	"  --uplink-queue BYTES   sends waiting for the air (default 4096); a send\n"
	"                         that does not fit gets its result once it fits\n"
	"  --radio-idle-after MS  the radio goes idle MS ms after the last data either\n"
	"                         way (default 0: never, once connected)\n"
	"  --rrc-setup MS         an idle radio (also at start) first takes MS ms to\n"
	"                         connect: the next packet, connect or AT#DNS waits\n"
	"  --cscon-urcs           say +CSCON: 1 when the radio connects, +CSCON: 0\n"
	"                         when it goes idle\n"
	"  --late-answers P       P percent of final results (seeded: --seed) come\n"
	"  --late-by MS           MS ms late (after --latency)\n"
	"\n",
	("  -h, --help             show this help and exit\n"
	 "  -V, --version          show the version and exit\n"),
};

static const char *option_name(int val)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static int bad_value(int val, const char *arg, const char *what)
{
	fprintf(stderr, PROG ": --%s: expected %s, got '%s'\n", option_name(val), what, arg);
	return 2;
}

/* Parses a whole decimal argument in [min, max]; anything else is an error. */
static int parse_long(int val, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		char what[64];

		snprintf(what, sizeof(what), "an integer from %ld to %ld", min, max);
		return bad_value(val, arg, what);
	}
	*out = v;
	return 0;
}

static int parse_address(int val, const char *arg, int family, char *out, size_t size)
{
	unsigned char bin[16];

	if (strlen(arg) >= size || inet_pton(family, arg, bin) != 1)
		return bad_value(val, arg, family == AF_INET ? "an IPv4 address" : "an IPv6 address");
	strcpy(out, arg);
	return 0;
}

/* --network-scale: a positive decimal factor. */
static int parse_scale(int val, const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0.001 && v <= 10000))
		return bad_value(val, arg, "a number from 0.001 to 10000");
	*out = v;
	return 0;
}

/* An argument that must be one of names[0..n) (case as written); the index
 * goes to *out. */
static int parse_choice(int val, const char *arg, const char *const *names, int n, int *out)
{
	char what[96] = "one of";

	for (int i = 0; i < n; i++) {
		if (!strcmp(arg, names[i])) {
			*out = i;
			return 0;
		}
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s %s", i ? "," : "",
			 names[i]);
	}
	return bad_value(val, arg, what);
}

/* A name AT#DNS can be asked for: what fits a bare or quoted AT parameter
 * (no blank, comma or quote). */
static bool valid_dns_name(const char *name, size_t len)
{
	if (!len || len > FM_MAX_DNS_NAME)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)name[i]) || name[i] == ',' || name[i] == '"')
			return false;
	return true;
}

/* --dns-entry NAME=ADDR: ADDR must be loopback, like every destination of
 * the fake modem, so a test that follows the answer stays on the machine. */
static int parse_dns_entry(int val, const char *arg, struct fm_options *opt)
{
	const char *eq = strchr(arg, '=');
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct dns_entry *e;
	size_t nlen;
	int family;

	if (!eq || !valid_dns_name(arg, (size_t)(eq - arg)))
		return bad_value(val, arg,
				 "NAME=ADDR with a name of 1 to 253 "
				 "characters, no blank, comma or quote");
	nlen = (size_t)(eq - arg);
	family = strlen(eq + 1) < sizeof(e->addr) ? addr_parse(eq + 1, 0, &ss, &sslen) : 0;
	if (!family || !addr_is_loopback(&ss))
		return bad_value(val, arg,
				 "NAME=ADDR with a loopback address "
				 "(127.0.0.0/8 or ::1)");
	for (int i = 0; i < opt->ndns; i++) {
		const struct dns_entry *d = &opt->dns_entries[i];

		if (d->family == family && strlen(d->name) == nlen && !strncasecmp(d->name, arg, nlen))
			return bad_value(val, arg,
					 "one entry per name and "
					 "address family");
	}
	if (opt->ndns == FM_MAX_DNS_ENTRIES)
		return bad_value(val, arg, "at most 16 entries");
	e = &opt->dns_entries[opt->ndns++];
	memcpy(e->name, arg, nlen);
	e->name[nlen] = '\0';
	e->family = family;
	strcpy(e->addr, eq + 1);
	return 0;
}

static void set_defaults(struct fm_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	strcpy(opt->ipv4, "127.0.0.1");
	strcpy(opt->ipv6, "::1");
	opt->auto_ip_ms = -1;
	opt->stall_after = -1;
	opt->stall_for_ms = -1;
	opt->reboot_after = -1;
	opt->read_chunk = 1500;
	opt->rx_buffer = 4096;
	opt->profile = "note";
	opt->send_handshake = SEND_ONE_STEP;
	opt->cid = 5;
	opt->max_send = 512;
	opt->empty_read = EMPTY_READ_HEADER;
	opt->ping_prefix = "IPPING";
	opt->link_loss_after = -1;
	opt->link_loss_urc = LOSS_NW_DEACT;
	opt->link_return_ms = -1;
	opt->fail_send_after = -1;
	opt->fail_send_code = 2154;
	opt->sleep_after_ms = -1;
	opt->cereg_2_while_up = -1;
	opt->simst_without_reboot = -1;
	opt->reboot_line = "#SIMST: 1";
	opt->dns_ttl = -1;
	opt->reboot_in_read = -1;
	network_defaults(&opt->net);
	radio_defaults(&opt->radio);
}

/* Choices of the switches that take a word, in the order of their enums. */
static const char *const profile_names[] = {"note", "maker"};
static const char *const network_names[] = {"loopback", "nbiot"};
static const char *const handshake_names[] = {"one", "two"};
static const char *const empty_read_names[] = {"header", "ok"};
static const char *const ping_prefix_names[] = {"IPPING", "IPING"};
static const char *const link_loss_urc_names[] = {
	"nw-deact",
	"nw-detach",
	"ipcfg0",
	"cereg",
};

static int apply_option(int c, const char *arg, struct fm_options *opt)
{
	long v;
	int choice = 0;
	int rc = 0;

	switch (c) {
	case OPT_LINK:
		opt->link_path = arg;
		break;
	case OPT_STATS:
		opt->stats_path = arg;
		break;
	case OPT_TRACE:
		opt->trace_path = arg;
		break;
	case OPT_ECHO:
		opt->echo = true;
		break;
	case OPT_IGNORE_ATE0:
		opt->ignore_ate0 = true;
		break;
	case OPT_ECHO_DATA:
		opt->echo_data = true;
		break;
	case OPT_ECHO_CR_ALONE:
		opt->echo_cr_alone = true;
		break;
	case OPT_LINK_DOWN:
		opt->link_down = true;
		break;
	case OPT_FRAGMENT:
		opt->fragment = true;
		break;
	case OPT_URC_NOISE:
		opt->urc_noise = true;
		break;
	case OPT_URC_INTERLEAVE:
		opt->urc_interleave = true;
		break;
	case OPT_GARBAGE:
		opt->garbage = true;
		break;
	case OPT_NO_CLOSE_URC:
		opt->no_close_urc = true;
		break;
	case OPT_SOCKETCLOSED_URC:
		opt->socketclosed_urc = true;
		break;
	case OPT_IPV4:
		rc = parse_address(c, arg, AF_INET, opt->ipv4, sizeof(opt->ipv4));
		break;
	case OPT_IPV6:
		/* "none": a context without IPv6 (AT#IPCFG? lists the IPv4 address alone) */
		if (strcmp(arg, "none") == 0)
			opt->ipv6[0] = '\0';
		else
			rc = parse_address(c, arg, AF_INET6, opt->ipv6, sizeof(opt->ipv6));
		break;
	case OPT_AUTO_IP:
		rc = parse_long(c, arg, 0, 3600000, &opt->auto_ip_ms);
		break;
	case OPT_BAUD:
		/* Below 10 baud the line would carry less than a byte a second. */
		rc = parse_long(c, arg, 10, 100000000, &v);
		opt->baud = (unsigned long)v;
		break;
	case OPT_LATENCY:
		rc = parse_long(c, arg, 0, 600000, &opt->latency_ms);
		break;
	case OPT_CONNECT_DELAY:
		rc = parse_long(c, arg, 0, 600000, &opt->connect_delay_ms);
		break;
	case OPT_STALL_AFTER:
		rc = parse_long(c, arg, 0, 1000000000, &opt->stall_after);
		break;
	case OPT_STALL_FOR:
		rc = parse_long(c, arg, 1, 3600000, &opt->stall_for_ms);
		break;
	case OPT_REBOOT_AFTER:
		rc = parse_long(c, arg, 0, 1000000000, &opt->reboot_after);
		break;
	case OPT_READ_CHUNK:
		rc = parse_long(c, arg, 1, 65535, &opt->read_chunk);
		break;
	case OPT_RX_BUFFER:
		rc = parse_long(c, arg, 1, 16 * 1024 * 1024, &opt->rx_buffer);
		break;
	case OPT_SEED:
		rc = parse_long(c, arg, 0, 2147483647, &v);
		opt->seed = (uint64_t)v;
		opt->seed_given = true;
		break;
	case OPT_PROFILE:
		rc = parse_choice(c, arg, profile_names, 2, &choice);
		if (!rc)
			opt->profile = profile_names[choice];
		break;
	case OPT_SEND_HANDSHAKE:
		rc = parse_choice(c, arg, handshake_names, 2, &choice);
		opt->send_handshake = (enum send_handshake)choice;
		break;
	case OPT_CID:
		rc = parse_long(c, arg, 1, 15, &opt->cid);
		break;
	case OPT_DNS:
		opt->dns = true;
		break;
	case OPT_NO_DNS:
		opt->dns = false;
		break;
	case OPT_DNS_ENTRY:
		rc = parse_dns_entry(c, arg, opt);
		break;
	case OPT_DNS_DELAY:
		rc = parse_long(c, arg, 0, 600000, &opt->dns_delay_ms);
		break;
	case OPT_MAX_SEND:
		rc = parse_long(c, arg, 1, FM_MAX_SEND_LIMIT, &opt->max_send);
		break;
	case OPT_HEX_COUNTS_CHARS:
		opt->hex_counts_chars = true;
		break;
	case OPT_REFUSE_PORT_ZERO:
		opt->refuse_port_zero = true;
		break;
	case OPT_EMPTY_READ:
		rc = parse_choice(c, arg, empty_read_names, 2, &choice);
		opt->empty_read = (enum empty_read)choice;
		break;
	case OPT_PING_PREFIX:
		rc = parse_choice(c, arg, ping_prefix_names, 2, &choice);
		if (!rc)
			opt->ping_prefix = ping_prefix_names[choice];
		break;
	case OPT_SID_BASE:
		rc = parse_long(c, arg, 0, 20, &opt->sid_base);
		break;
	case OPT_SLEEP_AFTER:
		rc = parse_long(c, arg, 0, 3600000, &opt->sleep_after_ms);
		break;
	case OPT_SLEEP_URCS:
		opt->sleep_urcs = true;
		break;
	case OPT_STRICT_BAUD:
		opt->strict_baud = true;
		break;
	case OPT_CR_ONLY:
		opt->cr_only = true;
		break;
	case OPT_ANSWERS_END_IN_CR:
		opt->answers_end_in_cr = true;
		break;
	case OPT_LONG_LINE:
		rc = parse_long(c, arg, 8, 65535, &opt->long_line);
		break;
	case OPT_REBOOT_IN_READ:
		rc = parse_long(c, arg, 1, 1000000000, &opt->reboot_in_read);
		break;
	case OPT_NETWORK:
		rc = parse_choice(c, arg, network_names, 2, &choice);
		if (!rc)
			opt->net.preset = network_names[choice];
		break;
	case OPT_NETWORK_SCALE:
		rc = parse_scale(c, arg, &opt->net.scale);
		break;
	case OPT_RTT:
		rc = parse_long(c, arg, 0, 600000, &opt->net.rtt_ms);
		break;
	case OPT_UPLINK_RATE:
		rc = parse_long(c, arg, 0, 100000000, &opt->net.uplink_rate);
		break;
	case OPT_DOWNLINK_RATE:
		rc = parse_long(c, arg, 0, 100000000, &opt->net.downlink_rate);
		break;
	case OPT_UPLINK_QUEUE:
		rc = parse_long(c, arg, 1, 16 * 1024 * 1024, &opt->net.uplink_queue);
		break;
	case OPT_RADIO_IDLE_AFTER:
		rc = parse_long(c, arg, 0, 3600000, &opt->net.radio_idle_after_ms);
		break;
	case OPT_RRC_SETUP:
		rc = parse_long(c, arg, 0, 600000, &opt->net.rrc_setup_ms);
		break;
	case OPT_CSCON_URCS:
		opt->net.cscon_urcs = true;
		break;
	case OPT_LATE_ANSWERS:
		rc = parse_long(c, arg, 0, 100, &opt->net.late_percent);
		break;
	case OPT_LATE_BY:
		rc = parse_long(c, arg, 0, 600000, &opt->net.late_by_ms);
		break;
	case OPT_REFUSE_CONNECTS:
		rc = parse_long(c, arg, 0, 1000000000, &opt->refuse_connects);
		break;
	case OPT_LINK_LOSS_AFTER:
		rc = parse_long(c, arg, 0, 1000000000, &opt->link_loss_after);
		break;
	case OPT_LINK_LOSS_URC:
		rc = parse_choice(c, arg, link_loss_urc_names, 4, &choice);
		opt->link_loss_urc = (enum link_loss_urc)choice;
		break;
	case OPT_LINK_RETURN:
		rc = parse_long(c, arg, 0, 3600000, &opt->link_return_ms);
		break;
	case OPT_FAIL_SEND_AFTER:
		rc = parse_long(c, arg, 1, 1000000000, &opt->fail_send_after);
		break;
	case OPT_FAIL_SEND_CODE:
		rc = parse_long(c, arg, 1, 65535, &opt->fail_send_code);
		break;
	case OPT_CEREG_2_WHILE_UP:
		rc = parse_long(c, arg, 0, 1000000000, &opt->cereg_2_while_up);
		break;
	case OPT_KEEP_SOCKETS_ON_LINK_LOSS:
		opt->keep_sockets_on_link_loss = true;
		break;
	case OPT_SIMST_WITHOUT_REBOOT:
		rc = parse_long(c, arg, 0, 1000000000, &opt->simst_without_reboot);
		break;
	case OPT_REBOOT_LINE:
		opt->reboot_line = arg;
		break;
	case OPT_CME_WITHOUT_CODE:
		opt->cme_without_code = true;
		break;
	case OPT_DNS_NO_SERVER:
		opt->dns_no_server = true;
		break;
	case OPT_CFUN_1_DROPS_STACK:
		opt->cfun_1_drops_stack = true;
		break;
	case OPT_DNS_TTL:
		rc = parse_long(c, arg, 0, 2147483647, &opt->dns_ttl);
		break;
	case OPT_DNS_ERROR_AFTER_ANSWER:
		opt->dns_error_after_answer = true;
		break;
	case OPT_RSRP:
		if (!radio_parse_rsrp(arg, &opt->radio.rsrp))
			rc = bad_value(c, arg, "-140..-44 (dBm) or unknown");
		break;
	case OPT_RSRQ:
		if (!radio_parse_rsrq(arg, &opt->radio.rsrq))
			rc = bad_value(c, arg, "-19.5..-3 in steps of 0.5 (dB) or unknown");
		break;
	case OPT_RSSI:
		if (!radio_parse_rssi(arg, &opt->radio.rssi))
			rc = bad_value(c, arg, "an odd number from -113 to -51 (dBm) or unknown");
		break;
	case OPT_RADIO_UNKNOWN:
		if (!radio_parse_unknown(arg, &opt->radio.unknown))
			rc = bad_value(c, arg,
				       "cesq, csq, cereg, cscon, cgsn, cgmr, cpsms, cedrxs or all, "
				       "separated by commas");
		break;
	default:
		break;
	}
	return rc;
}

/* What --profile maker stands for: the readings of the maker's drivers
 * (docs/PROTOCOL.md). "note" stands for the defaults. */
static const struct {
	int opt;
	const char *arg;
} maker_profile[] = {
	{OPT_SEND_HANDSHAKE, "two"},
	{OPT_CID, "1"},
	{OPT_DNS, NULL},
	{OPT_MAX_SEND, "1024"},
	{OPT_READ_CHUNK, "1024"},
	{OPT_EMPTY_READ, "ok"},
	{OPT_PING_PREFIX, "IPING"},
	{OPT_SLEEP_AFTER, "10000"},
	{OPT_REFUSE_PORT_ZERO, NULL},
	{OPT_REBOOT_LINE, "#REBOOT_RESET"},
	{OPT_CR_ONLY, NULL},
};

/* The slot in given[] of a switch: --no-dns and --dns set one setting. */
static int setting_of(int c)
{
	return (c == OPT_NO_DNS ? OPT_DNS : c) - OPT_LINK;
}

/* The profile's values go only where no switch was given, so an explicit
 * switch wins whether it comes before or after --profile. */
static void apply_profile(struct fm_options *opt, const bool *given)
{
	if (strcmp(opt->profile, "maker"))
		return;
	for (size_t i = 0; i < sizeof(maker_profile) / sizeof(maker_profile[0]); i++)
		if (!given[setting_of(maker_profile[i].opt)])
			apply_option(maker_profile[i].opt, maker_profile[i].arg, opt);
}

/* --network nbiot: its values go only where no switch was given, as a
 * profile's do. */
static void apply_network_preset(struct fm_options *opt, const bool *given)
{
	if (strcmp(opt->net.preset, "nbiot"))
		return;
	for (const struct network_preset_value *v = network_nbiot; v->option; v++)
		for (const struct option *o = long_options; o->name; o++)
			if (!strcmp(o->name, v->option) && !given[setting_of(o->val)])
				apply_option(o->val, v->arg, opt);
}

static void print_help(const struct fm_options *opt)
{
	for (size_t i = 0; i < sizeof(usage_text) / sizeof(usage_text[0]); i++)
		fputs(usage_text[i], stdout);
	network_print_help(stdout, &opt->air);
}

int options_parse(int argc, char **argv, struct fm_options *opt)
{
	bool given[OPT_END - OPT_LINK] = {false};
	bool help = false;
	int c;

	set_defaults(opt);
	/* The test suites run every case against each profile without touching each fixture. */
	const char *profile = getenv(PROFILE_VARIABLE);
	if (profile && *profile && apply_option(OPT_PROFILE, profile, opt)) {
		fprintf(stderr, PROG ": " PROFILE_VARIABLE "=%s is not a profile (note, maker)\n",
			profile);
		return 2;
	}
	opterr = 0; /* report errors ourselves, in one line */
	while ((c = getopt_long(argc, argv, ":hV", long_options, NULL)) != -1) {
		int rc;

		switch (c) {
		case 'h':
			/* After the other switches: the help shows the network
			 * they make. */
			help = true;
			break;
		case 'V':
			printf(PROG " " FAKEMODEM_VERSION "\n");
			return 0;
		case ':':
			if (optopt >= OPT_LINK)
				fprintf(stderr, PROG ": option --%s needs a value\n",
					option_name(optopt));
			else
				fprintf(stderr, PROG ": option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		case '?':
			if (optopt && optopt < OPT_LINK && optopt != '?')
				fprintf(stderr, PROG ": unknown option '-%c' (see --help)\n", optopt);
			else
				fprintf(stderr, PROG ": unknown option '%s' (see --help)\n",
					argv[optind - 1]);
			return 2;
		default:
			rc = apply_option(c, optarg, opt);
			if (rc)
				return rc;
			if (c >= OPT_LINK && c < OPT_END)
				given[setting_of(c)] = true;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	apply_profile(opt, given);
	apply_network_preset(opt, given);
	network_effective(&opt->net, opt->dns_delay_ms, &opt->air);
	if (help) {
		print_help(opt);
		return 0;
	}
	return -1;
}
