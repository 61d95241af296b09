#include "hosts_file.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int address_family(const char *text)
{
	unsigned char scratch[16];
	if (inet_pton(AF_INET, text, scratch) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, scratch) == 1)
		return AF_INET6;
	return -1;
}

bool hosts_file_lookup(const char *path, const char *name, int family, char *address, size_t len)
{
	FILE *file = fopen(path, "re");
	if (!file)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), file)) {
		char *comment = strchr(line, '#');
		if (comment)
			*comment = '\0';
		char *save = NULL;
		const char *first = strtok_r(line, " \t\r\n", &save);
		if (!first)
			continue;
		int line_family = address_family(first);
		if (line_family < 0 || (family != 0 && family != line_family))
			continue;
		for (const char *host = strtok_r(NULL, " \t\r\n", &save); host;
		     host = strtok_r(NULL, " \t\r\n", &save)) {
			if (strcasecmp(host, name) == 0) {
				snprintf(address, len, "%s", first);
				found = true;
				break;
			}
		}
	}
	fclose(file);
	return found;
}
