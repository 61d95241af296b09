/* The engine thread's modem and its routed sockets, and their losses (engine_modem.h). */
#include "engine_modem.h"

#include <errno.h>
#include <sys/socket.h>

#include "engine_host.h"
#include "engine_metrics.h"
#include "internal.h"
#include "socket_outcome.h"

struct st87_modem *engine_modem;
struct routed_socket *engine_sockets;
/* The modem said when a peer closed: idle TCP sockets need no polling (learned per modem session). */
static bool closes_announced;

void engine_close_modem_socket(struct routed_socket *s)
{
	if (s->modem_socket < 0 || !engine_modem)
		return;
	int err = st87_socket_close(engine_modem, s->modem_socket);
	if (err && err != -EBADF)
		st87_log(ST87_LOG_WARN, "closing modem socket %d: %s", s->modem_socket,
			 st87_last_error());
	s->modem_socket = -1;
	if (err && st87_modem_unresponsive(engine_modem))
		engine_modem_lost(-err);
}

void engine_give_eof(struct routed_socket *s)
{
	s->peer_closed = true;
	s->data_waiting = false;
	engine_tell_client(s, ST87D_PEER_CLOSED, 0, NULL);
	shutdown(s->engine_fd, SHUT_WR);
	/* The TCP slot is the modem's scarcest resource: free it now. */
	engine_close_modem_socket(s);
}

void engine_forget_modem(void)
{
	closes_announced = false;
	engine_disown_fd(st87_modem_fd(engine_modem));
	engine_metrics_retire(engine_modem);
	st87_modem_close(engine_modem);
	engine_modem = NULL;
}

void engine_modem_lost(int err)
{
	st87_log(ST87_LOG_ERROR, "modem lost (%s): failing every routed socket", st87_strerror(-err));
	for (struct routed_socket *s = engine_sockets; s; s = s->next) {
		s->modem_socket = -1;
		engine_fail(s, err);
	}
	if (engine_modem)
		engine_forget_modem();
}

void engine_link_lost(void)
{
	bool failed_any = false;
	for (struct routed_socket *s = engine_sockets; s; s = s->next) {
		/* A socket still waiting for its modem socket has lost nothing: it gets the new link. */
		if (s->engine_fd < 0 || (s->state == ROUTED_CONNECTING && s->modem_socket < 0))
			continue;
		bool connected_tcp = s->type == SOCK_STREAM && s->state == ROUTED_CONNECTED;
		s->modem_socket = -1;
		engine_fail(s, connected_tcp ? ECONNRESET : ENETDOWN);
		failed_any = true;
	}
	if (failed_any)
		st87_log(ST87_LOG_ERROR,
			 "the modem restarted or lost its IP link: routed sockets reset; "
			 "the next routed call brings the link back");
}

bool engine_modem_trouble(int err)
{
	if (!engine_modem)
		return true;
	if (st87_modem_unresponsive(engine_modem)) {
		engine_modem_lost(err == -ETIMEDOUT || err == -EIO ? -err : ETIMEDOUT);
		return true;
	}
	if (st87_modem_needs_start(engine_modem)) {
		engine_link_lost();
		return true;
	}
	return false;
}

void engine_closes_are_announced(const char *how)
{
	if (closes_announced)
		return;
	closes_announced = true;
	st87_log(ST87_LOG_INFO,
		 "the modem announces a peer's close (%s): idle connections are not polled", how);
}

int engine_link_check_interval_ms(void)
{
	return closes_announced ? 0 : engine_settings_given.link_check_interval_s * 1000;
}

void engine_modem_after_fork_in_child(void)
{
	engine_modem = NULL;
	engine_sockets = NULL;
	closes_announced = false;
}
