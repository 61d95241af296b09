/*
 * st87d: a client's request. Credentials first (SO_PEERCRED, logged), then
 * the request: a routed socket becomes a record the engine takes over, just
 * as the shim's in-process connect makes one; a lookup or a status is run as
 * an engine job, since the engine thread alone talks to the modem.
 */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "internal.h"
#include "pair_end.h"
#include "program_traffic.h"
#include "metrics_report.h"
#include "radio_report.h"
#include "wire.h"

#define MAX_PEER_GROUPS 256
/*
 * How long a client may take to send its request, and each reply may wait
 * for room: a silent client holds only its own thread, and only this long.
 */
#define REQUEST_TIMEOUT_MS 2000
/* The longest an AT command through st87d may take (the note's longest Max Response Time is 60 s). */
#define AT_TIMEOUT_MAX_MS 120000

static const struct shim_config *config;

void serve_configure(const struct shim_config *settings)
{
	config = settings;
}

struct client {
	int connection;
	struct ucred credentials;
	char program[ST87_PROCESS_NAME_SIZE];
};

static bool in_group(int connection, const struct ucred *peer, gid_t group)
{
	if (peer->gid == group)
		return true;
	gid_t groups[MAX_PEER_GROUPS];
	socklen_t len = sizeof(groups);
	if (getsockopt(connection, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == group)
			return true;
	return false;
}

static bool allowed(const struct client *client, const struct access_policy *policy)
{
	uid_t uid = client->credentials.uid;
	if (uid == 0 || uid == geteuid() || policy->any_group)
		return true;
	return in_group(client->connection, &client->credentials, policy->group);
}

/* The request and the pair end it carried may be taken over; false with @why, when not. */
static bool acceptable_socket_request(const struct client *client, const struct st87d_request *request,
				      int pair_end, char *why, size_t why_len)
{
	const char *malformed = st87d_socket_request_problem(request);
	if (!malformed && pair_end < 0)
		malformed = "no pair end came with it";
	if (malformed) {
		snprintf(why, why_len, "malformed socket request refused: %s", malformed);
		return false;
	}
	char problem[96];
	if (!pair_end_acceptable(pair_end, request->type, request->filler, client->credentials.pid,
				 problem, sizeof(problem))) {
		snprintf(why, why_len, "socket request refused: the pair end passed is %s", problem);
		return false;
	}
	return true;
}

static void open_socket(struct client *client, const struct st87d_request *request, int pair_end)
{
	char why[160];
	if (!acceptable_socket_request(client, request, pair_end, why, sizeof(why))) {
		st87_log(ST87_LOG_WARN, "pid %d (%s): %s", (int)client->credentials.pid, client->program,
			 why);
		st87d_send_reply(client->connection, ST87D_FAILED, EINVAL, why);
		if (pair_end >= 0)
			close(pair_end);
		close(client->connection);
		return;
	}
	struct routed_socket *s = routed_socket_new(request->domain, request->type,
						    (const struct sockaddr *)&request->remote,
						    request->remote_len);
	if (!s) {
		st87d_send_reply(client->connection, ST87D_FAILED, ENOMEM, "st87d is out of memory");
		close(pair_end);
		close(client->connection);
		return;
	}
	s->framed = request->flags & ST87D_FRAMED;
	s->local_port = request->local_port;
	s->filler = request->filler;
	s->rai = request->rai;
	s->engine_fd = pair_end;
	s->client_fd = client->connection;
	s->of_client = true;
	s->client_pid = (int)client->credentials.pid;
	/* The client's own ST87_CONNECT_TIMEOUT bounds its wait for the TCP socket; 0: st87d's. */
	int timeout_ms = request->timeout_ms > 0 && request->timeout_ms <= SHIM_CONFIG_MAX_TIMEOUT_MS
		? request->timeout_ms
		: config->connect_timeout_ms;
	s->connect_deadline_ms = st87_now_ms() + timeout_ms;
	snprintf(s->client_program, sizeof(s->client_program), "%s", client->program);
	fcntl(pair_end, F_SETFL, O_NONBLOCK);
	/* Reports must never block the engine on a client that stopped reading. */
	fcntl(client->connection, F_SETFL, O_NONBLOCK);

	char what[160];
	engine_describe(s, what, sizeof(what));
	st87_log(ST87_LOG_INFO, "%s: uid %d asks", what, (int)client->credentials.uid);
	int err = engine_submit(s);
	if (err) {
		st87d_send_reply(client->connection, ST87D_FAILED, -err,
				 "the modem engine cannot start");
		close(pair_end);
		close(client->connection);
		routed_socket_discard(s);
	}
}

/* The resolver a lookup names (its ST87_DNS), or none: st87d's choice. False when it names a bad one. */
static bool requested_resolver(const struct st87d_request *request)
{
	if (request->remote_len == 0)
		return true;
	sa_family_t family = request->remote.ss_family;
	return (family == AF_INET || family == AF_INET6) &&
		request->remote_len >= routed_address_size(family) &&
		request->remote_len <= sizeof(request->remote);
}

static void resolve(struct client *client, const struct st87d_request *request)
{
	struct st87d_reply reply = {0};
	struct shim_dns_answer answer = {0};
	char error[320] = "";
	struct engine_lookup lookup = {
		.name = request->name,
		.family = request->ip_version ? AF_INET6 : AF_INET,
		.resolver = (const struct sockaddr *)&request->remote,
		.resolver_len = request->remote_len,
		.modem_dns_server = config->modem_dns_server,
		.answered_by = "no one",
	};
	int outcome;
	if (requested_resolver(request)) {
		outcome = engine_resolve(&lookup, &answer, error, sizeof(error));
	} else {
		outcome = -EINVAL;
		snprintf(error, sizeof(error), "the lookup names no IPv4 or IPv6 resolver");
	}
	char name[256]; /* the client's text: the log gets it printable */
	st87_printable(request->name, strlen(request->name), name, sizeof(name));
	if (outcome == 0) {
		inet_ntop(answer.family, &answer.addresses[0], reply.text, sizeof(reply.text));
		reply.ttl_s = answer.ttl;
		reply.family = answer.family;
		reply.address_count = (uint32_t)answer.count;
		for (size_t i = 0; i < answer.count && i < ST87D_MAX_ADDRESSES; i++)
			memcpy(reply.addresses[i], &answer.addresses[i], sizeof(answer.addresses[i]));
	} else {
		/* A name that does not exist is kept for a while too: no longer than st87d keeps it. */
		reply.ttl_s = answer.ttl;
		snprintf(reply.text, sizeof(reply.text), "%s", error);
	}
	reply.error = -outcome;
	st87_log(ST87_LOG_INFO, "pid %d (%s): lookup %s by %s: %s", (int)client->credentials.pid,
		 client->program, name, lookup.answered_by,
		 outcome == 0 || error[0] ? reply.text : strerror(-outcome));
	engine_modem_address(AF_INET, reply.ipv4, sizeof(reply.ipv4));
	engine_modem_address(AF_INET6, reply.ipv6, sizeof(reply.ipv6));
	st87d_send_lookup_answer(client->connection, &reply);
}

struct listing {
	char text[8192];
	char sends[64]; /* how binary sends go, as learned or configured */
};

static int run_listing(struct st87_modem *modem, void *arg)
{
	struct listing *listing = arg;
	engine_list_sockets(listing->text, sizeof(listing->text));
	enum st87_send_handshake handshake = modem ? st87_modem_send_handshake(modem) : ST87_SEND_DETECT;
	if (config->hex_payloads)
		snprintf(listing->sends, sizeof(listing->sends), "payloads sent as hex text");
	else if (handshake == ST87_SEND_DETECT)
		snprintf(listing->sends, sizeof(listing->sends), "binary sends not tried yet");
	else
		snprintf(listing->sends, sizeof(listing->sends), "binary sends %s, up to %zu bytes",
			 handshake == ST87_SEND_ONE_STEP ? "one-step" : "two-step",
			 st87_modem_send_limit(modem));
	return 0;
}

/* Lists the sockets into @arg (a struct listing), then closes them: what close-all says it closed. */
static int run_close_all(struct st87_modem *modem, void *arg)
{
	run_listing(modem, arg);
	engine_close_everything();
	return 0;
}

/* The programs that moved payload, the most recent first: st87ctl watch takes their rates from these. */
static void send_program_lines(int connection)
{
	struct program_traffic programs[PROGRAM_TRAFFIC_CLIENTS];
	size_t count = program_traffic_by_client(programs, PROGRAM_TRAFFIC_CLIENTS);
	for (size_t i = 0; i < count; i++) {
		char line[ST87_PROCESS_NAME_SIZE + 128];
		snprintf(line, sizeof(line), "program pid %d (%s): %llu B to the modem, %llu B from it",
			 programs[i].pid, programs[i].name, programs[i].to_modem,
			 programs[i].from_modem);
		st87d_send_reply(connection, ST87D_TEXT, 0, line);
	}
}

static void report_status(struct client *client)
{
	/* Requests run at once on their own threads: each has its own listing. */
	struct listing listing = {.text = "", .sends = ""};
	struct engine_job job = {.run = run_listing, .arg = &listing};
	int err = engine_run_job(&job);
	char address[ST87_ADDR_LEN], heading[SHIM_CONFIG_PATH_SIZE + 256];
	engine_modem_address(AF_INET, address, sizeof(address));
	unsigned long held_lookups;
	unsigned long long held_ms;
	engine_dns_hold_up(&held_lookups, &held_ms);
	snprintf(heading, sizeof(heading),
		 "st87d pid %d: modem on %s, address %s, %s%sAT#DNS held other sockets %llu ms in %lu "
		 "lookups, %s",
		 (int)getpid(), config->port, address[0] ? address : "unknown", listing.sends,
		 listing.sends[0] ? ", " : "", held_ms, held_lookups,
		 listing.text[0] ? "sockets:" : "no sockets open");
	st87d_send_reply(client->connection, ST87D_TEXT, 0, heading);
	char *rest = NULL;
	if (!err) {
		for (char *line = strtok_r(listing.text, "\n", &rest); line;
		     line = strtok_r(NULL, "\n", &rest))
			st87d_send_reply(client->connection, ST87D_TEXT, 0, line);
	}
	send_program_lines(client->connection);
	st87d_send_reply(client->connection, ST87D_ANSWER, -err, err ? job.error : "");
}

/* Commands that change the modem under other programs: for root and st87d's own user. */
static bool may_command_the_modem(const struct client *client, const char *what)
{
	uid_t uid = client->credentials.uid;
	if (uid == 0 || uid == geteuid())
		return true;
	char why[160];
	snprintf(why, sizeof(why), "%s acts on every program's modem: only root or st87d's user may",
		 what);
	st87d_send_reply(client->connection, ST87D_ANSWER, EPERM, why);
	return false;
}

struct at_exchange {
	const char *text;
	int timeout_ms;
	int connection;
};

static int run_at(struct st87_modem *modem, void *arg)
{
	struct at_exchange *exchange = arg;
	struct st87_at_reply reply;
	/* An #IPRECV among the reply lines has reached the engine already (st87_modem_raw hands URCs on). */
	int err = st87_modem_raw(modem, exchange->text, exchange->timeout_ms, &reply);
	for (size_t i = 0; i < reply.n_lines; i++)
		st87d_send_reply(exchange->connection, ST87D_TEXT, 0, reply.lines[i]);
	if (reply.block_len > 0) {
		char note[64];
		snprintf(note, sizeof(note), "(%zu bytes of data)", reply.block_len);
		st87d_send_reply(exchange->connection, ST87D_TEXT, 0, note);
	}
	return err;
}

static void at_command(struct client *client, const struct st87d_request *request)
{
	if (!may_command_the_modem(client, "st87ctl at"))
		return;
	st87_log(ST87_LOG_WARN, "pid %d (%s): %s", (int)client->credentials.pid, client->program,
		 request->name);
	int timeout_ms = request->timeout_ms > 0 && request->timeout_ms <= 86400000 ? request->timeout_ms
										    : 10000;
	struct at_exchange exchange = {.text = request->name,
				       .timeout_ms = timeout_ms,
				       .connection = client->connection};
	struct engine_job job = {.run = run_at, .arg = &exchange};
	int err = engine_run_job(&job);
	st87d_send_reply(client->connection, ST87D_ANSWER, -err, err ? job.error : "");
}

static void close_all(struct client *client)
{
	if (!may_command_the_modem(client, "close-all"))
		return;
	st87_log(ST87_LOG_WARN, "pid %d (%s): close-all", (int)client->credentials.pid, client->program);
	struct listing closed = {.text = ""};
	struct engine_job job = {.run = run_close_all, .arg = &closed};
	int err = engine_run_job(&job);
	if (!err && !closed.text[0])
		st87d_send_reply(client->connection, ST87D_TEXT, 0, "no modem socket is open");
	char *rest = NULL;
	for (char *line = strtok_r(closed.text, "\n", &rest); !err && line;
	     line = strtok_r(NULL, "\n", &rest)) {
		char said[600];
		snprintf(said, sizeof(said), "closed %s", line);
		st87d_send_reply(client->connection, ST87D_TEXT, 0, said);
	}
	st87d_send_reply(client->connection, ST87D_ANSWER, -err, err ? job.error : "");
}

void serve_client(int connection, const struct ucred *credentials, const struct access_policy *policy)
{
	struct client client = {.connection = connection, .credentials = *credentials};
	st87_process_name((long)client.credentials.pid, client.program, sizeof(client.program));
	if (!client.program[0])
		snprintf(client.program, sizeof(client.program), "?");
	if (!allowed(&client, policy)) {
		char why[256];
		snprintf(why, sizeof(why),
			 "st87d refuses uid %d: not root, not st87d's user, not in group %s",
			 (int)client.credentials.uid, policy->group_name);
		st87_log(ST87_LOG_WARN, "pid %d (%s): %s", (int)client.credentials.pid, client.program,
			 why);
		st87d_send_reply(connection, ST87D_FAILED, EACCES, why);
		close(connection);
		return;
	}
	struct timeval bound = {.tv_sec = REQUEST_TIMEOUT_MS / 1000};
	setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
	setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof(bound));
	struct st87d_request request;
	int passed_fd;
	int err = st87d_receive_request(connection, &request, &passed_fd);
	if (err == -EPROTONOSUPPORT) {
		st87_log(ST87_LOG_WARN, "pid %d (%s): %s", (int)client.credentials.pid, client.program,
			 ST87D_OTHER_VERSION);
		st87d_send_reply(connection, ST87D_FAILED, EPROTONOSUPPORT, ST87D_OTHER_VERSION);
	}
	if (err) {
		if (err != -EPROTONOSUPPORT)
			st87_log(ST87_LOG_WARN, "pid %d (%s): no usable request (%s)",
				 (int)client.credentials.pid, client.program, strerror(-err));
		close(connection);
		return;
	}
	if (request.kind == ST87D_OPEN_SOCKET) {
		open_socket(&client, &request, passed_fd);
		return; /* the connection is the socket's now */
	}
	if (passed_fd >= 0)
		close(passed_fd);
	switch (request.kind) {
	case ST87D_RESOLVE:
		resolve(&client, &request);
		break;
	case ST87D_STATUS:
		report_status(&client);
		break;
	case ST87D_CLOSE_ALL:
		close_all(&client);
		break;
	case ST87D_AT:
		at_command(&client, &request);
		break;
	case ST87D_RADIO:
		radio_report(client.connection);
		break;
	case ST87D_METRICS:
		metrics_report(client.connection);
		break;
	default:
		st87d_send_reply(connection, ST87D_ANSWER, EINVAL, "unknown request");
		break;
	}
	close(connection);
}

static int run_nothing(struct st87_modem *modem, void *arg)
{
	(void)modem;
	(void)arg;
	return 0;
}

int serve_open_modem(char *error, size_t error_len)
{
	struct engine_job job = {.run = run_nothing};
	int err = engine_run_job(&job);
	snprintf(error, error_len, "%s", job.error);
	return err;
}
