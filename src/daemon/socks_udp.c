/* st87d's SOCKS5 door: UDP ASSOCIATE (socks_udp.h). */
#include "socks_udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "socks_names.h"
#include "socks_parse.h"
#include "socks_peer.h"

/* A datagram's room: the header and the largest the modem reads, with margin; a longer one is cut and dropped. */
#define DATAGRAM_ROOM (SOCKS_REQUEST_MAX + ST87_MAX_READ + 1)

/* The modem socket of one address family, made at its first datagram. */
struct family_route {
	struct routed_socket *routed;
	int program_end;
};

struct relay_state {
	const struct socks_udp_association *association;
	int relay;
	struct sockaddr_storage sender; /* the client's datagrams' source, once known */
	bool sender_known;
	bool stranger_logged;
	struct family_route routes[2]; /* AF_INET, AF_INET6 */
};

int socks_udp_open(int control, struct sockaddr_storage *bound)
{
	struct sockaddr_storage local = {0};
	socklen_t len = sizeof(local);
	if (getsockname(control, (struct sockaddr *)&local, &len) < 0 ||
	    (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
		struct sockaddr_in *in = (struct sockaddr_in *)&local;
		*in = (struct sockaddr_in){.sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	}
	((struct sockaddr_in *)&local)->sin_port = 0; /* the same place in sockaddr_in6 */
	len = local.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&local, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)bound, &len) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static bool same_sender(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a,
					  *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
	return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* Whether the client named where it sends from (RFC 1928: all zeros when it does not know). */
static bool sender_named(const struct sockaddr_storage *sender)
{
	return sender->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)sender)->sin6_port != 0
					     : ((const struct sockaddr_in *)sender)->sin_port != 0;
}

/* A datagram from @source is the client's: its own socket (by the kernel's owner), the first such fixes it. */
static bool from_the_client(struct relay_state *state, const struct sockaddr_storage *source)
{
	if (state->sender_known)
		return same_sender(&state->sender, source);
	const struct sockaddr_storage *named = &state->association->sender;
	uid_t owner;
	bool ours = (!sender_named(named) || same_sender(named, source)) &&
		socks_peer_udp_owner(source, &owner) && owner == state->association->uid;
	if (ours) {
		state->sender = *source;
		state->sender_known = true;
	}
	return ours;
}

static struct family_route *route_for(struct relay_state *state, const struct sockaddr_storage *target,
				      socklen_t target_len)
{
	struct family_route *route = &state->routes[target->ss_family == AF_INET6];
	if (!route->routed) {
		route->routed = socks_hand_to_engine(&state->association->client, SOCK_DGRAM, target,
						     target_len, &route->program_end);
		if (route->routed) {
			char what[200];
			engine_describe(route->routed, what, sizeof(what));
			st87_log(ST87_LOG_INFO, "%s: uid %d asks through SOCKS (UDP ASSOCIATE)", what,
				 (int)state->association->uid);
		}
	}
	return route->routed ? route : NULL;
}

static void drop(const struct relay_state *state, const char *why)
{
	st87_log(ST87_LOG_WARN, "%s: a datagram dropped: %s", state->association->who, why);
}

/* One datagram from the client to its destination over the modem. */
static void client_to_modem(struct relay_state *state)
{
	static _Thread_local uint8_t datagram[DATAGRAM_ROOM];
	static _Thread_local uint8_t framed[sizeof(struct datagram_header) + DATAGRAM_ROOM];
	struct sockaddr_storage source;
	socklen_t source_len = sizeof(source);
	ssize_t n = recvfrom(state->relay, datagram, sizeof(datagram), MSG_TRUNC,
			     (struct sockaddr *)&source, &source_len);
	if (n < 0)
		return;
	if (!from_the_client(state, &source)) {
		if (!state->stranger_logged)
			drop(state,
			     "it came from a socket that is not the client's (further ones dropped "
			     "without a line)");
		state->stranger_logged = true;
		return;
	}
	if ((size_t)n > sizeof(datagram)) {
		drop(state, "longer than any the modem carries");
		return;
	}
	struct socks_request target;
	const char *why = "";
	int header_len = socks_parse_udp_header(datagram, (size_t)n, &target, &why);
	if (header_len < 0) {
		drop(state, why);
		return;
	}
	struct datagram_header header;
	memset(&header, 0, sizeof(header)); /* its padding goes down the pair too */
	header.address = target.address;
	header.address_len = target.address_len;
	if (target.address_type == SOCKS_DOMAIN) {
		char reason[400];
		if (socks_resolve(state->association->client.config, target.name, target.port,
				  &header.address, &header.address_len, reason,
				  sizeof(reason)) != SOCKS_SUCCEEDED) {
			drop(state, reason);
			return;
		}
	}
	struct family_route *route = route_for(state, &header.address, header.address_len);
	if (!route) {
		drop(state, "st87d cannot hand it to the modem's engine");
		return;
	}
	size_t payload = (size_t)n - (size_t)header_len;
	memcpy(framed, &header, sizeof(header));
	memcpy(framed + sizeof(header), datagram + header_len, payload);
	if (send(route->program_end, framed, sizeof(header) + payload, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		drop(state, strerror(errno));
}

/* One answer from the modem back to the client, with its source; false once the route is gone. */
static bool modem_to_client(struct relay_state *state, struct family_route *route)
{
	static _Thread_local uint8_t framed[sizeof(struct datagram_header) + DATAGRAM_ROOM];
	static _Thread_local uint8_t datagram[SOCKS_REPLY_MAX + DATAGRAM_ROOM];
	ssize_t n = recv(route->program_end, framed, sizeof(framed), 0);
	if (n <= 0)
		return false;
	if ((size_t)n < sizeof(struct datagram_header) || !state->sender_known)
		return true;
	struct datagram_header header;
	memcpy(&header, framed, sizeof(header));
	size_t header_len = socks_build_udp_header((const struct sockaddr *)&header.address, datagram);
	size_t payload = (size_t)n - sizeof(header);
	memcpy(datagram + header_len, framed + sizeof(header), payload);
	socklen_t sender_len = state->sender.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								   : sizeof(struct sockaddr_in);
	sendto(state->relay, datagram, header_len + payload, MSG_NOSIGNAL,
	       (const struct sockaddr *)&state->sender, sender_len);
	return true;
}

static void end_route(struct family_route *route)
{
	if (!route->routed)
		return;
	close(route->program_end);
	routed_socket_release(route->routed);
	route->routed = NULL;
}

void socks_udp_relay(const struct socks_udp_association *association, int relay)
{
	struct relay_state state = {.association = association, .relay = relay};
	for (;;) {
		struct pollfd fds[4] = {{.fd = association->control, .events = POLLIN},
					{.fd = relay, .events = POLLIN},
					{.fd = -1, .events = POLLIN},
					{.fd = -1, .events = POLLIN}};
		for (size_t i = 0; i < 2; i++)
			if (state.routes[i].routed)
				fds[2 + i].fd = state.routes[i].program_end;
		if (poll(fds, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* RFC 1928: the association ends when its TCP connection does; anything the client sends on it is moot. */
		uint8_t scrap[64];
		if (fds[0].revents &&
		    recv(association->control, scrap, sizeof(scrap), MSG_DONTWAIT) <= 0)
			break;
		if (fds[1].revents)
			client_to_modem(&state);
		for (size_t i = 0; i < 2; i++)
			if (fds[2 + i].revents && !modem_to_client(&state, &state.routes[i])) {
				drop(&state,
				     "the modem's socket for it failed; the next datagram opens "
				     "another");
				end_route(&state.routes[i]);
			}
	}
	end_route(&state.routes[0]);
	end_route(&state.routes[1]);
	close(relay);
}
