/*
 * st87d: the engine's end of a client's pair (pair_end.h). The engine polls
 * whatever it is given and keeps its modem socket until that end hangs up,
 * so an end that is not a live pair of the requester's own would let one
 * client hold a modem socket (a listening socket never hangs up), spin the
 * engine, or route the bytes of a process that never asked.
 */
#include "pair_end.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static int int_option(int fd, int name, int *value)
{
	socklen_t len = sizeof(*value);
	return getsockopt(fd, SOL_SOCKET, name, value, &len);
}

static bool has_peer(int fd)
{
	struct sockaddr_un peer;
	socklen_t len = sizeof(peer);
	return getpeername(fd, (struct sockaddr *)&peer, &len) == 0;
}

/* The filler the client announced is in the pair already (it writes it before asking). */
static bool holds_filler(int fd, uint32_t filler)
{
	int waiting = 0;
	return filler == 0 || (ioctl(fd, FIONREAD, &waiting) == 0 && (uint32_t)waiting >= filler);
}

bool pair_end_acceptable(int fd, int routed_type, uint32_t filler, pid_t requester, char *why,
			 size_t why_len)
{
	struct stat status;
	int domain = 0, type = 0, listening = 0;
	int wanted_type = routed_type == SOCK_STREAM ? SOCK_STREAM : SOCK_SEQPACKET;
	struct ucred peer = {0};
	socklen_t len = sizeof(peer);
	if (fstat(fd, &status) < 0 || !S_ISSOCK(status.st_mode) ||
	    int_option(fd, SO_DOMAIN, &domain) < 0 || int_option(fd, SO_TYPE, &type) < 0 ||
	    domain != AF_UNIX || type != wanted_type)
		snprintf(why, why_len, "not a Unix socket of the routed socket's type");
	else if (int_option(fd, SO_ACCEPTCONN, &listening) < 0 || listening)
		snprintf(why, why_len, "a listening socket");
	else if (!has_peer(fd) || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
		snprintf(why, why_len, "a socket with no peer");
	else if (peer.pid != requester)
		snprintf(why, why_len, "a socket whose peer is pid %d, not the requesting process",
			 (int)peer.pid);
	else if (!holds_filler(fd, filler))
		snprintf(why, why_len, "short of the filler bytes announced");
	else
		return true;
	return false;
}
