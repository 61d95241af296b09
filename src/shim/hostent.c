/*
 * gethostbyname()/gethostbyname2(): older programs resolve with these. They
 * are answered by the shim's getaddrinfo(), so the same names go over the
 * modem; the result lives in one static buffer per thread (glibc's is one per
 * process, so callers already copy it before the next call).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netdb.h>
#include <string.h>

#include "real.h"
#include "shim.h"

#define MAX_ADDRESSES 16

struct host_buffer {
	struct hostent entry;
	char name[256];
	char *aliases[1];
	char *address_list[MAX_ADDRESSES + 1];
	unsigned char addresses[MAX_ADDRESSES][16];
};

static _Thread_local struct host_buffer host;

static struct hostent *from_addrinfo(const char *name, int family, struct addrinfo *list)
{
	size_t count = 0;
	size_t length = family == AF_INET6 ? 16 : 4;
	for (struct addrinfo *ai = list; ai && count < MAX_ADDRESSES; ai = ai->ai_next) {
		if (ai->ai_family != family)
			continue;
		const void *address = family == AF_INET6
			? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
			: (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		memcpy(host.addresses[count], address, length);
		host.address_list[count] = (char *)host.addresses[count];
		count++;
	}
	if (count == 0)
		return NULL;
	host.address_list[count] = NULL;
	host.aliases[0] = NULL;
	snprintf(host.name, sizeof(host.name), "%s", name);
	host.entry = (struct hostent){.h_name = host.name,
				      .h_aliases = host.aliases,
				      .h_addrtype = family,
				      .h_length = (int)length,
				      .h_addr_list = host.address_list};
	return &host.entry;
}

static struct hostent *resolve(const char *name, int family)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM};
	struct addrinfo *list = NULL;
	int result = getaddrinfo(name, NULL, &hints, &list);
	if (result) {
		h_errno = result == EAI_NONAME || result == EAI_NODATA ? HOST_NOT_FOUND : TRY_AGAIN;
		return NULL;
	}
	struct hostent *entry = from_addrinfo(name, family, list);
	freeaddrinfo(list);
	if (!entry)
		h_errno = NO_DATA;
	return entry;
}

static bool ours(const char *name, int family)
{
	return !on_engine_thread && !shim.config.inert && shim.config.names_over_modem && name &&
		(family == AF_INET || family == AF_INET6);
}

struct hostent *gethostbyname2(const char *name, int family)
{
	shim_init();
	if (!ours(name, family))
		return real.gethostbyname2(name, family);
	return resolve(name, family);
}

struct hostent *gethostbyname(const char *name)
{
	shim_init();
	if (!ours(name, AF_INET))
		return real.gethostbyname(name);
	return resolve(name, AF_INET);
}
