/*
 * Fuzz target: the AT engine (src/core/at.c), and the field splitter
 * (src/core/fields.c) over every information line it returns.
 *
 * Input: SCRIPT '\n' STREAM. Without a '\n' in the first 33 bytes the whole
 * input is STREAM and the script is "R".
 *
 * SCRIPT is what the host does, one byte per step (other bytes are skipped):
 *   A E M I F G C K N T S U L R P D X   run that command (see commands[])
 *   p      st87_at_poll(at, 0)
 *   w      release the next STREAM segment while no command runs
 *   0..9   cap every later read at chunk_sizes[digit] bytes (0: no cap)
 *   e      toggle: the URC callback aborts the command on "#SIMST" and
 *          "+CGEV: ME PDN DEACT" (a reboot, as the modem module does)
 *   t      toggle the trace callback
 *   f      the next read fails with -EIO
 *   x      the first read after the next write fails with -EIO
 *   W      the next write fails with -EIO
 *
 * STREAM is what the modem sends, in segments separated by the byte 0x1d
 * (ASCII GS); 0x1d 0x1d stands for one 0x1d byte of data. Segment 0 is there
 * from the start (boot lines, URCs); each write by the host and each 'w'
 * releases the next segment, as a modem answers what it was sent. A read
 * returns released bytes only; when none are left it returns 0 at once,
 * which the engine takes for a timeout, so nothing ever waits.
 *
 * Invariants checked besides the sanitizers: results are 0 or a negative
 * errno and agree with the CME code; every line handed out is one line
 * (no CR, LF, NUL inside, not empty, at most ST87_MAX_LINE); a successful
 * #IPREAD delivers exactly the bytes its header announced; the engine writes
 * exactly the command line and payload. And fragments do not matter: the
 * script run again with whole segments per read and with reads of 1 to 7
 * bytes (the input's length picks; digits, 'f' and 'x' left out) gives the
 * same results, lines, blocks and URCs both times.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "fields.h"
#include "fuzz.h"
#include "st87/st87.h"

#define SCRIPT_MAX 32
#define SEGMENT_SEPARATOR 0x1d
#define COMMAND_TIMEOUT_MS 60000

static const size_t chunk_sizes[10] = {0, 1, 2, 3, 5, 7, 16, 64, 512, 4096};

static const char small_payload[] = "hello";
/* Longer than ST87_MAX_SEND: the engine writes it apart from its line. */
static char large_payload[1700];

static bool is_digit_line(const char *line)
{
	return line[0] >= '0' && line[0] <= '9';
}

static bool is_any_line(const char *line)
{
	(void)line;
	return true;
}

struct script_command {
	char key;
	struct st87_at_command command;
};

static const struct script_command commands[] = {
	{'A', {.text = "AT"}},
	{'E', {.text = "ATE0"}},
	{'M', {.text = "AT#IPPARAMS?", .info_prefix = "#IPPARAMS:"}},
	{'I', {.text = "AT#IPCFG?", .info_prefix = "#IPCFG:"}},
	{'F', {.text = "AT#IPCFG=5,0,100.115.11.113"}},
	{'G', {.text = "AT+CGPADDR=5", .info_prefix = "+CGPADDR:"}},
	{'C', {.text = "AT#SOCKETCREATE=5,0,TCP,0,1,1,1", .info_prefix = "#SOCKETCREATE:"}},
	{'K', {.text = "AT#SOCKETCREATE?", .info_prefix = "#SOCKETCREATE:"}},
	{'N', {.text = "AT#TCPCONNECT=5,0,127.0.0.1,7"}},
	{'T', {.text = "AT#TCPCONNECT?", .info_prefix = "#TCPCONNECT:"}},
	{'S',
	 {.text = "AT#IPSENDTCP=5,0,1,5",
	  .payload = small_payload,
	  .payload_len = 5,
	  .handshake = ST87_SEND_ONE_STEP}},
	{'U',
	 {.text = "AT#IPSENDUDP=5,1,127.0.0.1,5000,0,1,5",
	  .payload = small_payload,
	  .payload_len = 5,
	  .handshake = ST87_SEND_ONE_STEP}},
	{'L',
	 {.text = "AT#IPSENDUDP=5,1,127.0.0.1,5000,0,1,1700",
	  .payload = large_payload,
	  .payload_len = sizeof large_payload,
	  .handshake = ST87_SEND_ONE_STEP}},
	{'R', {.text = "AT#IPREAD=5,0", .info_prefix = "#IPREAD:", .binary_block = true}},
	{'P', {.text = "AT#IPPING=5,8.8.8.8", .info_prefix = "#IPPING:", .is_info = is_digit_line}},
	{'D', {.text = "AT#SOCKETCLOSE=5,0"}},
	{'X', {.text = "AT+CGMR", .is_info = is_any_line}},
};

/* What the host saw, as text, to compare two runs of one script. */
struct event_log {
	char *text;
	size_t len, size;
	bool out_of_memory;
};

static void log_bytes(struct event_log *log, const void *data, size_t len)
{
	if (!log || log->out_of_memory || len == 0)
		return;
	if (len > log->size - log->len) {
		size_t size = (log->len + len) * 2 + 256;
		char *text = realloc(log->text, size);

		if (!text) {
			log->out_of_memory = true;
			return;
		}
		log->text = text;
		log->size = size;
	}
	memcpy(log->text + log->len, data, len);
	log->len += len;
}

static void log_text(struct event_log *log, const char *tag, const char *text)
{
	log_bytes(log, tag, strlen(tag));
	log_bytes(log, text, strlen(text));
	log_bytes(log, "\n", 1);
}

/* The modem side of the in-memory transport. */
struct fuzz_modem {
	uint8_t *bytes; /* STREAM with separators taken out */
	size_t len;
	size_t *segment_ends;
	size_t n_segments;
	size_t released; /* segments the host may read: [0, released) */
	size_t pos;
	size_t chunk;
	bool fail_next_read;
	bool fail_read_after_write;
	bool fail_next_write;
	bool abort_on_reboot;
	/* What the host wrote for the command in flight. */
	char written[ST87_MAX_LINE + 2 + sizeof large_payload];
	size_t written_len;
	bool write_overflow;
	/* NULL: nothing recorded. URCs apart: a URC that came with a final
	 * result reaches the callback before st87_at_run() returns, one that
	 * came after it later, so only the order within each log is fixed. */
	struct event_log *urc_log, *reply_log;
};

static void release_segment(struct fuzz_modem *modem)
{
	if (modem->released < modem->n_segments)
		modem->released++;
}

static int modem_write_all(void *context, const void *data, size_t len, int timeout_ms)
{
	struct fuzz_modem *modem = context;

	(void)timeout_ms;
	FUZZ_CHECK(data != NULL || len == 0);
	fuzz_touch(data, len);
	if (modem->fail_next_write) {
		modem->fail_next_write = false;
		return -EIO;
	}
	if (len <= sizeof modem->written - modem->written_len) {
		memcpy(modem->written + modem->written_len, data, len);
		modem->written_len += len;
	} else {
		modem->write_overflow = true;
	}
	if (modem->fail_read_after_write) {
		modem->fail_read_after_write = false;
		modem->fail_next_read = true;
	}
	release_segment(modem);
	return 0;
}

static ssize_t modem_read(void *context, void *buf, size_t len, int timeout_ms)
{
	struct fuzz_modem *modem = context;
	size_t limit = modem->released ? modem->segment_ends[modem->released - 1] : 0;
	size_t n = limit - modem->pos;

	(void)timeout_ms;
	FUZZ_CHECK(buf != NULL && len > 0);
	if (modem->fail_next_read) {
		modem->fail_next_read = false;
		return -EIO;
	}
	if (n > len)
		n = len;
	if (modem->chunk && n > modem->chunk)
		n = modem->chunk;
	memcpy(buf, modem->bytes + modem->pos, n);
	modem->pos += n;
	return (ssize_t)n;
}

/* A line the engine hands out: one non-empty line of at most ST87_MAX_RESPONSE_LINE bytes. */
static void check_line(const char *line)
{
	FUZZ_CHECK(line != NULL);
	size_t len = strlen(line);
	FUZZ_CHECK(len > 0 && len <= ST87_MAX_RESPONSE_LINE);
	FUZZ_CHECK(strpbrk(line, "\r\n") == NULL);
}

static void check_fields(const char *line)
{
	struct st87_fields fields;

	for (int after_colon = 0; after_colon <= 1; after_colon++) {
		int count = st87_fields_split(line, after_colon, &fields);
		FUZZ_CHECK(count == -EPROTO || (count >= 1 && count <= ST87_FIELD_MAX));
		if (count < 0)
			continue;
		FUZZ_CHECK((size_t)count == fields.count);
		for (size_t i = 0; i <= fields.count; i++) {
			int value;

			if (i < fields.count)
				FUZZ_CHECK(strlen(fields.value[i]) < ST87_FIELD_LEN);
			int err = st87_fields_int(&fields, i, &value);
			FUZZ_CHECK(err == 0 || err == -EPROTO);
			FUZZ_CHECK(i < fields.count || err == -EPROTO);
		}
	}
}

static int on_urc(void *user, const char *line)
{
	struct fuzz_modem *modem = user;

	check_line(line);
	log_text(modem->urc_log, "", line);
	if (modem->abort_on_reboot &&
	    (strncmp(line, "#SIMST", 6) == 0 || strncmp(line, "+CGEV: ME PDN DEACT", 19) == 0))
		return -ENETRESET;
	return 0;
}

static void on_info(void *user, const char *line)
{
	(void)user;
	check_line(line);
}

static void on_trace(void *user, bool out, const char *data, size_t len, bool binary)
{
	(void)user;
	(void)out;
	FUZZ_CHECK(data != NULL || len == 0);
	FUZZ_CHECK(binary || len <= ST87_MAX_RESPONSE_LINE);
	fuzz_touch(data, len);
}

/* The length a successful #IPREAD header announces, read by the field splitter. */
static bool announced_length(const char *header, size_t *length)
{
	struct st87_fields fields;
	int value;

	if (st87_fields_split(header, true, &fields) < 1 ||
	    st87_fields_int(&fields, fields.count - 1, &value) < 0 || value < 0)
		return false;
	*length = (size_t)value;
	return true;
}

static void check_written(const struct fuzz_modem *modem, const struct st87_at_command *command)
{
	size_t text_len = strlen(command->text);

	if (modem->write_overflow)
		return;
	if (command->payload_len == 0) {
		FUZZ_CHECK(modem->written_len == text_len + 1);
		FUZZ_CHECK(memcmp(modem->written, command->text, text_len) == 0);
		FUZZ_CHECK(modem->written[text_len] == '\r');
		return;
	}
	/* CR alone before the payload: the maker's firmware may take an LF for data. */
	FUZZ_CHECK(modem->written_len == text_len + 1 + command->payload_len);
	FUZZ_CHECK(memcmp(modem->written, command->text, text_len) == 0);
	FUZZ_CHECK(modem->written[text_len] == '\r');
	FUZZ_CHECK(memcmp(modem->written + text_len + 1, command->payload, command->payload_len) == 0);
}

static void run_command(struct st87_at *at, struct fuzz_modem *modem,
			const struct st87_at_command *template)
{
	struct st87_at_command command = *template;
	struct st87_at_reply reply;
	bool write_fails = modem->fail_next_write;

	command.timeout_ms = COMMAND_TIMEOUT_MS;
	command.on_info = on_info;
	command.info_user = modem;
	modem->written_len = 0;
	modem->write_overflow = false;

	int result = st87_at_run(at, &command, &reply);

	FUZZ_CHECK(result <= 0);
	FUZZ_CHECK(result == reply.result);
	FUZZ_CHECK(result < 0 || reply.cme == -1);
	FUZZ_CHECK(reply.cme == -1 || (reply.cme >= 0 && result < 0));
	if (write_fails)
		FUZZ_CHECK(result == -EIO);
	else
		check_written(modem, &command);

	FUZZ_CHECK(reply.n_lines <= sizeof reply.lines / sizeof reply.lines[0]);
	for (size_t i = 0; i < reply.n_lines; i++) {
		check_line(reply.lines[i]);
		check_fields(reply.lines[i]);
	}
	FUZZ_CHECK(reply.block_len <= ST87_MAX_READ);
	FUZZ_CHECK(reply.block != NULL || reply.block_len == 0);
	if (reply.block)
		fuzz_touch(reply.block, reply.block_len);

	if (modem->reply_log) {
		char summary[96];

		snprintf(summary, sizeof summary, "%s: %d cme %d, %zu lines, block %zu", command.text,
			 result, reply.cme, reply.n_lines, reply.block_len);
		log_text(modem->reply_log, "", summary);
		for (size_t i = 0; i < reply.n_lines; i++)
			log_text(modem->reply_log, "line ", reply.lines[i]);
		if (reply.block)
			log_bytes(modem->reply_log, reply.block, reply.block_len);
	}
	if (!command.binary_block) {
		FUZZ_CHECK(reply.block == NULL);
		return;
	}
	if (result == 0 && reply.n_lines == 1) {
		size_t length;

		if (announced_length(reply.lines[0], &length))
			FUZZ_CHECK(reply.block_len == length);
	}
}

/* Takes the separators out of @p stream into @p modem; false when out of memory. */
static bool split_stream(const uint8_t *stream, size_t len, struct fuzz_modem *modem)
{
	modem->bytes = malloc(len ? len : 1);
	modem->segment_ends = malloc((len + 1) * sizeof *modem->segment_ends);
	if (!modem->bytes || !modem->segment_ends)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (stream[i] == SEGMENT_SEPARATOR) {
			if (i + 1 < len && stream[i + 1] == SEGMENT_SEPARATOR) {
				modem->bytes[modem->len++] = SEGMENT_SEPARATOR;
				i++;
				continue;
			}
			modem->segment_ends[modem->n_segments++] = modem->len;
			continue;
		}
		modem->bytes[modem->len++] = stream[i];
	}
	modem->segment_ends[modem->n_segments++] = modem->len;
	return true;
}

enum run_mode {
	RUN_AS_SCRIPTED, /* digits, 'f' and 'x' as the script says */
	RUN_WHOLE,       /* every read takes all it may; no failed reads */
	RUN_SMALL,       /* every read takes 1..7 bytes; no failed reads */
};

/*
 * Runs @p script against @p modem (its stream split already) with a new
 * engine; RUN_SMALL reads @p small_chunk bytes at a time.
 */
static void run_script(const uint8_t *script, size_t script_len, struct fuzz_modem *modem,
		       enum run_mode mode, size_t small_chunk)
{
	struct st87_at_transport transport = {
		.context = modem,
		.write_all = modem_write_all,
		.read = modem_read,
	};
	struct st87_at *at = NULL;
	bool tracing = false;

	modem->released = 1;
	modem->pos = 0;
	modem->chunk = mode == RUN_SMALL ? small_chunk : 0;
	modem->fail_next_read = modem->fail_read_after_write = modem->fail_next_write = false;
	modem->abort_on_reboot = false;
	if (st87_at_new(&transport, on_urc, modem, &at) < 0)
		return;

	for (size_t i = 0; i < script_len; i++) {
		uint8_t step = script[i];

		if (step >= '0' && step <= '9') {
			if (mode == RUN_AS_SCRIPTED)
				modem->chunk = chunk_sizes[step - '0'];
			continue;
		}
		switch (step) {
		case 'p': {
			int handled = st87_at_poll(at, 0);

			FUZZ_CHECK(handled >= 0 || handled == -EIO);
			continue;
		}
		case 'w':
			release_segment(modem);
			continue;
		case 'e':
			modem->abort_on_reboot = !modem->abort_on_reboot;
			continue;
		case 't':
			tracing = !tracing;
			st87_at_set_trace(at, tracing ? on_trace : NULL, NULL);
			continue;
		case 'f':
			modem->fail_next_read = mode == RUN_AS_SCRIPTED;
			continue;
		case 'x':
			modem->fail_read_after_write = mode == RUN_AS_SCRIPTED;
			continue;
		case 'W':
			modem->fail_next_write = true;
			continue;
		default:
			break;
		}
		for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
			if (commands[c].key == step) {
				run_command(at, modem, &commands[c].command);
				break;
			}
		}
	}

	/* The rest arrives while the host is idle. */
	modem->fail_next_read = modem->fail_read_after_write = false;
	for (;;) {
		FUZZ_CHECK(st87_at_poll(at, 0) >= 0);
		if (modem->released == modem->n_segments)
			break;
		release_segment(modem);
	}
	FUZZ_CHECK(modem->pos == modem->len);
	st87_at_free(at);
}

/* Prints what @p log holds from @p from on (at most 240 bytes). */
static void show_events(const char *who, const struct event_log *log, size_t from)
{
	size_t len = log->len - from < 240 ? log->len - from : 240;

	fprintf(stderr, "%s ...%.*s\n", who, (int)len, log->text + from);
}

/* Aborts, showing where they part, unless both runs logged the same. */
static void check_same_events(const char *what, const struct event_log *whole,
			      const struct event_log *small)
{
	size_t at = 0;

	if (whole->out_of_memory || small->out_of_memory)
		return;
	if (whole->len == small->len &&
	    (whole->len == 0 || memcmp(whole->text, small->text, whole->len) == 0))
		return;
	while (at < whole->len && at < small->len && whole->text[at] == small->text[at])
		at++;
	fprintf(stderr, "%s differ:\n", what);
	show_events("whole reads:", whole, at > 120 ? at - 120 : 0);
	show_events("small reads:", small, at > 120 ? at - 120 : 0);
	fuzz_fail(__FILE__, __LINE__, "the fragments of the input changed what the host saw");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *newline = memchr(data, '\n', size < SCRIPT_MAX + 1 ? size : SCRIPT_MAX + 1);
	const uint8_t *script = (const uint8_t *)"R";
	size_t script_len = 1;
	const uint8_t *stream = data;
	size_t stream_len = size;
	struct fuzz_modem modem;
	struct event_log logs[4] = {{0}}; /* URCs and replies, whole reads and small reads */

	memset(large_payload, 'x', sizeof large_payload);
	st87_log_set_level(ST87_LOG_NONE);
	if (newline) {
		script = data;
		script_len = (size_t)(newline - data);
		stream = newline + 1;
		stream_len = size - script_len - 1;
	}
	memset(&modem, 0, sizeof modem);
	if (split_stream(stream, stream_len, &modem)) {
		run_script(script, script_len, &modem, RUN_AS_SCRIPTED, 0);
		modem.urc_log = &logs[0];
		modem.reply_log = &logs[1];
		run_script(script, script_len, &modem, RUN_WHOLE, 0);
		modem.urc_log = &logs[2];
		modem.reply_log = &logs[3];
		run_script(script, script_len, &modem, RUN_SMALL, 1 + size % 7);
		check_same_events("replies", &logs[1], &logs[3]);
		check_same_events("URCs", &logs[0], &logs[2]);
	}
	free(modem.bytes);
	free(modem.segment_ends);
	for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++)
		free(logs[i].text);
	return 0;
}
