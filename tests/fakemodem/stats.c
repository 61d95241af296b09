#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"

static int find_command(const struct stats *s, const char *name)
{
	for (int i = 0; i < s->ncommands; i++)
		if (!strcmp(s->commands[i].name, name))
			return i;
	return -1;
}

void stats_count_command(struct stats *s, const char *keyword)
{
	int i = find_command(s, keyword);

	if (i < 0 && s->ncommands >= STATS_MAX_COMMANDS - 1) {
		/* Junk input must not grow the table without bound; the
		 * last slot is kept for "OTHER". */
		keyword = "OTHER";
		i = find_command(s, keyword);
	}
	if (i < 0) {
		i = s->ncommands++;
		snprintf(s->commands[i].name, sizeof(s->commands[i].name), "%s", keyword);
		s->commands[i].count = 0;
	}
	s->commands[i].count++;
}

static void put_json_string(FILE *f, const char *str)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void put_air_stats(FILE *f, const struct air_stats *a)
{
	fprintf(f,
		"\"uplink_bytes_queued\": %llu, \"uplink_bytes_sent\": %llu, "
		"\"downlink_bytes_queued\": %llu, \"downlink_bytes_sent\": %llu, "
		"\"sends_held_for_uplink\": %llu, \"rrc_setups\": %llu, "
		"\"radio_connected_ms\": %llu, \"late_answers\": %llu, ",
		(unsigned long long)a->uplink_queued, (unsigned long long)a->uplink_sent,
		(unsigned long long)a->downlink_queued, (unsigned long long)a->downlink_sent,
		(unsigned long long)a->sends_held, (unsigned long long)a->rrc_setups,
		(unsigned long long)a->radio_connected_ms, (unsigned long long)a->late_answers);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b); /* name is the first member */
}

int stats_write(const struct stats *s, const char *path, int open_sockets, uint64_t udp_dropped)
{
	struct stats sorted = *s;
	size_t len = strlen(path);
	char *tmp = fm_realloc(NULL, len + 5);
	FILE *f;
	int rc = 0;

	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp", 5);
	f = fopen(tmp, "we");
	if (!f) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	qsort(sorted.commands, (size_t)sorted.ncommands, sizeof(sorted.commands[0]), by_name);
	fprintf(f, "{\"open_sockets\": %d, \"commands\": {", open_sockets);
	for (int i = 0; i < sorted.ncommands; i++) {
		if (i)
			fputs(", ", f);
		put_json_string(f, sorted.commands[i].name);
		fprintf(f, ": %llu", (unsigned long long)sorted.commands[i].count);
	}
	fprintf(f,
		"}, \"bytes_from_host\": %llu, \"bytes_to_host\": %llu, "
		"\"payload_sent\": %llu, \"payload_received\": %llu, "
		"\"udp_dropped\": %llu, \"reboots\": %llu, \"profile\": ",
		(unsigned long long)s->bytes_from_host, (unsigned long long)s->bytes_to_host,
		(unsigned long long)s->payload_sent, (unsigned long long)s->payload_received,
		(unsigned long long)udp_dropped, (unsigned long long)s->reboots);
	put_json_string(f, s->profile ? s->profile : "note");
	fputs(", \"send_handshake\": ", f);
	put_json_string(f, s->send_handshake ? s->send_handshake : "one");
	fprintf(f,
		", \"dns_queries\": %llu, \"connects_refused_injected\": %llu, "
		"\"sends_failed_injected\": %llu, \"link_losses\": %llu, ",
		(unsigned long long)s->dns_queries, (unsigned long long)s->connects_refused_injected,
		(unsigned long long)s->sends_failed_injected, (unsigned long long)s->link_losses);
	fprintf(f, "\"lines_at_wrong_speed\": %llu, ", (unsigned long long)s->lines_at_wrong_speed);
	fprintf(f,
		"\"udp_rai_0\": %llu, \"udp_rai_1\": %llu, "
		"\"udp_rai_2\": %llu, \"wakeups\": %llu, "
		"\"commands_while_asleep\": %llu, \"awake_ms\": %llu, "
		"\"run_ms\": %llu, ",
		(unsigned long long)s->udp_rai[0], (unsigned long long)s->udp_rai[1],
		(unsigned long long)s->udp_rai[2], (unsigned long long)s->wakeups,
		(unsigned long long)s->commands_while_asleep, (unsigned long long)s->awake_ms,
		(unsigned long long)s->run_ms);
	put_air_stats(f, &s->air);
	if (s->network)
		network_print_json(f, s->network);
	else
		fputs("\"network\": null", f);
	fputs("}\n", f);
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		remove(tmp);
	free(tmp);
	return rc;
}
