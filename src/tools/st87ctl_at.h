/* st87ctl at: the sender (st87ctl_at_send.c), the terminal, and the subcommand that uses both. */
#ifndef ST87CTL_AT_H
#define ST87CTL_AT_H

#include "st87ctl.h"

/* Added to each Max Response Time of the note: the serial line and the host need a little too. */
#define ST87CTL_AT_DEADLINE_MARGIN_MS 2000

/*
 * How long to wait for @p text's final result: the note's Max Response Time
 * for the command (for AT#IPPING, its timeout times its count; 10 s for a
 * command the note gives no time for), plus the margin.
 */
int st87ctl_at_deadline_ms(const char *text);

/*
 * Sends @p text with st87_modem_raw() and prints the reply on stdout: each
 * line the modem sent meanwhile (its answer and any URC, which libst87 has
 * handled too), then "OK" or the error as libst87 words it (with the CME
 * text from the note). @p timeout_ms <= 0 picks the note's Max Response Time
 * for the command. Returns ST87CTL_EXIT_OK, ST87CTL_EXIT_MODEM_ERROR when the
 * modem answered with an error, or ST87CTL_EXIT_NO_MODEM when it did not
 * answer (that one is also said on stderr).
 */
int st87ctl_at_send(struct st87_modem *modem, const char *text, int timeout_ms);

/* The interactive terminal's state; also the user pointer of its event callback. */
struct st87ctl_terminal {
	struct st87_modem *modem;
	int timeout_ms;    /* <= 0: each command's own deadline */
	bool show_prompt;  /* stdin is a terminal */
	bool prompt_shown; /* the prompt is on screen, waiting for a line */
};

/*
 * The interactive terminal: AT commands from stdin, one per line, replies
 * and modem events on stdout as they come, until EOF or "exit".
 * @p terminal->modem must be open. Returns ST87CTL_EXIT_OK, or
 * ST87CTL_EXIT_NO_MODEM when the modem went away.
 */
int st87ctl_at_terminal(struct st87ctl_terminal *terminal);

/* The terminal's modem event callback (st87_modem_options.on_event); @p user is the terminal. */
void st87ctl_at_terminal_event(void *user, enum st87_event_kind kind, int socket_id);
/* Shows an unsolicited line (URC, boot message) as it arrives. */
int st87ctl_at_terminal_line(void *user, const char *line);

#endif
