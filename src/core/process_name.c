/* A process's name as /proc shows it, made printable (internal.h). */
#include "internal.h"
#include "libc_calls.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

void st87_process_name(long pid, char *name, size_t len)
{
	char path[64], comm[64];
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (len > 0)
		name[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t got = read(fd, comm, sizeof(comm));
	libc_close(fd);
	if (got <= 0)
		return;
	/* The kernel ends the name with a newline; one inside it is the name's own (PR_SET_NAME takes any byte). */
	if (comm[got - 1] == '\n')
		got--;
	st87_printable(comm, (size_t)got, name, len);
}
