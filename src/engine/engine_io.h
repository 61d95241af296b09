/* The engine's data paths between one routed socket's pair and its modem socket. */
#ifndef ST87_ENGINE_ENGINE_IO_H
#define ST87_ENGINE_ENGINE_IO_H

#include <stddef.h>

/* The settings the data paths go by (engine_settings_given). */
#include "engine_host.h"
#include "routed_socket.h"
#include "st87/st87.h"

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

#endif
