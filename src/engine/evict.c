/*
 * The modem has one TCP socket, and programs keep finished connections open
 * for reuse (curl's connection cache, HTTP keep-alive). When a new routed TCP
 * connect finds the socket held by such a connection of this process, the
 * socket goes to the new connection and the idle one sees its peer close
 * (EOF), exactly as when a server drops an idle keep-alive connection, which
 * every HTTP client handles. Only a connection that has carried bytes both
 * ways and then been quiet is taken; one with any byte in flight, or one
 * that has not yet carried an exchange (it may wait for a greeting), never.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "engine_io.h"
#include "internal.h"

/* Nothing the program wrote waits for the modem, nothing the modem gave waits for the program. */
static bool pair_is_empty(int engine_fd)
{
	int from_program = 0, to_program = 0;
	if (ioctl(engine_fd, FIONREAD, &from_program) < 0 || ioctl(engine_fd, SIOCOUTQ, &to_program) < 0)
		return false;
	return from_program == 0 && to_program == 0;
}

static bool is_quiet_connection(struct routed_socket *s)
{
	pthread_mutex_lock(&engine_lock);
	bool connected = s->state == ROUTED_CONNECTED;
	pthread_mutex_unlock(&engine_lock);
	/* A connection that has not yet carried an exchange may be waiting for a greeting: not idle. */
	return connected && s->carried_out && s->carried_in && s->type == SOCK_STREAM &&
		s->engine_fd >= 0 && s->modem_socket >= 0 && !s->data_waiting && !s->peer_closed &&
		!s->program_eof && !s->program_done && s->inbound_sent == s->inbound_len &&
		pair_is_empty(s->engine_fd);
}

/* The routed connection holding the modem's TCP socket, or NULL. */
static struct routed_socket *tcp_holder(struct routed_socket *sockets)
{
	for (struct routed_socket *s = sockets; s; s = s->next)
		if (s->type == SOCK_STREAM && s->modem_socket >= 0 && s->engine_fd >= 0)
			return s;
	return NULL;
}

/*
 * Waits until @p s has been quiet for the configured time, handling what
 * the modem says meanwhile (an #IPRECV for it makes it busy). False as soon
 * as it is not quiet.
 */
static bool stays_quiet(struct st87_modem *modem, struct routed_socket *s, int idle_ms)
{
	for (;;) {
		/* An #IPRECV may come after its bytes were read: the modem is asked, not guessed. */
		for (int reads = 0; reads < 3 && s->data_waiting && s->modem_socket >= 0 &&
		     s->inbound_sent == s->inbound_len;
		     reads++)
			engine_pump_inbound(modem, s);
		if (!is_quiet_connection(s))
			return false;
		long long quiet_for = st87_now_ms() - s->last_traffic_ms;
		if (quiet_for >= idle_ms)
			return true;
		struct pollfd fds[2] = {{.fd = s->engine_fd, .events = POLLIN},
					{.fd = st87_modem_fd(modem), .events = POLLIN}};
		int ready = poll(fds, 2, (int)(idle_ms - quiet_for));
		if (ready > 0 && (fds[0].revents & POLLIN))
			return false; /* the program is writing to it */
		if (ready > 0 && (fds[1].revents & POLLIN) && st87_modem_poll(modem, 0) < 0)
			return false;
	}
}

void engine_describe(const struct routed_socket *s, char *text, size_t len)
{
	char address[64];
	int port, ip_version;
	engine_format_address(&s->remote, address, sizeof(address), &port, &ip_version);
	int used = snprintf(text, len, "%s %s%s%s:%d", s->type == SOCK_STREAM ? "TCP" : "UDP",
			    ip_version ? "[" : "", address, ip_version ? "]" : "", port);
	if (s->client_pid > 0 && used > 0 && (size_t)used < len)
		snprintf(text + used, len - (size_t)used, " of pid %d (%s)", s->client_pid,
			 s->client_program);
}

bool engine_take_tcp_socket(struct st87_modem *modem, struct routed_socket *sockets,
			    const struct routed_socket *for_socket, const char *for_what)
{
	struct routed_socket *holder = tcp_holder(sockets);
	if (!holder)
		return false;
	char held_by[160];
	engine_describe(holder, held_by, sizeof(held_by));
	/* Through st87d the holder may be another program's: its connection is never taken. */
	/* pid 0: st87d sees its clients from another pid namespace and cannot tell them apart. */
	bool same_program = holder->client_pid == for_socket->client_pid &&
		(holder->client_pid != 0 || holder->client_fd < 0);
	if (!same_program) {
		st87_fail(-EMFILE, "no free modem TCP socket: another program's connection %s holds it",
			  held_by);
		return false;
	}
	int idle_ms = engine_settings_given.tcp_evict_idle_ms;
	bool quiet = idle_ms > 0 && stays_quiet(modem, holder, idle_ms);
	if (holder->modem_socket < 0)
		return true; /* its peer closed meanwhile */
	if (!quiet) {
		st87_fail(-EMFILE, "no free modem TCP socket: this program's connection %s holds it%s",
			  held_by, idle_ms ? " and is not idle" : " (ST87_TCP_EVICT_IDLE=0)");
		return false;
	}
	st87_log(ST87_LOG_INFO,
		 "%s: takes the modem's TCP socket from the idle connection %s, "
		 "which sees the peer's close",
		 for_what, held_by);
	engine_give_eof(holder);
	return holder->modem_socket < 0;
}
