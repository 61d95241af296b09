/* The configuration file: `key = value` lines for the ST87_* settings (conf_file.h). */
#include "conf_file.h"
#include "quote.h"
#include "text.h"
#include "libc_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define VARIABLE_PREFIX "ST87_"
/* A line's bytes at most, its newline included: the longest value, its key and blanks. */
#define LINE_MAX_BYTES (SHIM_CONF_VALUE_SIZE + 127)

/* The variable @key names: "baud", "BAUD" and "ST87_BAUD" all name ST87_BAUD. NULL: none. */
static const char *variable_for(shim_variable_names variables, const char *key)
{
	size_t prefix = strlen(VARIABLE_PREFIX);
	const char *name;
	for (size_t i = 0; (name = variables(i)) != NULL; i++) {
		if (strcasecmp(key, name) == 0 || strcasecmp(key, name + prefix) == 0)
			return name;
	}
	return NULL;
}

/* Bytes of a path or a line's text shown in an error, each made printable (quote.h). */
#define SHOWN_MAX 96

static void append(char *errors, size_t errors_len, size_t *used, const char *path_text, int line,
		   const char *what, const char *detail_text)
{
	if (!errors || *used + 1 >= errors_len)
		return;
	/* The path (ST87_CONF) and the file's text may hold any byte: the line must stay one printable line. */
	char path[SHIM_QUOTED_SIZE(SHOWN_MAX)], detail[SHIM_QUOTED_SIZE(SHOWN_MAX)];
	shim_quote_printable(path_text, strlen(path_text), SHOWN_MAX, path);
	shim_quote_printable(detail_text, strlen(detail_text), SHOWN_MAX, detail);
	int n = line > 0
		? snprintf(errors + *used, errors_len - *used, "%s:%d: %s%s\n", path, line, what, detail)
		: snprintf(errors + *used, errors_len - *used, "%s: %s%s\n", path, what, detail);
	*used = n < 0 || (size_t)n >= errors_len - *used ? errors_len - 1 : *used + (size_t)n;
}

/* One line into @file: 0, or -EINVAL with a line in @errors. */
static int take_line(struct shim_conf_file *file, char *text, int line, char *errors, size_t errors_len,
		     size_t *used)
{
	char *content = shim_trim_in_place(text);
	if (content[0] == '\0' || content[0] == '#')
		return 0;
	char *equals = strchr(content, '=');
	if (!equals) {
		append(errors, errors_len, used, file->path, line, "expected key = value, got ",
		       content);
		return -EINVAL;
	}
	*equals = '\0';
	char *key = shim_trim_in_place(content);
	char *value = shim_trim_in_place(equals + 1);
	size_t len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value[len - 1] = '\0';
		value++;
	}
	const char *name = variable_for(file->variables, key);
	if (!name) {
		append(errors, errors_len, used, file->path, line, "unknown key ", key);
		return -EINVAL;
	}
	if (strlen(value) >= SHIM_CONF_VALUE_SIZE) {
		append(errors, errors_len, used, file->path, line, "value too long for ", key);
		return -EINVAL;
	}
	struct shim_conf_entry *entry = NULL;
	for (size_t i = 0; i < file->count && !entry; i++)
		if (file->entries[i].name == name)
			entry = &file->entries[i]; /* a later line wins, as in a shell script */
	if (!entry && file->count == SHIM_CONF_MAX_ENTRIES) {
		append(errors, errors_len, used, file->path, line, "too many settings", "");
		return -EINVAL;
	}
	if (!entry)
		entry = &file->entries[file->count++];
	entry->name = name;
	entry->line = line;
	memcpy(entry->value, value, strlen(value) + 1);
	return 0;
}

/*
 * Opens @path as a regular file of at most SHIM_CONF_MAX_SIZE bytes: a
 * device (/dev/zero) could be read for ever, and a fifo would block open()
 * itself until a writer came, so the open does not wait and the type is
 * checked before anything is read. A symbolic link is followed, as for any
 * configuration file. NULL with errno set (EINVAL: not such a file).
 */
static FILE *open_regular_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat status;
	if (fstat(fd, &status) < 0 || !S_ISREG(status.st_mode) || status.st_size > SHIM_CONF_MAX_SIZE) {
		libc_close(fd);
		errno = EINVAL;
		return NULL;
	}
	FILE *in = fdopen(fd, "r");
	if (!in) {
		int err = errno;
		libc_close(fd);
		errno = err;
	}
	return in;
}

int shim_conf_file_load(const char *path, bool required, shim_variable_names variables,
			struct shim_conf_file *file, char *errors, size_t errors_len)
{
	size_t used = 0;
	if (errors && errors_len)
		errors[0] = '\0';
	file->count = 0;
	file->variables = variables;
	snprintf(file->path, sizeof(file->path), "%s", path);
	FILE *in = open_regular_file(path);
	if (!in) {
		int err = errno;
		if (err == ENOENT && !required)
			return 0;
		if (err == EINVAL)
			append(errors, errors_len, &used, path, 0,
			       "not read: ", "expected a regular file of at most 64 KiB");
		else
			append(errors, errors_len, &used, path, 0, "cannot read: ", strerror(err));
		return -err;
	}
	/* getline() says how long a line is: a NUL inside it cannot hide its end (and the next line). */
	char *text = NULL;
	size_t capacity = 0;
	ssize_t len;
	int line = 0, result = 0;
	while ((len = getline(&text, &capacity, in)) > 0) {
		line++;
		if (memchr(text, '\0', (size_t)len)) {
			append(errors, errors_len, &used, path, line, "a NUL byte in the line", "");
			result = -EINVAL;
		} else if ((size_t)len > LINE_MAX_BYTES) {
			append(errors, errors_len, &used, path, line, "line too long", "");
			result = -EINVAL;
		} else if (take_line(file, text, line, errors, errors_len, &used) < 0) {
			result = -EINVAL;
		}
	}
	if (ferror(in)) {
		append(errors, errors_len, &used, path, line + 1, "cannot read: ", strerror(errno));
		result = -EIO;
	}
	free(text);
	libc_fclose(in);
	return result;
}

const char *shim_conf_file_value(const struct shim_conf_file *file, const char *name, int *line)
{
	for (size_t i = 0; file && i < file->count; i++) {
		if (strcmp(file->entries[i].name, name) == 0) {
			if (line)
				*line = file->entries[i].line;
			return file->entries[i].value;
		}
	}
	return NULL;
}
