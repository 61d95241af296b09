/* The routed socket record's life: made once, shared by reference, freed by its last holder. */
#include "routed_socket.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "monotonic.h"

pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;

struct routed_socket *routed_socket_new(int domain, int type, const struct sockaddr *remote,
					socklen_t remote_len)
{
	if (remote_len > sizeof(struct sockaddr_storage))
		return NULL;
	struct routed_socket *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->domain = domain;
	s->type = type;
	memcpy(&s->remote, remote, remote_len);
	s->remote_len = remote_len;
	s->rai = -1;
	s->client_fd = -1;
	s->daemon_fd = -1;
	s->engine_fd = -1;
	s->modem_socket = -1;
	s->state = ROUTED_CONNECTING;
	monotonic_cond_init(&s->changed);
	return s;
}

void routed_socket_discard(struct routed_socket *s)
{
	pthread_cond_destroy(&s->changed);
	free(s);
}

void routed_socket_hold(struct routed_socket *s)
{
	atomic_fetch_add(&s->refs, 1);
}

bool routed_socket_release(struct routed_socket *s)
{
	if (atomic_fetch_sub(&s->refs, 1) > 1)
		return false;
	routed_socket_discard(s);
	return true;
}

socklen_t routed_address_size(int family)
{
	return family == AF_INET     ? sizeof(struct sockaddr_in)
		: family == AF_INET6 ? sizeof(struct sockaddr_in6)
				     : 0;
}
