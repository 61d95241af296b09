/* st87d: one client's request, from its credentials to the engine. */
#ifndef ST87_DAEMON_SERVE_H
#define ST87_DAEMON_SERVE_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

struct access_policy {
	gid_t group;    /* members may use the modem; the daemon's own user and root always may */
	bool any_group; /* --group '': anyone who can reach the socket */
	char group_name[64];
};

struct shim_config;
/* The settings st87d runs with (its status names the port): kept, not copied. Before any request. */
void serve_configure(const struct shim_config *settings);

/*
 * Serves the request on @connection, whose peer has @credentials; takes the
 * fd over. Safe to run on several threads at once.
 */
void serve_client(int connection, const struct ucred *credentials, const struct access_policy *policy);

/* Opens the modem now, so a bad port shows at start and clients pay no start-up. 0 or -errno. */
int serve_open_modem(char *error, size_t error_len);

#endif
