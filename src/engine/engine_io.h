/* The engine's data paths between one routed socket's pair and its modem socket. */
#ifndef ST87_ENGINE_ENGINE_IO_H
#define ST87_ENGINE_ENGINE_IO_H

#include "engine.h"
#include "wire.h"

/* The host's settings, as engine_init() was given them. */
extern struct engine_settings engine_settings_given;

/*
 * Moves what the program wrote to the modem: a burst of TCP bytes or one
 * datagram. Returns the bytes moved, 0 when nothing was waiting or the
 * program shut its end (program_done set), negative errno on failure (the
 * socket has failed then).
 */
int engine_pump_outbound(struct st87_modem *modem, struct routed_socket *s);
/* The same, a TCP socket's burst at most @tcp_most bytes (the exit's flush: one command, then a look at the clock). */
int engine_pump_outbound_up_to(struct st87_modem *modem, struct routed_socket *s, size_t tcp_most);

/* Reads the modem once for @s and passes the bytes on; handles the peer's close. */
void engine_pump_inbound(struct st87_modem *modem, struct routed_socket *s);

/* Writes what is left of the inbound buffer to the program's pair. */
void engine_flush_inbound(struct routed_socket *s);

/* What prompted a look at a TCP socket's link. */
enum link_check_cause {
	LINK_CHECK_IDLE,       /* quiet for ST87_LINK_CHECK: an #IPRECV may have gone missing too */
	LINK_CHECK_EMPTY_READ, /* a read came back empty after an #IPRECV that brought data */
	LINK_CHECK_URC_WITHOUT_DATA, /* an #IPRECV answered by no data: a closed link means the modem announces closes */
};

/* Asks the modem whether the TCP link of @s is still up; a closed link becomes EOF. */
void engine_check_link(struct st87_modem *modem, struct routed_socket *s, enum link_check_cause cause);
/* The modem announces peers' closes: from now on idle TCP sockets are not polled. */
void engine_closes_are_announced(const char *how);

/* The peer's close, as the program sees it: EOF after what it has; the modem socket is closed. */
void engine_give_eof(struct routed_socket *s);

/* The routed connection holding the modem's TCP socket among @sockets, or NULL (evict.c). */
struct routed_socket *engine_tcp_holder(struct routed_socket *sockets);
/*
 * When @holder, the connection holding the modem's TCP socket, may give it
 * to @waiter (evict.c): 0 now, else the ms until it is worth a new look; -1
 * never (another program's connection, or ST87_TCP_EVICT_IDLE=0): the
 * waiter waits for its close.
 */
int engine_eviction_due_ms(struct routed_socket *holder, const struct routed_socket *waiter,
			   long long now);
/* Takes the TCP socket from @holder for the connect of @for_what: it sees the peer's close. */
void engine_evict(struct routed_socket *holder, const char *for_what);

/* From engine.c. */
void engine_tell_client(struct routed_socket *s, enum st87d_reply_kind kind, int err, const char *why);
void engine_fail(struct routed_socket *s, int err);
void engine_close_modem_socket(struct routed_socket *s);
void engine_modem_lost(int err);
/*
 * After a failed command: true when the failure was the modem's (it stopped
 * answering, restarted or lost its link) and every socket has failed with
 * it; false when it is the one socket's alone.
 */
bool engine_modem_trouble(int err);
void engine_format_address(const struct sockaddr_storage *address, char *text, size_t len, int *port,
			   int *ip_version);

#endif
