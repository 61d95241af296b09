/*
 * The configuration file (/etc/st87/st87.conf, or ST87_CONF): the ST87_*
 * settings as `key = value` lines, read once and looked up beside the
 * environment, which wins. Keys are the variables' names (ST87_BAUD) or the
 * same without the prefix, in any case (baud). '#' starts a comment line;
 * blank lines are skipped; a value may be quoted ("...").
 */
#ifndef ST87_SHIM_CONF_FILE_H
#define ST87_SHIM_CONF_FILE_H

#include <stdbool.h>
#include <stddef.h>

#define SHIM_CONF_DEFAULT_PATH "/etc/st87/st87.conf"
#define SHIM_CONF_MAX_ENTRIES 24
#define SHIM_CONF_VALUE_SIZE 4096
#define SHIM_CONF_MAX_SIZE (64 * 1024)

struct shim_conf_entry {
	const char *name; /* the variable it sets: "ST87_BAUD" */
	int line;
	char value[SHIM_CONF_VALUE_SIZE];
};

/* The @i-th variable a file may set ("ST87_BAUD"), NULL past the last. */
typedef const char *(*shim_variable_names)(size_t i);

struct shim_conf_file {
	char path[4096];
	shim_variable_names variables; /* the keys it takes */
	size_t count;
	struct shim_conf_entry entries[SHIM_CONF_MAX_ENTRIES];
};

/*
 * Reads @path into @file, taking the keys that name one of @variables
 * (config.c's shim_config_variable_name). @required: a missing file is an
 * error (ST87_CONF named it), otherwise it is an empty configuration. 0, or
 * -errno with one line per problem in @errors ("FILE:LINE: ..."); entries
 * read before a bad line are kept, bad lines are not.
 */
int shim_conf_file_load(const char *path, bool required, shim_variable_names variables,
			struct shim_conf_file *file, char *errors, size_t errors_len);

/* The file's value for variable @name ("ST87_BAUD"), or NULL. Where it came from: *@line. */
const char *shim_conf_file_value(const struct shim_conf_file *file, const char *name, int *line);

#endif
