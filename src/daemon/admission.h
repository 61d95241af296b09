/*
 * st87d: each request on a thread of its own, so that no client, silent or
 * slow, holds up another's; and at most a few open at once per user, so
 * that one user's flood cannot take every thread (or fd) from the others.
 */
#ifndef ST87_DAEMON_ADMISSION_H
#define ST87_DAEMON_ADMISSION_H

#include "serve.h"

/* Most requests one uid may have open (read, or being answered) at once. */
#define ADMISSION_PER_UID 16
/* Most requests open at once in all: bounds st87d's threads. */
#define ADMISSION_TOTAL 256

/* Serves @connection (just accepted) on a thread of its own, or refuses it at once; takes the fd over. */
void admit_client(int connection, const struct access_policy *policy);

#endif
