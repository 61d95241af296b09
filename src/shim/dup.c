/*
 * dup(), dup2(), dup3(), fcntl(F_DUPFD*): a copy of a routed fd is routed
 * too; an fd the program duplicates over one of the shim's own is refused.
 */
/* With 64-bit file offsets, <fcntl.h> renames fcntl to fcntl64; both symbols are defined here. */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

#include "libc_calls.h"
#include "real.h"
#include "shim.h"

/*
 * After a successful duplication of @old to @new: @new shares @old's routed
 * socket, or forgets one it had. Returns @new, or -1 with ENOMEM when the
 * map had no room: @new is closed then, since a copy the shim does not know
 * would be a routed socket answering as a Unix one.
 */
static int follow_duplicate(int old, int new)
{
	if (old == new || (!shim_fd_maybe_mapped(old) && !shim_fd_maybe_mapped(new)))
		return new;
	pthread_mutex_lock(&shim.lock);
	struct fd_entry *entry = NULL;
	HASH_FIND_INT(shim.fds, &old, entry);
	int err = 0;
	if (entry && entry->socket) {
		err = shim_map_add_locked(new, entry->socket);
	} else {
		bool was_private;
		shim_map_remove_locked(new, &was_private);
	}
	pthread_mutex_unlock(&shim.lock);
	if (!err)
		return new;
	shim_log(ST87_LOG_ERROR, "duplicating routed fd %d: out of memory", old);
	libc_close(new);
	errno = ENOMEM;
	return -1;
}

/* dup2 onto one of the shim's own fds would cut the modem off: refuse it. */
static bool target_is_ours(int new)
{
	if (!shim_is_private_fd(new))
		return false;
	shim_log(ST87_LOG_ERROR, "refusing to replace fd %d: st87shim uses it for the modem", new);
	errno = EBUSY;
	return true;
}

int dup(int old)
{
	shim_init();
	int new = real.dup(old);
	if (new >= 0 && !on_engine_thread)
		return follow_duplicate(old, new);
	return new;
}

int dup2(int old, int new)
{
	shim_init();
	if (on_engine_thread)
		return real.dup2(old, new);
	if (target_is_ours(new))
		return -1;
	int result = real.dup2(old, new);
	if (result >= 0)
		return follow_duplicate(old, new);
	return result;
}

int dup3(int old, int new, int flags)
{
	shim_init();
	if (on_engine_thread)
		return real.dup3(old, new, flags);
	if (target_is_ours(new))
		return -1;
	int result = real.dup3(old, new, flags);
	if (result >= 0)
		return follow_duplicate(old, new);
	return result;
}

/* fcntl's third argument is an int or a pointer; passing it on as a pointer-sized value covers both. */
static int fcntl_common(int (*real_fcntl)(int, int, ...), int fd, int command, void *argument)
{
	int result = real_fcntl(fd, command, argument);
	if (result >= 0 && !on_engine_thread && (command == F_DUPFD || command == F_DUPFD_CLOEXEC))
		return follow_duplicate(fd, result);
	return result;
}

int fcntl(int fd, int command, ...)
{
	shim_init();
	va_list args;
	va_start(args, command);
	void *argument = va_arg(args, void *);
	va_end(args);
	return fcntl_common(real.fcntl, fd, command, argument);
}

int fcntl64(int fd, int command, ...)
{
	shim_init();
	va_list args;
	va_start(args, command);
	void *argument = va_arg(args, void *);
	va_end(args);
	return fcntl_common(real.fcntl64 ? real.fcntl64 : real.fcntl, fd, command, argument);
}
