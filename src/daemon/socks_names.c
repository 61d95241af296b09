/* st87d's SOCKS5 door: a client's name looked up (socks_names.h). */
#include "socks_names.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "engine.h"

enum socks_reply_code socks_resolve(const struct shim_config *config, const char *name, uint16_t port,
				    struct sockaddr_storage *remote, socklen_t *remote_len, char *why,
				    size_t why_len)
{
	static const int families[] = {AF_INET, AF_INET6};
	int outcome = -ENOENT;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct shim_dns_answer answer = {0};
		char error[320] = "";
		struct engine_lookup lookup = {
			.name = name,
			.family = families[i],
			.resolver = config->has_dns_server ? (const struct sockaddr *)&config->dns_server
							   : NULL,
			.resolver_len = config->has_dns_server ? config->dns_server_len : 0,
			.modem_dns_server = config->modem_dns_server,
			.answered_by = "no one",
		};
		outcome = engine_resolve(&lookup, &answer, error, sizeof(error));
		if (outcome == SHIM_DNS_ANSWER && answer.count > 0) {
			memset(remote, 0, sizeof(*remote));
			if (answer.family == AF_INET6) {
				struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)remote;
				in6->sin6_family = AF_INET6;
				in6->sin6_addr = answer.addresses[0].v6;
				in6->sin6_port = htons(port);
				*remote_len = sizeof(*in6);
			} else {
				struct sockaddr_in *in = (struct sockaddr_in *)remote;
				in->sin_family = AF_INET;
				in->sin_addr = answer.addresses[0].v4;
				in->sin_port = htons(port);
				*remote_len = sizeof(*in);
			}
			return SOCKS_SUCCEEDED;
		}
		snprintf(why, why_len, "lookup of %s by %s: %s", name, lookup.answered_by,
			 error[0] ? error : strerror(-outcome));
		if (outcome != SHIM_DNS_NO_DATA && outcome != SHIM_DNS_ANSWER)
			break;
	}
	return outcome == SHIM_DNS_NO_SUCH_NAME || outcome == SHIM_DNS_NO_DATA ||
			outcome == SHIM_DNS_ANSWER
		? SOCKS_HOST_UNREACHABLE
		: SOCKS_GENERAL_FAILURE;
}
