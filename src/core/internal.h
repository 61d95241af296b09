/* Helpers shared by the core's modules; not part of the public API. */
#ifndef ST87_CORE_INTERNAL_H
#define ST87_CORE_INTERNAL_H

#include <termios.h>

#include "st87/st87.h"

#if defined(__GNUC__)
#define ST87_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define ST87_PRINTF(fmt, args)
#endif

/* Records a one-line description for st87_last_error(); returns @p negative_errno. */
int st87_fail(int negative_errno, const char *format, ...) ST87_PRINTF(2, 3);
void st87_clear_error(void);

void st87_log(enum st87_log_level level, const char *format, ...) ST87_PRINTF(2, 3);
#define st87_error(...) st87_log(ST87_LOG_ERROR, __VA_ARGS__)
#define st87_warn(...) st87_log(ST87_LOG_WARN, __VA_ARGS__)
#define st87_info(...) st87_log(ST87_LOG_INFO, __VA_ARGS__)
#define st87_debug(...) st87_log(ST87_LOG_DEBUG, __VA_ARGS__)

/* The termios code of @p baud into @p speed: 0, or -EINVAL when st87_baud_supported() refuses it. */
int st87_baud_speed(int baud, speed_t *speed);

/* @command's text as traces and errors show it (its payload counted, not shown). */
static inline const char *st87_at_shown_text(const struct st87_at_command *command)
{
	return command->shown_text ? command->shown_text : command->text;
}

/* A command with urcs_in_reply is in flight: a line handed to the URC callback now is in its reply too. */
bool st87_at_reply_holds_urcs(const struct st87_at *at);

/* Milliseconds on the monotonic clock. */
long long st87_now_ms(void);
/* Milliseconds left until @p deadline_ms, never negative. */
int st87_ms_until(long long deadline_ms);

/*
 * Process @pid's name ("curl"), or "" when /proc does not say: users
 * recognise a program sooner than a pid. The process chose its name, so it
 * comes through st87_printable(): it reaches root's terminal and the logs.
 */
void st87_process_name(long pid, char *name, size_t len);

/* Room for any process name from st87_process_name(): 15 bytes, each escaped, and the NUL. */
#define ST87_PROCESS_NAME_SIZE 64

/*
 * @len bytes of @text into @out (@size bytes, NUL-terminated): the bytes
 * 0x20..0x7e as they are, but for the backslash, and every other byte
 * (control characters, ESC, DEL, 0x80 and above) and the backslash as
 * \xNN, so the result is one line of ASCII. What does not fit is left out,
 * never half an escape.
 */
void st87_printable(const char *text, size_t len, char *out, size_t size);

#endif
