/* A routed socket's outcome, told (socket_outcome.h). */
#include "socket_outcome.h"

#include <string.h>
#include <sys/socket.h>

#include "engine_host.h"
#include "engine_metrics.h"
#include "internal.h"

void engine_tell_client(struct routed_socket *s, enum st87d_reply_kind kind, int err, const char *why)
{
	if (s->client_fd < 0)
		return;
	int sent;
	if (kind == ST87D_CONNECTED) {
		char ipv4[64], ipv6[64];
		engine_modem_address(AF_INET, ipv4, sizeof(ipv4));
		engine_modem_address(AF_INET6, ipv6, sizeof(ipv6));
		sent = st87d_send_connected(s->client_fd, ipv4, ipv6,
					    (uint32_t)engine_published_datagram_limit());
	} else {
		sent = st87d_send_reply(s->client_fd, kind, err, why);
	}
	if (sent < 0)
		st87_log(ST87_LOG_DEBUG, "pid %d no longer listens: %s", s->client_pid, strerror(-sent));
}

void engine_fail(struct routed_socket *s, int err)
{
	pthread_mutex_lock(&engine_lock);
	bool was_connecting = s->state == ROUTED_CONNECTING;
	bool was_open = was_connecting || s->state == ROUTED_CONNECTED;
	if (was_open) {
		s->state = ROUTED_FAILED;
		s->error = err;
	}
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&engine_lock);
	if (was_connecting)
		engine_metrics_count_connect(false);
	if (was_open)
		engine_tell_client(s, ST87D_FAILED, err, st87_last_error());
	if (s->engine_fd >= 0) {
		engine_close_private_fd(s->engine_fd);
		s->engine_fd = -1;
	}
}
