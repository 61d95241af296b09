#include "metrics_text.h"

#include <pthread.h>
#include <stdbool.h>

#include "engine.h"
#include "engine_metrics.h"
#include "internal.h"
#include "program_traffic.h"
#include "rrc_seconds.h"

/* The radio's gauges as last read, and when. */
struct radio_sample {
	bool read; /* once read */
	long long read_at_ms;
	int cesq_err, cscon_err;
	struct st87_cesq cesq;
	struct st87_cscon cscon;
	struct rrc_reading rrc;
};

/*
 * How long a write waits for the radio job it finds in flight, counted from
 * when the job was queued: behind a long command (AT#DNS: up to 80 s) the
 * metrics are written with the last values rather than late, and a scrape
 * answered within its deadline.
 */
#define RADIO_WAIT_MS 1000

static int radio_interval_s = 60;
/* Held while the radio is sampled and its values read: a file write and a scrape may meet. */
static pthread_mutex_t radio_lock = PTHREAD_MUTEX_INITIALIZER;
static struct radio_sample radio;

static int read_radio(struct st87_modem *modem, void *arg);
/*
 * The one radio job, in flight from when a write queues it to when a write
 * takes its outcome: the engine may run it after the write that queued it
 * has returned, so it and its sample live here. Only metrics never open the
 * port (nor, asleep, wake) it: only_if_open.
 */
static struct radio_sample radio_job_sample;
static struct engine_job radio_job = {.run = read_radio, .arg = &radio_job_sample, .only_if_open = true};
static bool radio_job_in_flight;
static long long radio_job_queued_ms;

/* The engine's job: AT+CESQ and AT+CSCON?, unless the modem may sleep (a query would wake it). */
static int read_radio(struct st87_modem *modem, void *arg)
{
	struct radio_sample *sample = arg;
	struct rrc_reading *rrc = &sample->rrc;
	*rrc = (struct rrc_reading){0};
	rrc->from_urcs = st87_modem_rrc_connected_ms(modem, &rrc->urc_connected_ms);
	if (st87_modem_may_be_asleep(modem))
		return 1;
	/* Once per session (and after each restart), sent only while the modem is awake. */
	if (!rrc->from_urcs && st87_cscon_urcs_on(modem) == 0)
		rrc->from_urcs = st87_modem_rrc_connected_ms(modem, &rrc->urc_connected_ms);
	sample->cesq_err = st87_cesq_read(modem, &sample->cesq);
	sample->cscon_err = st87_cscon_read(modem, &sample->cscon);
	rrc->read = !sample->cscon_err;
	rrc->connected = sample->cscon.connected;
	sample->read = true;
	sample->read_at_ms = st87_now_ms();
	return 0;
}

/*
 * Asks again once the values are older than the radio interval; while the
 * modem sleeps, at each write. Waits for the answer up to RADIO_WAIT_MS after
 * the job was queued; an answer later than that is taken by a later write.
 */
static void sample_radio(long long now_ms)
{
	if (!radio_job_in_flight) {
		if (radio.read && now_ms - radio.read_at_ms < radio_interval_s * 1000LL)
			return;
		radio_job_sample = radio;
		if (engine_post_job(&radio_job) != 0)
			return; /* nothing learned */
		radio_job_in_flight = true;
		radio_job_queued_ms = now_ms;
	}
	long long wait_ms = radio_job_queued_ms + RADIO_WAIT_MS - now_ms;
	if (!engine_wait_job(&radio_job, wait_ms > 0 ? (int)wait_ms : 0))
		return;
	radio_job_in_flight = false;
	int outcome = radio_job.result;
	if (outcome == 0)
		radio = radio_job_sample;
	/* Noted as of this write, not of the job: the connected seconds already written never go back. */
	if (outcome == 0 || outcome == 1) /* read, or found asleep; otherwise nothing learned */
		rrc_seconds_note(&radio_job_sample.rrc, st87_now_ms());
}

/* A label's value in the text format: backslash, double quote and line feed escaped. */
static void metrics_label_value(const char *text, char *out, size_t len)
{
	size_t used = 0;
	for (; *text && used + 3 < len; text++) {
		if (*text == '\\' || *text == '"' || *text == '\n')
			out[used++] = '\\';
		out[used++] = *text == '\n' ? 'n' : *text;
	}
	out[used] = '\0';
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_counters(FILE *out, const struct engine_metrics *m)
{
	family(out, "st87_payload_bytes_total", "counter", "Programs' payload carried by the modem.");
	fprintf(out, "st87_payload_bytes_total{direction=\"to_modem\"} %llu\n", m->bytes_to_modem);
	fprintf(out, "st87_payload_bytes_total{direction=\"from_modem\"} %llu\n", m->bytes_from_modem);
	family(out, "st87_at_commands_total", "counter", "AT command lines sent to the modem.");
	fprintf(out, "st87_at_commands_total %llu\n", m->modem.commands);
	family(out, "st87_cme_errors_total", "counter", "+CME ERROR answers, by code.");
	for (size_t i = 0; i < ST87_CME_KINDS && m->modem.cme[i].count; i++)
		fprintf(out, "st87_cme_errors_total{code=\"%d\"} %llu\n", m->modem.cme[i].code,
			m->modem.cme[i].count);
	fprintf(out, "st87_cme_errors_total{code=\"other\"} %llu\n", m->modem.cme_other);
	family(out, "st87_modem_restarts_total", "counter", "Restarts of the modem.");
	fprintf(out, "st87_modem_restarts_total %llu\n", m->modem.restarts);
	family(out, "st87_link_losses_total", "counter", "Losses of the modem's IP link.");
	fprintf(out, "st87_link_losses_total %llu\n", m->modem.link_losses);
	family(out, "st87_connects_total", "counter",
	       "Routed sockets the modem opened (TCP: connected), and those that failed first.");
	fprintf(out, "st87_connects_total{result=\"ok\"} %llu\n", m->connects_ok);
	fprintf(out, "st87_connects_total{result=\"failed\"} %llu\n", m->connects_failed);
	family(out, "st87_tcp_evictions_total", "counter",
	       "Idle connections that gave the modem's TCP socket up to a connect of their program.");
	fprintf(out, "st87_tcp_evictions_total %llu\n", m->evictions);
	family(out, "st87_tcp_queue_wait_seconds", "summary",
	       "Connects that waited in line for the modem's TCP socket, counted as they leave it.");
	fprintf(out, "st87_tcp_queue_wait_seconds_count %llu\n", m->tcp_waits);
	fprintf(out, "st87_tcp_queue_wait_seconds_sum %.3f\n", m->tcp_wait_ms / 1000.0);
}

/* Per program name, at most PROGRAM_TRAFFIC_NAMES of them and "other" (program_traffic.c says why). */
static void write_programs(FILE *out)
{
	struct program_traffic programs[PROGRAM_TRAFFIC_NAMES + 1];
	size_t count = program_traffic_by_name(programs, PROGRAM_TRAFFIC_NAMES + 1);
	family(out, "st87_program_payload_bytes_total", "counter",
	       "Payload carried by the modem, by program name (the first 32 names; later ones as "
	       "\"other\"; \"st87d\": its own DNS queries).");
	for (size_t i = 0; i < count; i++) {
		char label[4 * ST87_PROCESS_NAME_SIZE];
		metrics_label_value(programs[i].name, label, sizeof(label));
		fprintf(out,
			"st87_program_payload_bytes_total{direction=\"to_modem\",program=\"%s\"} %llu\n",
			label, programs[i].to_modem);
		fprintf(out,
			"st87_program_payload_bytes_total{direction=\"from_modem\",program=\"%s\"} "
			"%llu\n",
			label, programs[i].from_modem);
	}
}

static void write_gauges(FILE *out, const struct engine_metrics *m, long long now_ms)
{
	family(out, "st87_sockets_open", "gauge", "Routed sockets with a modem socket.");
	fprintf(out, "st87_sockets_open %d\n", m->sockets_open);
	family(out, "st87_modem_open", "gauge", "1 while st87d has the modem's port open.");
	fprintf(out, "st87_modem_open %d\n", m->modem_open ? 1 : 0);
	family(out, "st87_tcp_queue_waiting", "gauge",
	       "Connects in line for the modem's TCP socket now.");
	fprintf(out, "st87_tcp_queue_waiting %d\n", m->tcp_waiting);
	if (!radio.read)
		return;
	/* The last values, with their age: a sleeping modem is not woken to be measured. */
	family(out, "st87_radio_age_seconds", "gauge", "Age of the radio values below.");
	fprintf(out, "st87_radio_age_seconds %lld\n", (now_ms - radio.read_at_ms) / 1000);
	if (!radio.cesq_err && radio.cesq.rsrp_known) {
		family(out, "st87_rsrp_dbm", "gauge", "RSRP (AT+CESQ), the low end of its range.");
		fprintf(out, "st87_rsrp_dbm %d\n", radio.cesq.rsrp_dbm);
	}
	if (!radio.cesq_err && radio.cesq.rsrq_known) {
		family(out, "st87_rsrq_db", "gauge", "RSRQ (AT+CESQ), the low end of its range.");
		fprintf(out, "st87_rsrq_db %.1f\n", radio.cesq.rsrq_db);
	}
	if (!radio.cscon_err) {
		family(out, "st87_rrc_connected", "gauge",
		       "1 while the radio (RRC) is connected (AT+CSCON?).");
		fprintf(out, "st87_rrc_connected %d\n", radio.cscon.connected ? 1 : 0);
	}
	bool from_urcs;
	double connected_s = rrc_seconds_total(now_ms, &from_urcs);
	family(out, "st87_radio_connected_seconds_total", "counter",
	       from_urcs ? "Seconds the radio (RRC) was connected: from the modem's +CSCON URCs "
			   "(AT+CSCON=1), as of the last radio reading."
			 : "Seconds the radio (RRC) was connected: from AT+CSCON? read every "
			   "--metrics-radio-interval, each reading held until the next, a sleeping "
			   "modem idle (the firmware sends no +CSCON URCs).");
	fprintf(out, "st87_radio_connected_seconds_total %.3f\n", connected_s);
}

void metrics_text_configure(int interval_s)
{
	radio_interval_s = interval_s;
}

void metrics_text(FILE *out)
{
	struct engine_metrics m;
	engine_metrics_read(&m);
	write_counters(out, &m);
	write_programs(out);
	pthread_mutex_lock(&radio_lock);
	sample_radio(st87_now_ms());
	write_gauges(out, &m, st87_now_ms());
	pthread_mutex_unlock(&radio_lock);
}
