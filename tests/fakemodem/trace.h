/* --trace: the AT traffic, one line per line on the wire.
 *
 *   > AT#IPSENDTCP=5,0,1,512      a command line from the host
 *   > [binary 512 bytes]          the raw payload that followed it
 *   < #IPREAD: 5,0,1500           a line to the host (responses, URCs, echo,
 *   < [binary 1500 bytes]         injected noise), or a raw data block
 *   > [overlong line discarded]   more than 4096 bytes without CR
 *   > [stalled: 12 bytes discarded]
 *
 * Bytes outside printable ASCII appear as \xNN, a backslash as \\. */
#ifndef FM_TRACE_H
#define FM_TRACE_H

#include <stddef.h>

struct trace;

/* Opens path for writing; NULL path gives a trace that logs nothing.
 * Returns NULL (errno set) if the file cannot be opened. */
struct trace *trace_open(const char *path);
void trace_close(struct trace *t);
/* Logs "<dir> " + text, escaped, + newline; flushed at once. */
void trace_line(struct trace *t, char dir, const void *text, size_t len);
/* Logs "<dir> [binary N bytes]". */
void trace_binary(struct trace *t, char dir, size_t n);
/* Logs "<dir> [note]" for events that are not lines on the wire. */
void trace_note(struct trace *t, char dir, const char *note);

#endif
