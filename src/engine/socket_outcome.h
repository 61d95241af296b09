/*
 * What becomes of a routed socket, told to whoever waits for it: its
 * program's threads (the record's state, woken) and, in st87d, its client.
 */
#ifndef ST87_ENGINE_SOCKET_OUTCOME_H
#define ST87_ENGINE_SOCKET_OUTCOME_H

#include "routed_socket.h"
#include "wire.h"

/* In st87d: tells the socket's client what happened (its waiters in a program are woken by the record). */
void engine_tell_client(struct routed_socket *s, enum st87d_reply_kind kind, int err, const char *why);

/* Marks @s failed with @err (positive errno), wakes its waiters and closes the engine's end. */
void engine_fail(struct routed_socket *s, int err);

#endif
