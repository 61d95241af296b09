/*
 * st87d's SOCKS5 door: the peer of a connection (socks_peer.h). On the
 * loopback port the kernel knows the connecting socket's owner; the socket
 * table in /proc/net names it by the connection's two addresses, which the
 * client cannot forge on loopback.
 */
#include "socks_peer.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One address as /proc/net/tcp{,6} writes it: each 32-bit word of the raw address in hex, and the port. */
struct table_address {
	uint32_t words[4];
	unsigned port;
};

static void table_address_of(const struct sockaddr_storage *address, struct table_address *out)
{
	memset(out, 0, sizeof(*out));
	if (address->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)address;
		memcpy(&out->words[0], &in->sin_addr, 4);
		out->port = ntohs(in->sin_port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
		memcpy(out->words, &in6->sin6_addr, 16);
		out->port = ntohs(in6->sin6_port);
	}
}

/* "0100007F:1F90" or the 32-digit IPv6 form into @out; false when it is neither. */
static bool parse_table_address(const char *text, size_t words, struct table_address *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < words; i++) {
		unsigned value;
		if (sscanf(text + 8 * i, "%8X", &value) != 1)
			return false;
		out->words[i] = value;
	}
	return text[8 * words] == ':' && sscanf(text + 8 * words + 1, "%X", &out->port) == 1;
}

static bool same_address(const struct table_address *a, const struct table_address *b)
{
	return memcmp(a->words, b->words, sizeof(a->words)) == 0 && a->port == b->port;
}

/* The uid and inode of the socket whose local end is @local and remote end @remote (NULL: any), from @table. */
static bool find_in_table(const char *table, size_t words, const struct table_address *local,
			  const struct table_address *remote, uid_t *uid, unsigned long *inode)
{
	FILE *file = fopen(table, "re");
	if (!file)
		return false;
	char line[512], local_text[64], remote_text[64];
	bool found = false;
	while (!found && fgets(line, sizeof(line), file)) {
		unsigned long owner, node;
		struct table_address line_local, line_remote;
		if (sscanf(line, " %*s %63s %63s %*s %*s %*s %*s %lu %*s %lu", local_text, remote_text,
			   &owner, &node) != 4 ||
		    !parse_table_address(local_text, words, &line_local) ||
		    !parse_table_address(remote_text, words, &line_remote))
			continue;
		if (same_address(&line_local, local) &&
		    (!remote || same_address(&line_remote, remote))) {
			*uid = (uid_t)owner;
			*inode = node;
			found = true;
		}
	}
	fclose(file);
	return found;
}

static bool holds_socket(const char *pid_dir, const char *wanted)
{
	char path[300];
	snprintf(path, sizeof(path), "/proc/%s/fd", pid_dir);
	DIR *fds = opendir(path);
	if (!fds)
		return false;
	bool holds = false;
	struct dirent *entry;
	while (!holds && (entry = readdir(fds))) {
		char link[600], target[64];
		snprintf(link, sizeof(link), "%s/%s", path, entry->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			holds = strcmp(target, wanted) == 0;
		}
	}
	closedir(fds);
	return holds;
}

/* A process holding socket @inode, among those st87d may look into; 0 when none. */
static pid_t holder_of(unsigned long inode)
{
	char wanted[64];
	snprintf(wanted, sizeof(wanted), "socket:[%lu]", inode);
	DIR *processes = opendir("/proc");
	if (!processes)
		return 0;
	pid_t pid = 0;
	struct dirent *entry;
	while (!pid && (entry = readdir(processes))) {
		char *end;
		long number = strtol(entry->d_name, &end, 10);
		if (*end || number <= 0 || number == (long)getpid())
			continue;
		if (holds_socket(entry->d_name, wanted))
			pid = (pid_t)number;
	}
	closedir(processes);
	return pid;
}

static bool identify_tcp_peer(int connection, struct socks_peer *peer, char *why, size_t why_len)
{
	struct sockaddr_storage ours, theirs;
	socklen_t ours_len = sizeof(ours), theirs_len = sizeof(theirs);
	if (getsockname(connection, (struct sockaddr *)&ours, &ours_len) < 0 ||
	    getpeername(connection, (struct sockaddr *)&theirs, &theirs_len) < 0) {
		snprintf(why, why_len, "the connection has no addresses: %s", strerror(errno));
		return false;
	}
	struct table_address local, remote;
	table_address_of(&theirs, &local); /* the client's socket: its local end is our peer */
	table_address_of(&ours, &remote);
	bool ipv6 = theirs.ss_family == AF_INET6;
	unsigned long inode = 0;
	if (!find_in_table(ipv6 ? "/proc/net/tcp6" : "/proc/net/tcp", ipv6 ? 4 : 1, &local, &remote,
			   &peer->uid, &inode)) {
		snprintf(why, why_len, "no local socket owns the connection (not from this host?)");
		return false;
	}
	peer->uid_known = true;
	peer->pid = inode ? holder_of(inode) : 0;
	return true;
}

bool socks_peer_identify(int connection, struct socks_peer *peer, char *why, size_t why_len)
{
	*peer = (struct socks_peer){.gid = (gid_t)-1};
	int domain = 0;
	socklen_t len = sizeof(domain);
	if (getsockopt(connection, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0) {
		snprintf(why, why_len, "SO_DOMAIN: %s", strerror(errno));
		return false;
	}
	if (domain != AF_UNIX)
		return identify_tcp_peer(connection, peer, why, why_len);
	struct ucred credentials;
	len = sizeof(credentials);
	if (getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &credentials, &len) < 0) {
		snprintf(why, why_len, "SO_PEERCRED: %s", strerror(errno));
		return false;
	}
	*peer = (struct socks_peer){.uid = credentials.uid,
				    .gid = credentials.gid,
				    .pid = credentials.pid,
				    .uid_known = true};
	return true;
}

#define MAX_USER_GROUPS 256

/* Whether the user @uid is in @group by the group database (a TCP peer's groups cannot be asked of the kernel). */
static bool user_in_group(uid_t uid, gid_t group)
{
	struct passwd entry, *found = NULL;
	char buffer[4096];
	if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) != 0 || !found)
		return false;
	if (found->pw_gid == group)
		return true;
	gid_t groups[MAX_USER_GROUPS];
	int count = MAX_USER_GROUPS;
	if (getgrouplist(found->pw_name, found->pw_gid, groups, &count) < 0)
		return false;
	for (int i = 0; i < count; i++)
		if (groups[i] == group)
			return true;
	return false;
}

bool socks_peer_allowed(const struct socks_peer *peer, const struct access_policy *policy)
{
	if (!peer->uid_known)
		return false;
	if (peer->uid == 0 || peer->uid == geteuid() || policy->any_group)
		return true;
	return peer->gid == policy->group || user_in_group(peer->uid, policy->group);
}

bool socks_peer_udp_owner(const struct sockaddr_storage *source, uid_t *uid)
{
	struct table_address sender, any_address;
	table_address_of(source, &sender);
	any_address = (struct table_address){.port = sender.port};
	bool ipv6 = source->ss_family == AF_INET6;
	const char *table = ipv6 ? "/proc/net/udp6" : "/proc/net/udp";
	size_t words = ipv6 ? 4 : 1;
	unsigned long inode;
	/* Bound to the address it sent from, or to any address (an unbound socket's first send binds it so),
	 * or, sending IPv4, a dual-stack IPv6 socket bound to any. */
	return find_in_table(table, words, &sender, NULL, uid, &inode) ||
		find_in_table(table, words, &any_address, NULL, uid, &inode) ||
		(!ipv6 && find_in_table("/proc/net/udp6", 4, &any_address, NULL, uid, &inode));
}
