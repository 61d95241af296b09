/* The calls of libc_calls.h: the functions of those names until a host points them elsewhere. */
#include "libc_calls.h"

#include <unistd.h>

static struct libc_calls calls = {
	.close_fn = close,
	.fclose_fn = fclose,
	.fcntl_fn = fcntl,
	.connect_fn = connect,
	.send_fn = send,
	.sendto_fn = sendto,
	.sendmsg_fn = sendmsg,
	.recv_fn = recv,
	.recvmsg_fn = recvmsg,
	.getsockopt_fn = getsockopt,
};

void libc_calls_set(const struct libc_calls *chosen)
{
	calls = *chosen;
}

int libc_close(int fd)
{
	return calls.close_fn(fd);
}

int libc_fclose(FILE *stream)
{
	return calls.fclose_fn(stream);
}

int libc_fcntl(int fd, int command, int argument)
{
	return calls.fcntl_fn(fd, command, argument);
}

int libc_fcntl_lock(int fd, int command, struct flock *lock)
{
	return calls.fcntl_fn(fd, command, lock);
}

int libc_connect(int fd, const struct sockaddr *address, socklen_t length)
{
	return calls.connect_fn(fd, address, length);
}

ssize_t libc_send(int fd, const void *buffer, size_t length, int flags)
{
	return calls.send_fn(fd, buffer, length, flags);
}

ssize_t libc_sendto(int fd, const void *buffer, size_t length, int flags, const struct sockaddr *address,
		    socklen_t address_length)
{
	return calls.sendto_fn(fd, buffer, length, flags, address, address_length);
}

ssize_t libc_sendmsg(int fd, const struct msghdr *message, int flags)
{
	return calls.sendmsg_fn(fd, message, flags);
}

ssize_t libc_recv(int fd, void *buffer, size_t length, int flags)
{
	return calls.recv_fn(fd, buffer, length, flags);
}

ssize_t libc_recvmsg(int fd, struct msghdr *message, int flags)
{
	return calls.recvmsg_fn(fd, message, flags);
}

int libc_getsockopt(int fd, int level, int name, void *value, socklen_t *length)
{
	return calls.getsockopt_fn(fd, level, name, value, length);
}
