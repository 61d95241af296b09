/*
 * fork() and the engine (engine.h): the engine's locks are held across it,
 * in the lock order, so the child finds none held by a thread it does not
 * have; the child forgets the parent's engine, modem, TCP line and lookups
 * in flight, which belong to threads left behind.
 */
#include "engine.h"
#include "engine_host.h"
#include "engine_modem.h"
#include "tcp_queue.h"

void engine_before_fork(void)
{
	pthread_mutex_lock(&engine_lock);
	engine_names_before_fork();
}

void engine_after_fork_in_parent(void)
{
	engine_names_after_fork_in_parent();
	pthread_mutex_unlock(&engine_lock);
}

void engine_after_fork_in_child(void)
{
	engine_thread_after_fork_in_child();
	engine_modem_after_fork_in_child();
	engine_host_after_fork_in_child();
	tcp_queue_forget();
	pthread_mutex_init(&engine_lock, NULL);
	engine_names_after_fork_in_child();
}
