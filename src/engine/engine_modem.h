/*
 * The engine thread's modem and the routed sockets it carries, and what
 * becomes of them when a modem socket closes, the link goes or the modem
 * stops answering. The engine thread's alone: no other thread reads them,
 * so they need no lock.
 */
#ifndef ST87_ENGINE_ENGINE_MODEM_H
#define ST87_ENGINE_ENGINE_MODEM_H

#include <stdbool.h>

#include "routed_socket.h"
#include "st87/st87.h"

/* The modem, open (the loop opens it for the first request), or NULL. */
extern struct st87_modem *engine_modem;
/* Every routed socket the engine has taken, newest first, linked by next. */
extern struct routed_socket *engine_sockets;

/* Closes the modem socket of @s, if it has one. */
void engine_close_modem_socket(struct routed_socket *s);

/* The peer's close, as the program sees it: EOF after what it has; the modem socket is closed. */
void engine_give_eof(struct routed_socket *s);

/* The modem stopped answering or its port failed: every socket fails, the port is closed. */
void engine_modem_lost(int err);

/*
 * The modem restarted or lost its IP link: every modem socket is gone. A
 * connected TCP socket sees a reset, the others a network down; the port
 * stays open and the next routed call brings the link back.
 */
void engine_link_lost(void);

/*
 * After a failed command: true when the failure was the modem's (it stopped
 * answering, restarted or lost its link) and every socket has failed with
 * it; false when it is the one socket's alone.
 */
bool engine_modem_trouble(int err);

/* Closes the port and forgets the modem (and what it announced), the host told first. */
void engine_forget_modem(void);

/* The modem announces peers' closes: from now on idle TCP sockets are not polled. */
void engine_closes_are_announced(const char *how);
/* How often an idle routed TCP socket's link is checked: never (0) once the modem announces closes. */
int engine_link_check_interval_ms(void);

/* In a forked child: the parent's modem and sockets are not the child's (their memory is left alone). */
void engine_modem_after_fork_in_child(void);

#endif
