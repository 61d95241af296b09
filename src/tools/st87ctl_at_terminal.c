/*
 * st87ctl at, without a command: an interactive AT terminal.
 *
 * One poll() waits on stdin and on the modem's port. A line from stdin is
 * sent with st87_modem_raw() (so lines that arrive during a command, URCs
 * included, are printed as part of its reply). What the modem sends goes to
 * libst87's own URC handler, during a command too, and what reaches us from
 * there is every unsolicited line a reply does not show, as it arrives
 * ("[urc] +CEREG: 1"), and what libst87 made of it: data waiting, peer
 * closed, link up, link down.
 *
 * stdin is read with read(), not stdio: a FILE may hold lines poll() cannot see.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "st87ctl_at.h"
#include "text.h"

#define PROMPT "st87> "

/* One command line; longer lines cannot be a command the modem takes. */
#define MAX_INPUT_LINE ST87_MAX_LINE

struct input_buffer {
	char data[MAX_INPUT_LINE + 1];
	size_t len;
	bool discarding; /* inside an overlong line: drop it up to its end */
};

static void show_prompt(struct st87ctl_terminal *terminal)
{
	if (!terminal->show_prompt || terminal->prompt_shown)
		return;
	fputs(PROMPT, stdout);
	fflush(stdout);
	terminal->prompt_shown = true;
}

/* Output that does not answer a typed line must not land after the prompt. */
static void leave_prompt_line(struct st87ctl_terminal *terminal)
{
	if (terminal->prompt_shown) {
		fputs("\r", stdout);
		terminal->prompt_shown = false;
	}
}

void st87ctl_at_terminal_event(void *user, enum st87_event_kind kind, int socket_id)
{
	struct st87ctl_terminal *terminal = user;
	leave_prompt_line(terminal);
	switch (kind) {
	case ST87_EVENT_DATA:
		printf("[event] socket %d: data waiting (#IPRECV)\n", socket_id);
		break;
	case ST87_EVENT_PEER_CLOSED:
		printf("[event] socket %d: the peer closed the connection (#SOCKETCLOSED)\n", socket_id);
		break;
	case ST87_EVENT_LINK_DOWN:
		printf("[event] the modem restarted or lost its IP link: every modem socket is gone\n");
		break;
	case ST87_EVENT_LINK_UP:
		printf("[event] the IP link is up\n");
		break;
	}
	fflush(stdout);
}

int st87ctl_at_terminal_line(void *user, const char *line)
{
	struct st87ctl_terminal *terminal = user;
	leave_prompt_line(terminal);
	printf("[urc] %s\n", line);
	fflush(stdout);
	return 0;
}

enum line_outcome { LINE_NEXT, LINE_EXIT, LINE_MODEM_GONE };

/* Hands what the modem sent to libst87 (events come back to us); says so when the port failed. */
static int poll_modem(struct st87ctl_terminal *terminal)
{
	int err = st87_modem_poll(terminal->modem, 0);
	if (err < 0) {
		leave_prompt_line(terminal);
		fflush(stdout);
		st87ctl_error("%s", st87ctl_describe(err));
	}
	return err;
}

static enum line_outcome handle_line(struct st87ctl_terminal *terminal, char *raw_line)
{
	terminal->prompt_shown = false;            /* the user's Enter ended the prompt line */
	char *line = shim_trim_in_place(raw_line); /* the CR of a CRLF line too */
	if (!*line)
		return LINE_NEXT;
	if (strcasecmp(line, "exit") == 0 || strcasecmp(line, "quit") == 0)
		return LINE_EXIT;
	if (!terminal->show_prompt) {
		/* Input from a pipe or file: echo it so the transcript reads like a session. */
		printf("%s%s\n", PROMPT, line);
	}
	/*
	 * The outcome is on screen already. A command that got no answer does
	 * not end the session: a modem waking from sleep may drop one command,
	 * and a port that really went away shows up as a failed read below.
	 */
	st87ctl_at_send(terminal->modem, line, terminal->timeout_ms);
	/* Bytes read with the final result may hold URCs: hand them over now, poll() will not see them. */
	return poll_modem(terminal) < 0 ? LINE_MODEM_GONE : LINE_NEXT;
}

/*
 * Reads what stdin has and handles each complete line. At end of input, a
 * last line without its newline is handled too. Sets @p eof.
 */
static enum line_outcome read_input(struct st87ctl_terminal *terminal, struct input_buffer *input,
				    bool *eof)
{
	char chunk[512];
	ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return LINE_NEXT;
	*eof = n <= 0;
	for (ssize_t i = 0; i < n; i++) {
		if (chunk[i] != '\n') {
			if (input->len < MAX_INPUT_LINE && !input->discarding) {
				input->data[input->len++] = chunk[i];
			} else if (!input->discarding) {
				st87ctl_error("line longer than %d characters ignored", MAX_INPUT_LINE);
				input->discarding = true;
			}
			continue;
		}
		input->data[input->len] = '\0';
		input->len = 0;
		if (input->discarding) {
			input->discarding = false;
			continue;
		}
		enum line_outcome outcome = handle_line(terminal, input->data);
		if (outcome != LINE_NEXT)
			return outcome;
	}
	if (*eof && input->len > 0 && !input->discarding) {
		input->data[input->len] = '\0';
		input->len = 0;
		return handle_line(terminal, input->data);
	}
	return LINE_NEXT;
}

int st87ctl_at_terminal(struct st87ctl_terminal *terminal)
{
	static struct input_buffer input; /* static: 2 KiB off the stack, one terminal per process */
	char path[256];
	terminal->show_prompt = isatty(STDIN_FILENO);
	if (terminal->show_prompt)
		printf("Connected to %s. One AT command per line; 'exit' or Ctrl-D leaves.\n",
		       st87ctl_modem_path(terminal->modem, path, sizeof(path)));

	int code = ST87CTL_EXIT_OK;
	bool eof = false;
	while (!eof) {
		show_prompt(terminal);
		struct pollfd fds[2] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = st87_modem_fd(terminal->modem), .events = POLLIN},
		};
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			st87ctl_error("poll: %s", strerror(errno));
			code = ST87CTL_EXIT_NO_MODEM;
			break;
		}
		/* The modem first: its events happened before the line the user is about to send. */
		if (fds[1].revents && poll_modem(terminal) < 0) {
			code = ST87CTL_EXIT_NO_MODEM;
			break;
		}
		if (fds[0].revents) {
			enum line_outcome outcome = read_input(terminal, &input, &eof);
			if (outcome == LINE_EXIT)
				break;
			if (outcome == LINE_MODEM_GONE) {
				code = ST87CTL_EXIT_NO_MODEM;
				break;
			}
		}
	}
	if (terminal->prompt_shown)
		putchar('\n'); /* after Ctrl-D, leave the shell's prompt on a line of its own */
	fflush(stdout);
	return code;
}
