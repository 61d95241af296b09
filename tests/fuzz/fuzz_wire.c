/*
 * Fuzz target: st87d's wire (src/wire/wire.c), the messages a client of
 * any group member's choosing sends the daemon, and the daemon's replies.
 *
 * Input: a flags byte, then one message.
 *   bit 0: the message is a reply (the shim's side), else a request (st87d's);
 *   bit 1: a request comes with an fd (SCM_RIGHTS), as OPEN_SOCKET's pair end;
 *   bit 2, bit 3: the direct decode is also told MSG_TRUNC, MSG_CTRUNC.
 * The message goes over a SOCK_SEQPACKET pair, as a client sends it, to
 * st87d_receive_request() or st87d_receive_reply(), and its bytes to
 * st87d_decode_request() / st87d_decode_reply() directly.
 *
 * Invariants checked besides the sanitizers:
 *  - a request is taken only whole (exactly its size, no truncation flag),
 *    with the magic and version; then it holds the bytes sent but for the
 *    name's last byte, which is NUL; otherwise -EPROTO;
 *  - the fd that came with a request is handed over when the request is
 *    taken and closed when it is refused: no fd leaks either way;
 *  - receiving and decoding agree;
 *  - an OPEN_SOCKET request st87d_socket_request_problem() passes is one the
 *    engine can take (family, type, a destination of its family's size,
 *    port, filler, rai), and a problem is a short printable line;
 *  - a reply is taken only whole with the magic, its texts NUL-terminated.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"
#include "fuzz.h"

#define IS_REPLY 1u
#define WITH_FD 2u
#define SAY_TRUNC 4u
#define SAY_CTRUNC 8u

/* The client's end and the daemon's, made once: a pair per input would cost two fds a run. */
static int ends[2] = {-1, -1};

/* The lowest free fd: it moves when an fd leaks (a received fd takes the lowest free number). */
static int lowest_free_fd(void)
{
	int fd = dup(0);
	FUZZ_CHECK(fd >= 0);
	close(fd);
	return fd;
}

static bool printable_line(const char *text)
{
	for (; *text; text++)
		if ((unsigned char)*text < 0x20 || (unsigned char)*text > 0x7e)
			return false;
	return true;
}

static void check_socket_request(const struct st87d_request *r)
{
	const char *problem = st87d_socket_request_problem(r);
	if (problem) {
		FUZZ_CHECK(strlen(problem) < 80 && printable_line(problem));
		return;
	}
	FUZZ_CHECK(r->domain == AF_INET || r->domain == AF_INET6);
	FUZZ_CHECK(r->type == SOCK_STREAM || r->type == SOCK_DGRAM);
	FUZZ_CHECK(r->remote_len <= sizeof(r->remote));
	if (r->remote.ss_family == AF_INET)
		FUZZ_CHECK(r->remote_len >= sizeof(struct sockaddr_in));
	else
		FUZZ_CHECK(r->remote.ss_family == AF_INET6 &&
			   r->remote_len >= offsetof(struct sockaddr_in6, sin6_scope_id));
	FUZZ_CHECK(r->local_port >= 0 && r->local_port <= 65535);
	FUZZ_CHECK(r->filler <= ST87D_MAX_FILLER);
	FUZZ_CHECK(r->rai >= 0 && r->rai <= 2);
}

static void check_request(const uint8_t *message, size_t len, unsigned flags)
{
	int before = lowest_free_fd();
	int sent_fd = -1;
	if (flags & WITH_FD) {
		sent_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		FUZZ_CHECK(sent_fd >= 0);
	}
	FUZZ_CHECK(st87d_send_message(ends[0], message, len, sent_fd) == 0);
	if (sent_fd >= 0)
		close(sent_fd);

	struct st87d_request received, decoded;
	int passed_fd = -2;
	int got = st87d_receive_request(ends[1], &received, &passed_fd);
	FUZZ_CHECK(got == 0 || got == -EPROTO || got == -EPROTONOSUPPORT);
	bool whole = len == sizeof(received);
	if (got == 0) {
		FUZZ_CHECK(whole);
		FUZZ_CHECK(received.magic == ST87D_MAGIC && received.version == ST87D_VERSION);
		FUZZ_CHECK(received.name[sizeof(received.name) - 1] == '\0');
		FUZZ_CHECK(memcmp(&received, message, offsetof(struct st87d_request, name)) == 0);
		FUZZ_CHECK(memcmp(received.name, message + offsetof(struct st87d_request, name),
				  sizeof(received.name) - 1) == 0);
		FUZZ_CHECK((passed_fd >= 0) == (sent_fd >= 0));
		if (received.kind == ST87D_OPEN_SOCKET)
			check_socket_request(&received);
	} else {
		FUZZ_CHECK(passed_fd == -1);
	}
	if (passed_fd >= 0) {
		FUZZ_CHECK(fcntl(passed_fd, F_GETFD) == FD_CLOEXEC);
		close(passed_fd);
	}
	FUZZ_CHECK(lowest_free_fd() == before);

	int told = (flags & SAY_TRUNC ? MSG_TRUNC : 0) | (flags & SAY_CTRUNC ? MSG_CTRUNC : 0);
	int decode = st87d_decode_request(message, len, told, &decoded);
	if (told & MSG_CTRUNC)
		FUZZ_CHECK(decode == -EPROTO);
	else if (told)
		FUZZ_CHECK(decode == -EPROTO || decode == -EPROTONOSUPPORT);
	else
		FUZZ_CHECK(decode == got);
	if (decode == 0)
		FUZZ_CHECK(memcmp(&decoded, &received, sizeof(decoded)) == 0);
}

static void check_reply(const uint8_t *message, size_t len)
{
	FUZZ_CHECK(st87d_send_message(ends[0], message, len, -1) == 0);
	struct st87d_reply received, decoded;
	int got = st87d_receive_reply(ends[1], &received, 0);
	/* An empty message reads as the daemon's hang-up: the daemon never sends one. */
	FUZZ_CHECK(len == 0 ? got == 0 : got == 1 || got == -EPROTO || got == -EPROTONOSUPPORT);
	int decode = st87d_decode_reply(message, len, &decoded);
	FUZZ_CHECK(decode == 0 || decode == -EPROTO || decode == -EPROTONOSUPPORT);
	if (len > 0)
		FUZZ_CHECK((decode == 0) == (got == 1));
	if (got == 1) {
		FUZZ_CHECK(len == sizeof(received) && received.magic == ST87D_MAGIC &&
			   received.version == ST87D_VERSION);
		FUZZ_CHECK(received.address_count <= ST87D_MAX_ADDRESSES);
		FUZZ_CHECK(strlen(received.text) < sizeof(received.text));
		FUZZ_CHECK(strlen(received.ipv4) < sizeof(received.ipv4));
		FUZZ_CHECK(strlen(received.ipv6) < sizeof(received.ipv6));
		FUZZ_CHECK(memcmp(&decoded, &received, sizeof(decoded)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (ends[0] < 0)
		FUZZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) == 0);
	/* Larger than any message of the wire, and than a pair takes at once: cut. */
	size_t len = size - 1 < 4096 ? size - 1 : 4096;
	/* A copy of the exact size: a read past the message's end is the sanitizers' to see. */
	uint8_t *message = malloc(len ? len : 1);
	if (!message)
		return 0;
	memcpy(message, data + 1, len);
	if (data[0] & IS_REPLY)
		check_reply(message, len);
	else
		check_request(message, len, data[0]);
	free(message);
	return 0;
}
