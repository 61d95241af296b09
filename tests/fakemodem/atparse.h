/* Tokenizer for one AT command line: keyword, form, parameters.
 *
 * The four forms of a command (V.25ter / 27.007):
 *   AT+CMD        execute      AT+CMD?   read
 *   AT+CMD=...    set          AT+CMD=?  test
 * Parameters are split in place: each records where it lies in the line, so
 * a handler can also take "the rest of the line" (ASCII send data). */
#ifndef FM_ATPARSE_H
#define FM_ATPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define AT_MAX_PARAMS 16
#define AT_MAX_KEYWORD 32

enum at_form { AT_EXEC, AT_READ, AT_SET, AT_TEST };

enum at_status {
	AT_PARSED,   /* a command line starting with AT */
	AT_NOT_AT,   /* non-blank text that is not an AT command */
	AT_HAS_NUL,  /* a NUL byte in the line */
	AT_BAD_FORM, /* e.g. "AT+X?junk": text after ? or =? */
};

struct at_param {
	size_t off; /* the value: line[off .. off+len), quotes removed */
	size_t len;
	size_t raw_off; /* where the field starts, right after its comma */
	bool quoted;
};

struct at_command {
	/* Upper-case keyword up to '=' or '?', e.g. "AT#IPREAD", "ATE0". */
	char keyword[AT_MAX_KEYWORD + 1];
	bool keyword_truncated;
	enum at_form form;
	const char *line;
	size_t line_len;
	int nparams;
	bool too_many;  /* more than AT_MAX_PARAMS fields; the rest not split */
	bool malformed; /* a quote left open or text after a closing quote */
	struct at_param params[AT_MAX_PARAMS];
};

/* Tokenizes line[0..len) (which must stay valid while c is used). */
enum at_status at_parse(const char *line, size_t len, struct at_command *c);

/* Parameter i exists and is not empty. */
bool at_param_present(const struct at_command *c, int i);
/* Parameter i is a decimal integer in [min, max] (quoted or bare). */
bool at_param_int(const struct at_command *c, int i, long min, long max, long *out);
/* Parameter i equals s, ignoring case. */
bool at_param_is(const struct at_command *c, int i, const char *s);
/* Copies parameter i as a C string; false if absent or it does not fit. */
bool at_param_copy(const struct at_command *c, int i, char *buf, size_t size);

#endif
