#include "atparse.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Reads the keyword: every byte up to '=' or '?' (or the end), upper-cased,
 * trailing blanks dropped. Returns the index of the byte after it. */
static size_t parse_keyword(const char *s, size_t len, size_t i, struct at_command *c)
{
	size_t k = 0;

	c->keyword_truncated = false;
	for (; i < len && s[i] != '=' && s[i] != '?'; i++) {
		if (k < AT_MAX_KEYWORD)
			c->keyword[k++] = (char)toupper((unsigned char)s[i]);
		else
			c->keyword_truncated = true;
	}
	while (k > 0 && is_blank(c->keyword[k - 1]))
		k--;
	c->keyword[k] = '\0';
	return i;
}

/* Only blanks from i to the end. */
static bool rest_blank(const char *s, size_t len, size_t i)
{
	for (; i < len; i++)
		if (!is_blank(s[i]))
			return false;
	return true;
}

/* Parameter states: each field is quoted or bare; blanks around it are
 * tolerated; a comma ends it. */
enum param_state {
	P_START,       /* before a field: blanks, '"', ',' or text */
	P_BARE,        /* inside an unquoted field */
	P_QUOTED,      /* inside "..." */
	P_AFTER_QUOTE, /* after the closing quote: blanks then ',' or end */
};

static struct at_param *new_param(struct at_command *c, size_t raw_off)
{
	struct at_param *p;

	if (c->nparams == AT_MAX_PARAMS) {
		c->too_many = true;
		return NULL;
	}
	p = &c->params[c->nparams++];
	p->raw_off = raw_off;
	p->off = raw_off;
	p->len = 0;
	p->quoted = false;
	return p;
}

static void parse_params(const char *s, size_t len, size_t i, struct at_command *c)
{
	enum param_state st = P_START;
	struct at_param *p = new_param(c, i);

	for (; i < len && p; i++) {
		char ch = s[i];

		switch (st) {
		case P_START:
			if (is_blank(ch))
				break;
			if (ch == ',') {
				p = new_param(c, i + 1);
				break;
			}
			if (ch == '"') {
				p->quoted = true;
				p->off = i + 1;
				st = P_QUOTED;
				break;
			}
			p->off = i;
			p->len = 1;
			st = P_BARE;
			break;
		case P_BARE:
			if (ch == ',') {
				p = new_param(c, i + 1);
				st = P_START;
				break;
			}
			p->len = i + 1 - p->off;
			break;
		case P_QUOTED:
			/* No escapes: the modem has none; a quote always ends. */
			if (ch == '"')
				st = P_AFTER_QUOTE;
			else
				p->len++;
			break;
		case P_AFTER_QUOTE:
			if (ch == ',') {
				p = new_param(c, i + 1);
				st = P_START;
			} else if (!is_blank(ch)) {
				c->malformed = true;
			}
			break;
		}
	}
	if (st == P_QUOTED)
		c->malformed = true;
	/* Trailing blanks of a bare field are not part of it. */
	for (int k = 0; k < c->nparams; k++) {
		struct at_param *q = &c->params[k];

		while (!q->quoted && q->len && is_blank(s[q->off + q->len - 1]))
			q->len--;
	}
}

enum at_status at_parse(const char *line, size_t len, struct at_command *c)
{
	size_t i = 0;

	memset(c, 0, sizeof(*c));
	c->line = line;
	c->line_len = len;
	if (memchr(line, '\0', len)) {
		parse_keyword(line, strnlen(line, len), 0, c);
		return AT_HAS_NUL;
	}
	/* Quirk: blanks before "AT" are tolerated. */
	while (i < len && is_blank(line[i]))
		i++;
	i = parse_keyword(line, len, i, c);
	if (strncmp(c->keyword, "AT", 2) != 0)
		return AT_NOT_AT;
	if (i == len) {
		c->form = AT_EXEC;
		return AT_PARSED;
	}
	if (line[i] == '?') {
		c->form = AT_READ;
		return rest_blank(line, len, i + 1) ? AT_PARSED : AT_BAD_FORM;
	}
	/* line[i] == '=' */
	if (i + 1 < len && line[i + 1] == '?') {
		c->form = AT_TEST;
		return rest_blank(line, len, i + 2) ? AT_PARSED : AT_BAD_FORM;
	}
	c->form = AT_SET;
	parse_params(line, len, i + 1, c);
	return AT_PARSED;
}

bool at_param_present(const struct at_command *c, int i)
{
	return i < c->nparams && (c->params[i].len > 0 || c->params[i].quoted);
}

bool at_param_int(const struct at_command *c, int i, long min, long max, long *out)
{
	const char *s;
	size_t len;
	long v = 0;

	if (i >= c->nparams)
		return false;
	s = c->line + c->params[i].off;
	len = c->params[i].len;
	/* Digits only: no sign, no hex, at most 9 of them (no overflow). */
	if (len == 0 || len > 9)
		return false;
	for (size_t k = 0; k < len; k++) {
		if (!isdigit((unsigned char)s[k]))
			return false;
		v = v * 10 + (s[k] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool at_param_is(const struct at_command *c, int i, const char *s)
{
	size_t n = strlen(s);

	return i < c->nparams && c->params[i].len == n &&
		strncasecmp(c->line + c->params[i].off, s, n) == 0;
}

bool at_param_copy(const struct at_command *c, int i, char *buf, size_t size)
{
	if (i >= c->nparams || c->params[i].len >= size)
		return false;
	memcpy(buf, c->line + c->params[i].off, c->params[i].len);
	buf[c->params[i].len] = '\0';
	return true;
}
