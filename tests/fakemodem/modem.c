/* The modem as the poll loop sees it: which fds to watch, when to wake,
 * reading and pacing the host's bytes, timers (--auto-ip), socket URCs,
 * and the reboot of --reboot-after. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "modem.h"
#include "timeutil.h"

/* Stop reading the pty while this much input waits (a host that pipelines
 * without reading answers) or this much output is not yet written. */
#define IN_HIGH_WATER 8192
#define OUT_HIGH_WATER (64 * 1024)

static void on_socket_event(void *ctx, int sid, enum sock_event ev)
{
	struct modem *m = ctx;
	const struct msock *s = &m->socks.s[sid];
	int cid = modem_cid(m), id = modem_sid(m, sid);

	sleep_network_event(m);
	/* The peer's close is announced like data (docs/PROTOCOL.md §9): the
	 * driver reads, gets the rest, then length 0. */
	if (ev == SOCK_EV_DATA || !m->opt->no_close_urc) {
		if (s->p.urc == 1)
			emit_urc(m, "#IPRECV: %d,%d", cid, id);
		else if (s->p.urc == 2)
			emit_urc(m, "#IPRECV: %d,%d,%zu", cid, id, s->rx_bytes);
	}
	if (ev == SOCK_EV_PEER_CLOSED && m->opt->socketclosed_urc)
		emit_urc(m, "#SOCKETCLOSED: %d,%d", cid, id);
}

void modem_init(struct modem *m, const struct fm_options *opt, int fd, struct trace *trace, int64_t now)
{
	unsigned long bytes_per_sec = opt->baud / 10;
	uint64_t seed = opt->seed_given ? opt->seed : (uint64_t)now ^ (uint64_t)getpid() << 32;

	memset(m, 0, sizeof(*m));
	m->opt = opt;
	m->fd = fd;
	m->trace = trace;
	rng_seed(&m->rng, seed);
	rng_seed(&m->late_rng, seed ^ 0x6c617465ull);
	writer_init(&m->out, bytes_per_sec, opt->fragment, &m->rng, &m->stats.bytes_to_host, now);
	bytebuf_init(&m->in);
	tb_init(&m->in_pace, bytes_per_sec, now);
	lr_reset(&m->lr);
	m->lr.cr_only = opt->cr_only;
	socktab_init(&m->socks, (size_t)opt->rx_buffer, on_socket_event, m);
	air_init(m);
	bytebuf_init(&m->urc_deferred);
	bytebuf_init(&m->urc_after_final);
	m->cmd.state = CMD_IDLE;
	m->echo = opt->echo;
	m->link_up = !opt->link_down;
	strcpy(m->ipv4, opt->ipv4);
	strcpy(m->ipv6, opt->ipv6);
	/* The note's defaults; auto_ip 0 when the link waits for AT#IPCFG. */
	m->ipparams[0] = opt->link_down && opt->auto_ip_ms < 0 ? 0 : 1;
	m->ipparams[1] = 0;
	m->ipparams[2] = 65535;
	m->ipparams[3] = 60;
	m->auto_ip_at = opt->link_down && opt->auto_ip_ms >= 0 ? now + opt->auto_ip_ms * 1000 : FM_NEVER;
	m->stall_ends_at = FM_NEVER;
	if (opt->stall_after == 0)
		command_stall(m, now);
	m->link_return_at = FM_NEVER;
	m->stats.profile = opt->profile;
	m->stats.send_handshake = opt->send_handshake == SEND_TWO_STEP ? "two" : "one";
	m->stats.network = &opt->air;
	m->started_at = now;
	sleep_init(m, now);
}

void modem_free(struct modem *m)
{
	socktab_close_all(&m->socks);
	air_free(m);
	writer_free(&m->out);
	bytebuf_free(&m->in);
	bytebuf_free(&m->urc_deferred);
	bytebuf_free(&m->urc_after_final);
}

int modem_write_stats(const struct modem *m, const char *path)
{
	struct stats now_stats = m->stats;
	int64_t now = now_us();

	now_stats.awake_ms = sleep_awake_ms(m, now);
	now_stats.air.radio_connected_ms = air_connected_ms(m, now);
	now_stats.run_ms = (uint64_t)((now - m->started_at) / 1000);
	return stats_write(&now_stats, path, socktab_open_count(&m->socks), m->socks.udp_dropped);
}

/* What the modem sends after power-up (application note 4.2), ending with
 * the IP link up. */
static void send_boot_lines(struct modem *m)
{
	emit_line(m, "%s", m->opt->reboot_line);
	emit_line(m, "+CEREG: 2");
	emit_line(m, "+CGEV: ME PDN ACT %d", modem_cid(m));
	emit_line(m, "+CEREG: 1");
	emit_line(m, "#IPCFG: %d,1,\"%s\"", modem_cid(m), m->ipv4);
}

void modem_reboot(struct modem *m)
{
	m->rebooted = true;
	m->stats.reboots++;
	trace_note(m->trace, '<', "reboot");
	socktab_close_all(&m->socks);
	m->echo = m->opt->echo;
	m->cmee = false;
	/* Whatever the host had queued is lost with the old firmware run,
	 * and so are the URCs not yet sent. */
	bytebuf_clear(&m->in);
	lr_reset(&m->lr);
	bytebuf_clear(&m->urc_deferred);
	bytebuf_clear(&m->urc_after_final);
	m->cmd.state = CMD_IDLE;
	m->cmd.wait = NULL;
	m->auto_ip_at = FM_NEVER;
	m->link_return_at = FM_NEVER;
	m->link_up = true;
	/* Result code presentation is back at the firmware's default (the PSM and eDRX requests are kept, as in NVM). */
	m->radio.cereg_n = 0;
	m->radio.cscon_n = 0;
	send_boot_lines(m);
}

static void bring_link_up_auto(struct modem *m)
{
	m->auto_ip_at = FM_NEVER;
	if (m->link_up)
		return;
	m->link_up = true;
	emit_urc(m, "+CGEV: ME PDN ACT %d", modem_cid(m));
	emit_urc(m, "+CEREG: 1");
	emit_urc(m, "#IPCFG: %d,1,\"%s\"", modem_cid(m), m->ipv4);
}

static bool blank(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/* The speed the host set on its end of the pty (the master sees the slave's settings), 0 unknown. */
static unsigned long host_speed(int fd)
{
	static const struct {
		speed_t code;
		unsigned long baud;
	} speeds[] = {
		{B1200, 1200},       {B2400, 2400},       {B4800, 4800},       {B9600, 9600},
		{B19200, 19200},     {B38400, 38400},     {B57600, 57600},     {B115200, 115200},
		{B230400, 230400},   {B460800, 460800},   {B500000, 500000},   {B576000, 576000},
		{B921600, 921600},   {B1000000, 1000000}, {B1152000, 1152000}, {B1500000, 1500000},
		{B2000000, 2000000}, {B2500000, 2500000}, {B3000000, 3000000}, {B3500000, 3500000},
		{B4000000, 4000000},
	};
	struct termios settings;
	if (tcgetattr(fd, &settings) < 0)
		return 0;
	speed_t code = cfgetospeed(&settings);
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++)
		if (speeds[i].code == code)
			return speeds[i].baud;
	return 0;
}

static void on_line(struct modem *m)
{
	const uint8_t *line = m->lr.line;
	size_t len = m->lr.len;

	/* An empty line (a lone CR) is no command: no echo, no answer. */
	if (blank(line, len))
		return;
	/* A UART at the wrong speed turns every byte into another: nothing is understood. */
	if (m->opt->strict_baud && m->opt->baud && host_speed(m->fd) != m->opt->baud) {
		trace_note(m->trace, '>', "line at the wrong speed lost");
		m->stats.lines_at_wrong_speed++;
		return;
	}
	trace_line(m->trace, '>', line, len);
	if (!sleep_take_line(m))
		return;
	if (m->echo)
		emit_echo(m, line, len);
	command_line(m, line, len);
}

/* Runs queued input while the modem can take a command. */
static void process_input(struct modem *m)
{
	while (m->in.len && !m->stalled &&
	       (m->cmd.state == CMD_IDLE || m->cmd.state == CMD_COLLECTING) &&
	       writer_pending(&m->out) < OUT_HIGH_WATER) {
		enum lr_event ev;
		size_t n = lr_feed(&m->lr, bytebuf_peek(&m->in), m->in.len, &ev);

		bytebuf_consume(&m->in, n);
		switch (ev) {
		case LR_EV_LINE:
			on_line(m);
			break;
		case LR_EV_OVERLONG:
			trace_note(m->trace, '>', "overlong line discarded");
			command_overlong(m);
			break;
		case LR_EV_PAYLOAD:
			command_payload(m, m->lr.payload, m->lr.payload_len);
			break;
		case LR_EV_NONE:
			break;
		}
	}
	if (m->stalled)
		bytebuf_clear(&m->in);
}

static bool want_input(struct modem *m)
{
	/* A stalled modem still drains the line (and discards it). */
	return m->stalled || m->in.len < IN_HIGH_WATER;
}

/* Bytes the host has written that wait in the pty (0 if it cannot tell). */
static size_t pty_waiting(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) < 0 || n < 0)
		return 0;
	return (size_t)n;
}

static size_t input_room(struct modem *m)
{
	if (m->stalled)
		return IN_HIGH_WATER;
	return m->in.len < IN_HIGH_WATER ? IN_HIGH_WATER - m->in.len : 0;
}

/* Reads what the line has delivered by now. Returns when the last byte
 * read came off the (paced) line, or 0 when nothing was read or pacing is
 * off. */
static int64_t read_pty(struct modem *m, int64_t now)
{
	size_t room = input_room(m);
	size_t allowed;
	ssize_t got;
	int64_t arrived;

	/* Bytes wait: on a free line they start a busy period now, and are
	 * read by modem_tick() once due (pace_input()). */
	tb_waiting(&m->in_pace, now);
	allowed = tb_available(&m->in_pace, now);
	if (room > allowed)
		room = allowed;
	if (!room)
		return 0;
	got = read(m->fd, bytebuf_reserve(&m->in, room), room);
	if (got <= 0)
		return 0; /* EAGAIN; EIO cannot happen while we hold the slave */
	tb_take(&m->in_pace, (size_t)got);
	arrived = tb_sent_at(&m->in_pace);
	/* Read empty: the busy period ends here, so bytes that come later
	 * start a new one and inherit no credit. */
	if (m->in_pace.enabled && !pty_waiting(m->fd))
		tb_idle(&m->in_pace);
	m->stats.bytes_from_host += (uint64_t)got;
	if (m->stalled) {
		char note[64];

		snprintf(note, sizeof(note), "stalled: %zd bytes discarded", got);
		trace_note(m->trace, '>', note);
		return 0; /* never committed: discarded */
	}
	bytebuf_commit(&m->in, (size_t)got);
	return arrived;
}

/* In a busy period of the input line: reads what it has delivered by now
 * (the rest waits in the pty, see pace_input()). Returns as read_pty(). */
static int64_t read_due_input(struct modem *m, int64_t now)
{
	if (m->in_pace.enabled && m->in_pace.busy && want_input(m) && tb_available(&m->in_pace, now) > 0)
		return read_pty(m, now);
	return 0;
}

void modem_tick(struct modem *m, int64_t now)
{
	if (now >= m->auto_ip_at)
		bring_link_up_auto(m);
	linkloss_tick(m, now);
	/* Before the command: a close waiting for its bytes sees them gone. */
	air_tick(m, now);
	command_tick(m, now);
	sleep_tick(m, now);
	/* What answers the bytes read now starts, on a free line, when the
	 * last of them came off the line: the fake modem's wake-up latency
	 * is not line time. */
	writer_since(&m->out, read_due_input(m, now));
	process_input(m);
	writer_since(&m->out, 0);
	/* A fresh clock: an answer due while the input was processed goes
	 * out in this turn. */
	writer_flush(&m->out, m->fd, now_us());
}

/* The host-to-modem line, paced like the output (pacing.h): POLLIN starts
 * a busy period when bytes arrive on a free line; then the bytes are read
 * once about 1 ms of them (or all that wait) may have crossed the line.
 * While the modem takes no input the line is held (as by flow control)
 * and restarts at line rate afterwards. */
static void pace_input(struct modem *m, struct pollfd *fd, int64_t now, int64_t *wake)
{
	struct token_bucket *tb = &m->in_pace;
	size_t waiting, want;

	if (!want_input(m)) {
		tb_idle(tb);
		return;
	}
	if (!tb->enabled) {
		fd->events |= POLLIN;
		return;
	}
	waiting = pty_waiting(m->fd);
	if (!waiting) {
		tb_idle(tb);
		fd->events |= POLLIN; /* read_pty() starts the period */
		return;
	}
	tb_waiting(tb, now_us());
	want = input_room(m);
	if (want > waiting)
		want = waiting;
	want = tb_batch(tb, want);
	/* Read by modem_tick() when due. */
	deadline_min(wake, tb_ready_at(tb, want, now));
}

size_t modem_pollfds(struct modem *m, struct pollfd *fds, int *sids, int64_t now, int64_t *wake)
{
	size_t n;

	*wake = FM_NEVER;
	fds[0].fd = m->fd;
	fds[0].events = 0;
	fds[0].revents = 0;
	sids[0] = -1;
	pace_input(m, &fds[0], now, wake);
	if (writer_wants_pollout(&m->out, now))
		fds[0].events |= POLLOUT;
	else
		deadline_min(wake, writer_wake_at(&m->out, now));
	deadline_min(wake, command_wake_at(m, now));
	deadline_min(wake, m->auto_ip_at);
	deadline_min(wake, linkloss_wake_at(m));
	deadline_min(wake, sleep_wake_at(m));
	if (air_active(m))
		deadline_min(wake, air_wake_at(m));
	n = 1 + socktab_pollfds(&m->socks, fds + 1, sids + 1);
	/* The caller sleeps for *wake - now, but `now` was read before the
	 * tick: without this, every paced wake-up would come late by the time
	 * the tick and these system calls took. */
	if (*wake != FM_NEVER)
		*wake -= now_us() - now;
	return n;
}

void modem_handle(struct modem *m, const struct pollfd *fds, const int *sids, size_t n, int64_t now)
{
	if (fds[0].revents & POLLIN)
		read_pty(m, now);
	if (fds[0].revents & POLLOUT)
		writer_flush(&m->out, m->fd, now);
	socktab_handle(&m->socks, fds + 1, sids + 1, n - 1);
}
