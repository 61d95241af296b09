/*
 * st87ctl and the configuration file (st87.conf, or ST87_CONF): the settings
 * st87ctl takes from the environment come from the file where the
 * environment leaves them unset, and an error names the file's line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "conf_file.h"
#include "st87ctl.h"

static const char *const settings_used[] = {"ST87_PORT", "ST87_BAUD", "ST87_LOG", "ST87_TRACE",
					    "ST87_DAEMON"};

static struct shim_conf_file file;

int st87ctl_load_conf(void)
{
	const char *named = getenv("ST87_CONF");
	bool required = named && *named;
	/* As in the shim: a set-user-ID st87ctl trusts neither the environment's file nor the default one. */
	if (getauxval(AT_SECURE))
		return ST87CTL_EXIT_OK;
	char errors[1024];
	if (shim_conf_file_load(required ? named : SHIM_CONF_DEFAULT_PATH, required, &file, errors,
				sizeof(errors)) < 0) {
		errors[strcspn(errors, "\n")] = '\0';
		return st87ctl_usage_error(NULL, "%s", errors);
	}
	for (size_t i = 0; i < sizeof(settings_used) / sizeof(settings_used[0]); i++) {
		const char *value = shim_conf_file_value(&file, settings_used[i], NULL);
		const char *set = getenv(settings_used[i]);
		if (value && (!set || !*set) && setenv(settings_used[i], value, 1) < 0)
			return st87ctl_usage_error(NULL, "cannot take %s from %s: %s", settings_used[i],
						   file.path, strerror(errno));
	}
	return ST87CTL_EXIT_OK;
}

bool st87ctl_conf_origin(const char *name, char *out, size_t len)
{
	int line;
	const char *value = shim_conf_file_value(&file, name, &line);
	if (!value || strcmp(value, getenv(name) ? getenv(name) : "") != 0)
		return false;
	snprintf(out, len, "%s:%d: ", file.path, line);
	return true;
}
