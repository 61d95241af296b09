/*
 * The AT engine: one command in flight, over any byte transport.
 *
 * Bytes are eaten one at a time by a small state machine, so a response can
 * arrive in any fragments. Quirks it tolerates, and why:
 *  - a line ends at CR or LF; empty lines are skipped, so CR LF, a bare CR
 *    and a bare LF all work; whether the modem ends its lines in CR alone is
 *    learned from the byte after each CR, so a block that starts with LF
 *    keeps it on such a modem;
 *  - echoed command lines (the modem starts with E1) are recognised by their
 *    "AT" prefix while a command is in flight and skipped; when a binary
 *    send's own line came back, its payload may come back too, and bytes
 *    that repeat it are taken for its echo (a payload holding "OK" must not
 *    end the command); a byte that differs, or a pause, gives the bytes so
 *    far back to the line parser. Whether the echo of our line (sent with
 *    CR alone) ends in CR LF or, as a character echo, in CR alone is
 *    learned from each echoed line, so a payload's first LF is not taken
 *    for the echo's line end. The first answered send says whether the
 *    modem echoes data at all; until then a payload that is the whole of
 *    its answer (exactly "\r\nOK\r\n"), on a modem echoing lines only, is
 *    taken for the echo, and the send times out;
 *  - URCs may arrive between any two lines of a response: every line that is
 *    not the command's information line or final result goes to the URC
 *    callback, which may abort the command (a reboot, say); a raw command
 *    (urcs_in_reply) keeps such lines in its reply as well;
 *  - the #IPREAD information line is followed by a counted binary block that
 *    may hold CR, LF and NUL: it is read by count, never by line;
 *  - a line longer than ST87_MAX_RESPONSE_LINE is dropped at its end; it fails
 *    the command in flight only when it starts as that command's answer, so
 *    the lines after it (a URC) are still read;
 *  - oversized blocks and bad block headers fail the command with -EPROTO
 *    and the engine then drops input until the line goes quiet, so it never
 *    mistakes the rest of a block for responses;
 *  - a restart inside a block (its boot line among the block's bytes, then
 *    silence) is found after QUIET_INSIDE_MS, not at the command's deadline.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "st87/st87.h"

/* After a protocol error: drop input until the modem is quiet this long... */
#define RESYNC_QUIET_MS 100
/* ...but never for longer than this. */
#define RESYNC_MAX_MS 2000
#define INFO_STORE_SIZE 8192
/* A modem writes a block, or an echo, without pauses: a quiet spell this long inside one is looked into. */
#define QUIET_INSIDE_MS 500

/* The lines a restarting modem writes first (docs/PROTOCOL.md §10). */
static const char *const boot_line_prefixes[] = {"#SIMST:", "#REBOOT_RESET"};

enum parse_state {
	PARSE_LINE,
	PARSE_BLOCK_LF, /* header ended with CR: one LF may follow before the data */
	PARSE_BLOCK,
	PARSE_ECHO_LF, /* the send's echoed line ended with CR: one LF may follow before the payload's echo */
	PARSE_ECHO, /* bytes that repeat the payload just sent */
};

struct st87_at {
	struct st87_at_transport transport;
	st87_urc_fn on_urc;
	void *urc_user;
	st87_trace_fn trace;
	void *trace_user;

	uint8_t input[4096]; /* bytes read but not yet parsed */
	size_t input_start, input_end;

	enum parse_state state;
	char line[ST87_MAX_RESPONSE_LINE + 1];
	size_t line_len;
	bool line_overflow;
	bool line_has_nul;
	bool after_cr;              /* the last byte parsed ended a line with CR */
	bool lines_end_in_cr_alone; /* the modem's CR has no LF after it: learned from each line */
	/*
	 * How the modem ends the echo of a line we sent (ending in CR): CR LF as
	 * its own lines, or the CR alone of a character echo. Learned from each
	 * echoed line apart from the modem's lines, since it tells whether an LF
	 * after a send's echoed line is the echo's or the payload's first byte.
	 */
	enum { ECHO_END_UNKNOWN, ECHO_END_CR_LF, ECHO_END_CR } echo_line_end;
	bool after_echo_cr; /* the last byte parsed ended an echoed line with CR */
	bool place_lost;    /* input no longer at a line's start: resynchronise after the command */

	uint8_t block[ST87_MAX_READ];
	size_t block_len, block_expected;

	bool line_echoed;    /* the binary send in flight had its line echoed */
	size_t echo_matched; /* bytes of its payload seen echoed so far */
	bool payload_echoed; /* ...all of them */
	/* Whether a modem that echoes lines echoes a send's data too: learned from the first answered send. */
	enum { DATA_ECHO_UNKNOWN, DATA_ECHOED, DATA_NOT_ECHOED } data_echo;

	/* The command in flight, NULL when idle. */
	const struct st87_at_command *command;
	struct st87_at_reply *reply;
	bool finished;
	int pending_error; /* a protocol error seen before the final result */
	char info_store[INFO_STORE_SIZE];
	size_t info_used;
};

int st87_at_new(const struct st87_at_transport *transport, st87_urc_fn on_urc, void *user,
		struct st87_at **out)
{
	struct st87_at *at = calloc(1, sizeof(*at));
	if (!at)
		return st87_fail(-ENOMEM, "out of memory");
	at->transport = *transport;
	at->on_urc = on_urc;
	at->urc_user = user;
	*out = at;
	return 0;
}

void st87_at_free(struct st87_at *at)
{
	free(at);
}

void st87_at_set_trace(struct st87_at *at, st87_trace_fn trace, void *user)
{
	at->trace = trace;
	at->trace_user = user;
}

/* Case-insensitive prefix match that also accepts "# TCPCONNECT:" for "#TCPCONNECT:" (the note prints both). */
static bool has_prefix(const char *line, const char *prefix)
{
	if (*prefix && *line == *prefix && (*prefix == '#' || *prefix == '+')) {
		line++;
		prefix++;
		while (*line == ' ')
			line++;
	}
	for (; *prefix; line++, prefix++) {
		if (tolower((unsigned char)*line) != tolower((unsigned char)*prefix))
			return false;
	}
	return true;
}

static bool is_echo(const char *line)
{
	return (line[0] == 'A' || line[0] == 'a') && (line[1] == 'T' || line[1] == 't');
}

static void finish(struct st87_at *at, int result, int cme)
{
	at->reply->result = result;
	at->reply->cme = cme;
	at->finished = true;
}

/* Parses "+CME ERROR: <n>" (space optional); -1 when the number is missing. */
static int parse_cme(const char *line)
{
	const char *p = strchr(line, ':') + 1; /* has_prefix() matched up to the colon */
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	char *end;
	long code = strtol(p, &end, 10);
	while (*end == ' ')
		end++;
	return (*end || code > 99999) ? -1 : (int)code;
}

/* "+CME ERROR" or "+CME ERROR:" and nothing more: iLabs' firmware says an error without its code. */
static bool is_cme_without_code(const char *line)
{
	size_t len = strlen("+CME ERROR");
	if (strncasecmp(line, "+CME ERROR", len) != 0)
		return false;
	line += len;
	if (*line == ':')
		line++;
	return line[strspn(line, " ")] == '\0';
}

static bool is_final_result(const char *line)
{
	return strcasecmp(line, "OK") == 0 || strcasecmp(line, "ERROR") == 0 ||
		has_prefix(line, "+CME ERROR:") || is_cme_without_code(line);
}

static bool handle_final_result(struct st87_at *at, const char *line)
{
	if (is_cme_without_code(line)) {
		at->reply->answered = true;
		at->reply->cme_without_code = true;
		st87_fail(-EIO, "modem answered \"%s\" (an error without its code)", line);
		finish(at, -EIO, -1);
		return true;
	}
	if (is_final_result(line))
		at->reply->answered = true;
	if (strcasecmp(line, "OK") == 0) {
		finish(at, at->pending_error, -1);
		return true;
	}
	if (strcasecmp(line, "ERROR") == 0) {
		st87_fail(-EIO, "modem answered ERROR");
		finish(at, -EIO, -1);
		return true;
	}
	if (has_prefix(line, "+CME ERROR:")) {
		int cme = parse_cme(line);
		if (cme < 0) {
			st87_fail(-EIO, "modem answered \"%s\"", line);
			finish(at, -EIO, -1);
		} else {
			const char *text = st87_cme_text(cme);
			st87_fail(-st87_cme_errno(cme), "+CME ERROR: %d (%s)", cme,
				  text ? text : "not in the note's table");
			finish(at, -st87_cme_errno(cme), cme);
		}
		return true;
	}
	return false;
}

/* The last comma-separated field of a block header: the block's length. */
static int block_length(const char *line, size_t *length)
{
	const char *field = strrchr(line, ',');
	field = field ? field + 1 : strchr(line, ':');
	if (!field)
		return -EPROTO;
	if (*field == ':')
		field++;
	while (*field == ' ')
		field++;
	if (!isdigit((unsigned char)*field))
		return -EPROTO;
	size_t value = 0;
	for (; isdigit((unsigned char)*field); field++) {
		value = value * 10 + (size_t)(*field - '0');
		if (value > ST87_MAX_READ)
			return -EMSGSIZE;
	}
	while (*field == ' ')
		field++;
	if (*field)
		return -EPROTO;
	*length = value;
	return 0;
}

static void store_info_line(struct st87_at *at, const char *line)
{
	size_t len = strlen(line) + 1;
	struct st87_at_reply *reply = at->reply;
	size_t max_lines = sizeof(reply->lines) / sizeof(reply->lines[0]);
	if (reply->n_lines >= max_lines || at->info_used + len > sizeof(at->info_store)) {
		st87_warn("dropping an information line: too many in one response");
		return;
	}
	char *copy = at->info_store + at->info_used;
	memcpy(copy, line, len);
	at->info_used += len;
	reply->lines[reply->n_lines++] = copy;
	if (at->command->on_info)
		at->command->on_info(at->command->info_user, copy);
}

static void hand_to_urc(struct st87_at *at, const char *line)
{
	int err = at->on_urc ? at->on_urc(at->urc_user, line) : 0;
	if (err < 0 && at->command && !at->finished)
		finish(at, err, -1);
}

bool st87_at_reply_holds_urcs(const struct st87_at *at)
{
	return at->command && !at->finished && at->command->urcs_in_reply;
}

static void protocol_error(struct st87_at *at, const char *what)
{
	st87_fail(-EPROTO, "malformed response from the modem: %s", what);
	st87_warn("%s", st87_last_error());
	at->place_lost = true;
	if (at->command && !at->finished)
		finish(at, -EPROTO, -1);
}

/*
 * A line cut at ST87_MAX_RESPONSE_LINE: its end was found, so the input is in
 * place. Only a line that starts as the command's own answer fails it (at
 * its final result, which still comes); any other is no URC this engine
 * acts on, and is dropped.
 */
static void drop_overlong_line(struct st87_at *at, const char *start)
{
	const struct st87_at_command *command = at->finished ? NULL : at->command;
	bool is_answer = command &&
		(is_final_result(start) ||
		 (command->info_prefix && has_prefix(start, command->info_prefix)) ||
		 (command->is_info && command->is_info(start)));
	if (!is_answer) {
		st87_warn("dropped a line of more than %d bytes from the modem, starting \"%.16s\"",
			  ST87_MAX_RESPONSE_LINE, start);
		return;
	}
	st87_fail(-EPROTO, "%s: its answer is longer than %d bytes", st87_at_shown_text(command),
		  ST87_MAX_RESPONSE_LINE);
	st87_warn("%s", st87_last_error());
	at->pending_error = -EPROTO;
}

/*
 * The send's own line came back: the modem echoes, and may echo the payload
 * as well. Its echo follows the line's (one-step) or the line's OK
 * (two-step), after the line end that ends what came before.
 */
static void expect_payload_echo(struct st87_at *at)
{
	at->line_echoed = true;
	if (at->data_echo == DATA_NOT_ECHOED)
		return;
	if (!at->reply->payload_sent)
		return; /* the payload goes later: send_payload() starts the wait for its echo */
	at->echo_matched = 0;
	bool lf_may_follow;
	if (at->after_echo_cr) /* right after the line's echo (one-step): the echo's own line end */
		lf_may_follow = at->echo_line_end == ECHO_END_CR_LF ||
			(at->echo_line_end == ECHO_END_UNKNOWN && !at->lines_end_in_cr_alone);
	else /* after the line's OK (two-step): the modem's line end */
		lf_may_follow = at->after_cr && !at->lines_end_in_cr_alone;
	if (!lf_may_follow || at->echo_line_end != ECHO_END_UNKNOWN)
		at->after_echo_cr = false; /* nothing left to learn in PARSE_ECHO_LF */
	at->state = lf_may_follow ? PARSE_ECHO_LF : PARSE_ECHO;
}

static void handle_line(struct st87_at *at, char terminator)
{
	char *line = at->line;
	line[at->line_len] = '\0';
	bool overflow = at->line_overflow, has_nul = at->line_has_nul;
	at->line_len = 0;
	at->line_overflow = at->line_has_nul = false;

	if (overflow) {
		drop_overlong_line(at, line);
		return;
	}
	if (has_nul) {
		st87_debug("ignoring a line holding NUL bytes");
		return;
	}
	const struct st87_at_command *command = at->finished ? NULL : at->command;
	if (at->trace) {
		/* A modem that echoes repeats a hex send's payload: its echo is shown as the line was. */
		const char *shown = command && is_echo(line) ? st87_at_shown_text(command) : line;
		at->trace(at->trace_user, false, shown, strlen(shown), false);
	}
	if (!command) {
		hand_to_urc(at, line);
		return;
	}
	if (is_echo(line)) {
		at->after_echo_cr = terminator == '\r';
		if (command->payload_len && strcmp(line, command->text) == 0)
			expect_payload_echo(at);
		return;
	}
	if (handle_final_result(at, line))
		return;
	bool is_info = (command->info_prefix && has_prefix(line, command->info_prefix)) ||
		(command->is_info && command->is_info(line));
	if (!is_info) {
		/* Kept first: a URC that aborts the command (a restart) is shown too. */
		if (command->urcs_in_reply)
			store_info_line(at, line);
		hand_to_urc(at, line);
		return;
	}
	store_info_line(at, line);
	if (!command->binary_block)
		return;
	size_t length = 0;
	int err = block_length(line, &length);
	if (err) {
		protocol_error(at,
			       err == -EMSGSIZE ? "data block larger than allowed"
						: "bad data block header");
		return;
	}
	at->block_len = 0;
	at->block_expected = length;
	at->reply->block = NULL;
	at->reply->block_len = 0;
	if (length > 0)
		at->state = terminator == '\r' && !at->lines_end_in_cr_alone ? PARSE_BLOCK_LF
									     : PARSE_BLOCK;
}

static void take_line_byte(struct st87_at *at, uint8_t byte)
{
	if (at->after_cr && at->after_echo_cr)
		at->echo_line_end = byte == '\n' ? ECHO_END_CR_LF : ECHO_END_CR;
	else if (at->after_cr)
		at->lines_end_in_cr_alone = byte != '\n';
	at->after_echo_cr = false;
	at->after_cr = byte == '\r';
	if (byte == '\r' || byte == '\n') {
		if (at->line_len > 0 || at->line_overflow)
			handle_line(at, (char)byte);
	} else if (at->line_len < ST87_MAX_RESPONSE_LINE) {
		at->line_has_nul |= byte == '\0';
		at->line[at->line_len++] = (char)byte;
	} else {
		at->line_overflow = true;
	}
}

/* What looked like the payload's echo was not (the modem echoes lines only): those bytes are lines. */
static void give_back_unechoed(struct st87_at *at)
{
	size_t matched = at->command ? at->echo_matched : 0;
	at->state = PARSE_LINE;
	at->echo_matched = 0;
	for (size_t i = 0; i < matched; i++)
		take_line_byte(at, ((const uint8_t *)at->command->payload)[i]);
}

/* Parses buffered input until it runs out or the command in flight finishes. */
static void parse_input(struct st87_at *at)
{
	while (at->input_start < at->input_end && !(at->command && at->finished)) {
		uint8_t byte = at->input[at->input_start];
		switch (at->state) {
		case PARSE_BLOCK_LF:
			/* Without the LF, the data began right after the CR. */
			at->state = PARSE_BLOCK;
			if (byte == '\n')
				at->input_start++;
			continue;
		case PARSE_BLOCK: {
			size_t want = at->block_expected - at->block_len;
			size_t have = at->input_end - at->input_start;
			size_t take = want < have ? want : have;
			memcpy(at->block + at->block_len, at->input + at->input_start, take);
			at->block_len += take;
			at->input_start += take;
			if (at->block_len == at->block_expected) {
				at->state = PARSE_LINE;
				at->after_cr = false;
				if (at->trace)
					at->trace(at->trace_user, false, (const char *)at->block,
						  at->block_len, true);
				if (at->reply) {
					at->reply->block = at->block;
					at->reply->block_len = at->block_len;
				}
			}
			continue;
		}
		case PARSE_ECHO_LF: {
			at->state = PARSE_ECHO;
			bool line_end = byte == '\n';
			if (at->after_echo_cr) {
				/* The echo's line end is not known yet: an LF is the echo's unless the
				 * payload starts with one, which a character echo (CR alone) would
				 * lose to it; then the payload's match decides. */
				at->after_echo_cr = false;
				if (at->command && ((const uint8_t *)at->command->payload)[0] == '\n')
					line_end = false;
				else
					at->echo_line_end = line_end ? ECHO_END_CR_LF : ECHO_END_CR;
			}
			if (line_end) {
				at->input_start++;
				at->after_cr = false;
			}
			continue;
		}
		case PARSE_ECHO:
			if (!at->command || at->echo_matched >= at->command->payload_len ||
			    byte != ((const uint8_t *)at->command->payload)[at->echo_matched]) {
				give_back_unechoed(at);
				continue;
			}
			at->input_start++;
			if (++at->echo_matched == at->command->payload_len) {
				st87_debug("the modem echoed the %zu bytes sent", at->echo_matched);
				at->payload_echoed = true;
				at->state = PARSE_LINE;
				at->after_cr = false;
			}
			continue;
		case PARSE_LINE:
			at->input_start++;
			take_line_byte(at, byte);
			continue;
		}
	}
}

/* Reads once from the transport into the input buffer. Bytes read, 0 on timeout, or -errno. */
static ssize_t fill_input(struct st87_at *at, int timeout_ms)
{
	if (at->input_start == at->input_end)
		at->input_start = at->input_end = 0;
	size_t room = sizeof(at->input) - at->input_end;
	if (room == 0)
		return 1; /* unparsed input waits; the caller parses before reading again */
	ssize_t n = at->transport.read(at->transport.context, at->input + at->input_end, room,
				       timeout_ms);
	if (n > 0)
		at->input_end += (size_t)n;
	return n;
}

/* Forgets all state about the current line and block and drops input until the modem is quiet. */
static void resynchronise(struct st87_at *at)
{
	at->state = PARSE_LINE;
	at->line_len = 0;
	at->line_overflow = at->line_has_nul = false;
	at->after_cr = false;
	at->after_echo_cr = false;
	at->place_lost = false;
	at->input_start = at->input_end = 0;
	long long give_up = st87_now_ms() + RESYNC_MAX_MS;
	while (st87_ms_until(give_up) > 0) {
		uint8_t scratch[512];
		ssize_t n = at->transport.read(at->transport.context, scratch, sizeof(scratch),
					       RESYNC_QUIET_MS);
		if (n <= 0)
			break;
	}
}

static void trace_out(struct st87_at *at, const char *data, size_t len, bool binary)
{
	if (at->trace)
		at->trace(at->trace_user, true, data, len, binary);
}

static int write_out(struct st87_at *at, const void *data, size_t len, int timeout_ms)
{
	return at->transport.write_all(at->transport.context, data, len, timeout_ms);
}

/*
 * Writes the command line, and with @p with_payload its payload in the same
 * write: on one-step firmware binary data must follow its line at once.
 * Every line ends in CR alone (V.25ter's S3), a binary send's too: the
 * maker's firmware may take an LF after it for the first data byte.
 */
static int send_line(struct st87_at *at, const struct st87_at_command *command, bool with_payload,
		     int timeout_ms)
{
	size_t text_len = strlen(command->text);
	char frame[ST87_MAX_LINE + 1 + ST87_MAX_SEND];
	if (text_len > ST87_MAX_LINE)
		return st87_fail(-EINVAL, "command too long");
	memcpy(frame, command->text, text_len);
	size_t frame_len = text_len;
	frame[frame_len++] = '\r';
	const char *shown = st87_at_shown_text(command);
	trace_out(at, shown, strlen(shown), false);
	with_payload = with_payload && command->payload_len > 0;
	bool joined = with_payload && command->payload_len <= ST87_MAX_SEND;
	if (joined) {
		memcpy(frame + frame_len, command->payload, command->payload_len);
		frame_len += command->payload_len;
		trace_out(at, command->payload, command->payload_len, true);
	}
	int err = write_out(at, frame, frame_len, timeout_ms);
	if (!err && with_payload && !joined) {
		trace_out(at, command->payload, command->payload_len, true);
		err = write_out(at, command->payload, command->payload_len, timeout_ms);
	}
	if (!err && with_payload)
		at->reply->payload_sent = true;
	return err;
}

static int send_payload(struct st87_at *at, const struct st87_at_command *command, int timeout_ms)
{
	trace_out(at, command->payload, command->payload_len, true);
	int err = write_out(at, command->payload, command->payload_len, timeout_ms);
	if (!err)
		at->reply->payload_sent = true;
	if (!err && at->line_echoed)
		expect_payload_echo(at);
	return err;
}

/* Where a boot line starts in @p data (at a line's start, whole), or -1. */
static ssize_t find_boot_line(const uint8_t *data, size_t len)
{
	for (size_t start = 0; start + 1 < len; start++) {
		if (data[start] != '\r' && data[start] != '\n')
			continue;
		const uint8_t *text = data + start + 1;
		size_t room = len - start - 1;
		for (size_t i = 0; i < sizeof(boot_line_prefixes) / sizeof(boot_line_prefixes[0]); i++) {
			size_t prefix_len = strlen(boot_line_prefixes[i]);
			if (room > prefix_len &&
			    strncasecmp((const char *)text, boot_line_prefixes[i], prefix_len) == 0 &&
			    (memchr(text, '\r', room) || memchr(text, '\n', room)))
				return (ssize_t)start;
		}
	}
	return -1;
}

/*
 * The modem went quiet inside a block. A restarted modem writes its boot
 * lines and then nothing, so the block's count will never be reached: when
 * a whole boot line is among the block's bytes, the block ends before it and
 * the bytes from there are read as lines (the restart then aborts the
 * command). A block of data that merely holds such a line, with a pause,
 * loses nothing worse than its place, as any short block does.
 */
static bool end_block_at_restart(struct st87_at *at)
{
	ssize_t boot = find_boot_line(at->block, at->block_len);
	if (boot < 0)
		return false;
	size_t tail = at->block_len - (size_t)boot;
	st87_warn("a restart inside a block of %zu bytes (%zu came): the block is cut short",
		  at->block_expected, at->block_len);
	/* The input is empty: a block in progress takes all of it. */
	memcpy(at->input, at->block + boot, tail);
	at->input_start = 0;
	at->input_end = tail;
	at->block_len = (size_t)boot;
	at->state = PARSE_LINE;
	at->after_cr = false;
	parse_input(at);
	/* A boot line the session does not take for a restart: the modem still answers nothing. And a
	 * final result after it never makes the short block a read's answer: the bytes were cut. */
	if (at->command && (!at->finished || at->reply->result == 0))
		finish(at, st87_fail(-EPROTO, "a restart inside a data block"), -1);
	return true;
}

/* Reads and parses until the command finishes (true) or @p deadline passes (false). */
static bool await_result(struct st87_at *at, long long deadline)
{
	for (;;) {
		parse_input(at);
		if (at->finished)
			return true;
		int left = st87_ms_until(deadline);
		if (left <= 0)
			return false;
		bool in_block = at->state == PARSE_BLOCK;
		bool in_echo = at->state == PARSE_ECHO && at->echo_matched > 0;
		int wait = (in_block || in_echo) && left > QUIET_INSIDE_MS ? QUIET_INSIDE_MS : left;
		long long asked_at = st87_now_ms();
		ssize_t n = fill_input(at, wait);
		if (n == 0 && in_block && end_block_at_restart(at))
			continue;
		/* An echo comes at once: bytes that paused were the modem's answer. */
		if (n == 0 && in_echo) {
			give_back_unechoed(at);
			continue;
		}
		/* Only a transport that waited its slice has more to wait for (a test's may return at once). */
		if (n == 0 && wait < left && st87_now_ms() - asked_at >= wait / 2)
			continue;
		if (n == 0)
			return false; /* the transport waited its time: silence */
		if (n < 0) {
			finish(at, (int)n, -1);
			return true;
		}
	}
}

/*
 * The line alone first. Its own answer decides: OK lets the data go
 * (two-step), an error means the modem took no data, and silence past
 * detect_ms means the modem waits for the data (one-step). ANSWER_FIRST
 * waits the same way, for a one-step modem's refusal of a new length.
 */
static void run_split_send(struct st87_at *at, const struct st87_at_command *command, long long deadline)
{
	int err = send_line(at, command, false, command->timeout_ms);
	if (err) {
		finish(at, err, -1);
		return;
	}
	bool detecting = command->handshake != ST87_SEND_TWO_STEP;
	long long line_deadline = deadline;
	if (detecting && st87_now_ms() + command->detect_ms < deadline)
		line_deadline = st87_now_ms() + command->detect_ms;
	if (await_result(at, line_deadline)) {
		if (at->reply->result != 0 || !at->reply->answered)
			return;
		at->reply->handshake = ST87_SEND_TWO_STEP;
		at->finished = false;
		at->reply->answered = false;
	} else if (detecting) {
		at->reply->handshake = ST87_SEND_ONE_STEP;
	} else {
		return; /* two-step firmware that never answered the line: the caller's timeout */
	}
	err = send_payload(at, command, st87_ms_until(deadline));
	if (err)
		finish(at, err, -1);
}

/* Every modem answers it with an information line before its final result (3GPP 27.007), and it changes nothing. */
#define CONFIRM_QUERY "AT+CMEE?"
#define CONFIRM_INFO "+CMEE:"

/*
 * Runs CONFIRM_QUERY behind an answer that may still be on its way. A modem
 * takes its input in order, so the final results that come before the
 * query's information line are the earlier command's: the first goes into
 * @earlier (answered set when one came), any later ones are dropped. True
 * when the query's own answer came.
 */
static bool query_behind_earlier_answers(struct st87_at *at, int timeout_ms,
					 struct st87_at_reply *earlier)
{
	const struct st87_at_command *command = at->command;
	struct st87_at_reply *reply = at->reply;
	struct st87_at_command query = {.text = CONFIRM_QUERY, .info_prefix = CONFIRM_INFO};
	struct st87_at_reply answer = {.cme = -1};
	*earlier = (struct st87_at_reply){.cme = -1};
	at->command = &query;
	at->reply = &answer;
	at->finished = false;
	long long deadline = st87_now_ms() + timeout_ms;
	bool in_place = send_line(at, &query, false, timeout_ms) == 0 && await_result(at, deadline);
	while (in_place && answer.answered && answer.n_lines == 0) {
		/* (A modem that does not know the query answers it with a bare error: then its own answer
		 * never comes, and the place is lost.) */
		if (!earlier->answered)
			*earlier = answer;
		at->finished = false;
		answer.answered = false;
		in_place = await_result(at, deadline) && answer.answered;
	}
	at->command = command;
	at->reply = reply;
	at->finished = true;
	return in_place;
}

/*
 * Silence after the line said one-step. A two-step modem that was only slow
 * to answer the line has had its OK taken for the data's answer, and its
 * second answer (the data's) is on its way: it would answer the next command.
 * A query tells the two apart without a timed wait. False when the query's
 * own answer never came: the caller resynchronises.
 */
static bool confirm_one_step(struct st87_at *at, const struct st87_at_command *command)
{
	struct st87_at_reply *reply = at->reply;
	struct st87_at_reply earlier;
	bool in_place = query_behind_earlier_answers(at, command->timeout_ms, &earlier);
	if (earlier.answered && (earlier.result == 0 || in_place)) {
		st87_warn("%s: a late second answer: the modem takes binary sends in two steps",
			  st87_at_shown_text(command));
		reply->handshake = ST87_SEND_TWO_STEP;
		/* The data's answer is the command's, not the line's OK. */
		reply->result = earlier.result;
		reply->cme = earlier.cme;
	}
	return in_place;
}

bool st87_at_settle_late_answer(struct st87_at *at, int timeout_ms)
{
	struct st87_at_reply earlier;
	bool in_place = query_behind_earlier_answers(at, timeout_ms, &earlier);
	at->command = NULL;
	at->reply = NULL;
	if (earlier.answered)
		st87_debug("a late final result (%d) dropped: it answered a command already failed",
			   earlier.result);
	if (!in_place)
		resynchronise(at);
	parse_input(at);
	return in_place;
}

int st87_at_run(struct st87_at *at, const struct st87_at_command *command, struct st87_at_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	reply->cme = -1;

	/* What came before the command belongs to no command: URCs, stray lines. */
	st87_at_poll(at, 0);

	long long deadline = st87_now_ms() + command->timeout_ms;
	at->command = command;
	at->reply = reply;
	at->finished = false;
	at->pending_error = 0;
	at->info_used = 0;
	at->line_echoed = false;
	at->payload_echoed = false;

	if (command->payload_len && command->handshake != ST87_SEND_ONE_STEP) {
		run_split_send(at, command, deadline);
	} else {
		if (command->payload_len)
			reply->handshake = ST87_SEND_ONE_STEP;
		int err = send_line(at, command, true, command->timeout_ms);
		if (err)
			finish(at, err, -1);
	}
	if (!await_result(at, deadline)) {
		st87_fail(-ETIMEDOUT, "%s: no answer from the modem within %d ms",
			  st87_at_shown_text(command), command->timeout_ms);
		finish(at, -ETIMEDOUT, -1);
	}
	if (at->data_echo == DATA_ECHO_UNKNOWN && at->line_echoed && reply->payload_sent &&
	    reply->answered)
		at->data_echo = at->payload_echoed ? DATA_ECHOED : DATA_NOT_ECHOED;
	bool lost_place = false;
	if (command->handshake == ST87_SEND_DETECT && reply->handshake == ST87_SEND_ONE_STEP &&
	    reply->answered)
		lost_place = !confirm_one_step(at, command);
	lost_place = lost_place || at->place_lost || at->state != PARSE_LINE;
	at->command = NULL;
	at->reply = NULL;
	if (lost_place)
		resynchronise(at);
	/* A URC that came in the same read as the final result must not wait for more input. */
	parse_input(at);
	return reply->result;
}

int st87_at_poll(struct st87_at *at, int timeout_ms)
{
	int handled = 0;
	for (;;) {
		parse_input(at);
		ssize_t n = fill_input(at, timeout_ms);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return handled;
		handled++;
		timeout_ms = 0;
	}
}
