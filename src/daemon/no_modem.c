/*
 * st87d without a modem. Clients may be queued on the listening socket before
 * st87d knows the modem is missing (systemd queues them while it starts st87d;
 * st87d's own socket exists while the modem is probed). Left there, each would
 * wait out its connect timeout with no reason given; answered, its call fails
 * at once with the reason, as it would without a daemon.
 */
#include "no_modem.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "internal.h"
#include "wire.h"

/* However fast clients keep coming, st87d exits by then, so systemd's restart retries the modem. */
#define ANSWERING_MAX_MS 5000
/* The shim sends its request right after connecting: a client silent this long is answered unheard. */
#define REQUEST_WAIT_MS 500

static void answer_one(int connection, const char *reason)
{
	struct ucred peer = {0};
	socklen_t len = sizeof(peer);
	getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &len);
	char program[ST87_PROCESS_NAME_SIZE] = "";
	st87_process_name((long)peer.pid, program, sizeof(program));
	struct timeval bound = {.tv_usec = REQUEST_WAIT_MS * 1000};
	setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
	struct st87d_request request;
	int passed_fd = -1;
	/* Whatever it asked, the answer is the same; a client that said nothing gets it too. */
	if (st87d_receive_request(connection, &request, &passed_fd) == 0 && passed_fd >= 0)
		close(passed_fd);
	st87_log(ST87_LOG_INFO, "pid %d (%s): %s (answered before exiting)", (int)peer.pid,
		 program[0] ? program : "?", reason);
	st87d_send_reply(connection, ST87D_FAILED, ENETDOWN, reason);
	close(connection);
}

void answer_without_modem(int listener, const char *reason, int quiet_ms)
{
	long long give_up = st87_now_ms() + ANSWERING_MAX_MS;
	for (;;) {
		int left_ms = st87_ms_until(give_up);
		if (left_ms == 0)
			return;
		int wait_ms = left_ms < quiet_ms ? left_ms : quiet_ms;
		struct pollfd waiting = {.fd = listener, .events = POLLIN};
		int ready = poll(&waiting, 1, wait_ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return;
		int connection = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (connection >= 0)
			answer_one(connection, reason);
		else if (errno != EINTR && errno != ECONNABORTED)
			return;
	}
}
