/* The IP link commands: AT#IPCFG, AT#IPDEL, AT#IPPARAMS, AT+CGPADDR, AT#IPPING. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fields.h"
#include "internal.h"
#include "modem_internal.h"

int st87_ipcfg_set(struct st87_modem *modem, int mode, const char *address, int prefix_len)
{
	if (prefix_len >= 0)
		return st87_modem_simple(modem, ST87_DEADLINE_SHORT, "AT#IPCFG=%d,%d,%s,%d", modem->cid,
					 mode, address, prefix_len);
	return st87_modem_simple(modem, ST87_DEADLINE_SHORT, "AT#IPCFG=%d,%d,%s", modem->cid, mode,
				 address);
}

int st87_ipdel(struct st87_modem *modem)
{
	return st87_modem_simple(modem, ST87_DEADLINE_SHORT, "AT#IPDEL=%d", modem->cid);
}

/*
 * Copies what follows the fourth field of an #IPPARAMS: line into @more, as it
 * is: 0, or -EPROTO when it does not fit (written back cut short, it would
 * change a setting).
 */
static int copy_further_fields(const char *line, char more[ST87_IPPARAMS_MORE_LEN])
{
	const char *rest = strchr(line, ':');
	rest = rest ? rest + 1 : line;
	for (int commas = 0; commas < 4 && rest; commas++) {
		rest = strchr(rest, ',');
		if (rest)
			rest++;
	}
	if (!rest)
		rest = "";
	while (*rest == ' ')
		rest++;
	size_t len = strlen(rest);
	while (len > 0 && rest[len - 1] == ' ')
		len--;
	if (len >= ST87_IPPARAMS_MORE_LEN)
		return -EPROTO;
	/* All of it set: a caller may compare two settings whole. */
	memset(more, 0, ST87_IPPARAMS_MORE_LEN);
	memcpy(more, rest, len);
	return 0;
}

int st87_ipparams_read(struct st87_modem *modem, struct st87_ipparams *out)
{
	struct st87_at_command command = {.text = "AT#IPPARAMS?", .info_prefix = "#IPPARAMS:"};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_SHORT, &reply);
	if (err)
		return err;
	struct st87_fields fields;
	if (reply.n_lines < 1 || st87_fields_split(reply.lines[0], true, &fields) < 4 ||
	    st87_fields_int(&fields, 0, &out->auto_ip) ||
	    st87_fields_int(&fields, 1, &out->preferred_ip_version) ||
	    st87_fields_int(&fields, 2, &out->max_ipstack_periodicity) ||
	    st87_fields_int(&fields, 3, &out->auto_ip_timeout) ||
	    copy_further_fields(reply.lines[0], out->more))
		return st87_fail(-EPROTO, "malformed AT#IPPARAMS? answer");
	return 0;
}

int st87_ipparams_set(struct st87_modem *modem, const struct st87_ipparams *params)
{
	/* The four numbers, and the further fields whole: a line cut short would change a setting. */
	char text[64 + ST87_IPPARAMS_MORE_LEN];
	int len = snprintf(text, sizeof(text), "AT#IPPARAMS=%d,%d,%d,%d%s%.*s", params->auto_ip,
			   params->preferred_ip_version, params->max_ipstack_periodicity,
			   params->auto_ip_timeout, params->more[0] ? "," : "",
			   ST87_IPPARAMS_MORE_LEN - 1, params->more);
	if (len < 0 || (size_t)len >= sizeof(text))
		return st87_fail(-EINVAL, "AT#IPPARAMS= line too long");
	struct st87_at_command command = {.text = text};
	struct st87_at_reply reply;
	return st87_modem_run(modem, &command, ST87_DEADLINE_SHORT, &reply);
}

static int run_cgpaddr(struct st87_modem *modem, const char *text, struct st87_at_reply *reply)
{
	struct st87_at_command command = {.text = text, .info_prefix = "+CGPADDR:"};
	return st87_modem_run(modem, &command, ST87_DEADLINE_SHORT, reply);
}

int st87_cgpaddr(struct st87_modem *modem, char ipv4[ST87_ADDR_LEN], char ipv6[ST87_ADDR_LEN])
{
	struct st87_at_reply reply;
	/* Unless configured, every context is listed and the first with an address is ours. */
	int err = modem->cid_fixed ? -EINVAL : run_cgpaddr(modem, "AT+CGPADDR", &reply);
	if (err) {
		char text[32];
		snprintf(text, sizeof(text), "AT+CGPADDR=%d", modem->cid);
		err = run_cgpaddr(modem, text, &reply);
	}
	if (err)
		return err;
	ipv4[0] = ipv6[0] = '\0';
	for (size_t line = 0; line < reply.n_lines; line++) {
		struct st87_fields fields;
		int cid;
		if (st87_fields_split(reply.lines[line], true, &fields) < 1 ||
		    st87_fields_int(&fields, 0, &cid))
			return st87_fail(-EPROTO, "malformed AT+CGPADDR answer");
		if (fields.count < 2 || !fields.value[1][0])
			continue;
		st87_modem_learn_cid(modem, cid);
		if (cid != modem->cid)
			continue;
		for (size_t i = 1; i < fields.count; i++)
			snprintf(strchr(fields.value[i], ':') ? ipv6 : ipv4, ST87_ADDR_LEN, "%s",
				 fields.value[i]);
		return 0;
	}
	return reply.n_lines ? 0 : st87_fail(-EPROTO, "malformed AT+CGPADDR answer");
}

/* Per-ping lines have no prefix: "<n>,<result>,<bytes>,<time>". The summary is "#IPPING:" or, on the maker's firmware, "#IPING:". */
static bool is_ping_line(const char *line)
{
	if (strncasecmp(line, "#IPING:", 7) == 0)
		return true;
	int commas = 0;
	for (const char *p = line; *p; p++) {
		if (*p == ',')
			commas++;
		else if (!isdigit((unsigned char)*p) && *p != ' ')
			return false;
	}
	return commas == 3;
}

struct ping_progress {
	st87_ping_fn on_reply;
	void *user;
	struct st87_ping_summary *summary;
	bool have_summary;
	bool malformed;
};

static void parse_summary(struct ping_progress *progress, const struct st87_fields *fields)
{
	struct st87_ping_summary *summary = progress->summary;
	progress->have_summary = !st87_fields_int(fields, 0, &summary->sent) &&
		!st87_fields_int(fields, 1, &summary->received) &&
		!st87_fields_int(fields, 2, &summary->lost) &&
		!st87_fields_int(fields, 3, &summary->min_ms) &&
		!st87_fields_int(fields, 4, &summary->max_ms) &&
		!st87_fields_int(fields, 5, &summary->avg_ms);
}

/* Each line as it arrives, so a long ping shows its replies one by one. */
static void on_ping_line(void *user, const char *line)
{
	struct ping_progress *progress = user;
	struct st87_fields fields;
	bool is_summary = line[0] == '#';
	if (st87_fields_split(line, is_summary, &fields) < 0) {
		progress->malformed = true;
		return;
	}
	if (is_summary) {
		parse_summary(progress, &fields);
		return;
	}
	struct st87_ping_reply ping;
	if (st87_fields_int(&fields, 0, &ping.seq) || st87_fields_int(&fields, 1, &ping.result) ||
	    st87_fields_int(&fields, 2, &ping.bytes) || st87_fields_int(&fields, 3, &ping.time_ms)) {
		progress->malformed = true;
		return;
	}
	if (progress->on_reply)
		progress->on_reply(progress->user, &ping);
}

int st87_ipping(struct st87_modem *modem, const char *address, int timeout_s, int size, int count,
		st87_ping_fn on_reply, void *user, struct st87_ping_summary *summary)
{
	if (timeout_s < 1 || timeout_s > 120)
		return st87_fail(-EINVAL, "ping timeout %d s is outside 1..120", timeout_s);
	if (size < 1 || size > 450)
		return st87_fail(-EINVAL, "ping size %d bytes is outside 1..450", size);
	if (count < 1 || count > 20)
		return st87_fail(-EINVAL, "ping count %d is outside 1..20", count);
	char text[160];
	snprintf(text, sizeof(text), "AT#IPPING=%d,%s,%d,%d,%d", modem->cid, address, timeout_s, size,
		 count);
	memset(summary, 0, sizeof(*summary));
	struct ping_progress progress = {.on_reply = on_reply, .user = user, .summary = summary};
	struct st87_at_command command = {.text = text,
					  .info_prefix = "#IPPING:",
					  .is_info = is_ping_line,
					  .on_info = on_ping_line,
					  .info_user = &progress};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, timeout_s * 1000 * count, &reply);
	if (err)
		return err;
	if (progress.malformed)
		return st87_fail(-EPROTO, "malformed AT#IPPING answer");
	return progress.have_summary ? 0 : st87_fail(-EPROTO, "AT#IPPING gave no summary line");
}

/* A name the command line can carry: no quote, comma or control character. */
static bool is_plain_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 253)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '"' || *p == ',' || (unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* The answer's address, and its TTL where the firmware gives one ("#DNS: <ip>,<ttl>", Mbed's). */
static int parse_dns_answer(const struct st87_at_reply *reply, char address[ST87_ADDR_LEN], int *ttl_s)
{
	struct st87_fields fields;
	if (reply->n_lines < 1 || st87_fields_split(reply->lines[0], true, &fields) < 1 ||
	    !fields.value[0][0])
		return st87_fail(-EPROTO, "malformed AT#DNS answer");
	snprintf(address, ST87_ADDR_LEN, "%s", fields.value[0]);
	int ttl = -1;
	if (fields.count >= 2 && (st87_fields_int(&fields, 1, &ttl) || ttl < 0))
		ttl = -1;
	if (ttl_s)
		*ttl_s = ttl;
	return 0;
}

int st87_dns_resolve_ttl(struct st87_modem *modem, const char *name, int ip_version,
			 char address[ST87_ADDR_LEN], int *ttl_s)
{
	if (ttl_s)
		*ttl_s = -1;
	if (modem->dns_support == 0)
		return st87_fail(-ENOSYS, "the modem does not resolve names (AT#DNS unknown)");
	if (!is_plain_name(name)) {
		char shown[256];
		st87_printable(name, strlen(name), shown, sizeof(shown));
		return st87_fail(-EINVAL, "\"%s\" is not a name the modem can look up", shown);
	}
	char text[300];
	snprintf(text, sizeof(text), "AT#DNS=%d,%d,\"%s\"", modem->cid, ip_version ? 1 : 0, name);
	struct st87_at_command command = {.text = text, .info_prefix = "#DNS:"};
	struct st87_at_reply reply;
	int err = st87_modem_run(modem, &command, ST87_DEADLINE_DNS, &reply);
	/* Some firmware (Mbed's) sends an error line after a valid answer: the answer stands. */
	if (err && reply.answered && reply.n_lines > 0 && err != -ENETRESET && err != -ENETDOWN &&
	    parse_dns_answer(&reply, address, ttl_s) == 0) {
		st87_info("AT#DNS: an error line after the answer %s for %s: the answer stands", address,
			  name);
		modem->dns_support = 1;
		return 0;
	}
	if (st87_reply_unknown_command(err, &reply) && modem->dns_support < 0) {
		/* A bare ERROR while error codes are off (a restart before AT+CMEE=1) says nothing of AT#DNS. */
		if (reply.cme == 504 || modem->cmee_on)
			modem->dns_support = 0;
		return st87_fail(-ENOSYS, "the modem does not resolve names (AT#DNS unknown)");
	}
	if (reply.cme == 2171)
		return st87_fail(-ENOENT, "the modem's resolver does not know %s (+CME ERROR: 2171)",
				 name);
	if (reply.cme == 2112)
		return st87_fail(-EHOSTUNREACH,
				 "the modem has no DNS server (+CME ERROR: 2112, its factory state): "
				 "set one with AT#IPPARAMS, then AT#RESET=1 (st87ctl doctor shows how)");
	if (err)
		return err;
	modem->dns_support = 1;
	return parse_dns_answer(&reply, address, ttl_s);
}

int st87_dns_resolve(struct st87_modem *modem, const char *name, int ip_version,
		     char address[ST87_ADDR_LEN])
{
	return st87_dns_resolve_ttl(modem, name, ip_version, address, NULL);
}
