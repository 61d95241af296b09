/* st87d's SOCKS5 door: the hand-over to the engine (socks_handover.h). */
#include "socks_handover.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "internal.h"

struct routed_socket *socks_hand_to_engine(const struct socks_client *client, int type,
					   const struct sockaddr_storage *remote, socklen_t remote_len,
					   int *program_end)
{
	int pair[2];
	int pair_type = type == SOCK_STREAM ? SOCK_STREAM : SOCK_SEQPACKET;
	if (socketpair(AF_UNIX, pair_type | SOCK_CLOEXEC, 0, pair) < 0)
		return NULL;
	struct routed_socket *s = routed_socket_new(remote->ss_family, type,
						    (const struct sockaddr *)remote, remote_len);
	if (!s) {
		close(pair[0]);
		close(pair[1]);
		return NULL;
	}
	fcntl(pair[0], F_SETFL, O_NONBLOCK);
	s->engine_fd = pair[0];
	s->framed = type != SOCK_STREAM;
	/* A client of st87d's, like a program's request; -1: one st87d cannot name is never taken for
	 * another's program (evict.c). */
	s->of_client = true;
	s->client_pid = client->pid > 0 ? (int)client->pid : -1;
	snprintf(s->client_program, sizeof(s->client_program), "%s", client->program);
	s->connect_deadline_ms = st87_now_ms() + client->config->connect_timeout_ms;
	routed_socket_hold(s);
	if (engine_submit(s) != 0) {
		close(pair[0]);
		close(pair[1]);
		routed_socket_discard(s);
		return NULL;
	}
	*program_end = pair[1];
	return s;
}
