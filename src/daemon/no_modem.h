/* st87d when the modem cannot be opened: the clients already waiting are told why. */
#ifndef ST87_DAEMON_NO_MODEM_H
#define ST87_DAEMON_NO_MODEM_H

/*
 * Accepts the connections queued on @listener and answers each request with
 * ST87D_FAILED, ENETDOWN and @reason (what the shim gives without a daemon),
 * until no client has come for @quiet_ms (0: only those already queued).
 */
void answer_without_modem(int listener, const char *reason, int quiet_ms);

#endif
