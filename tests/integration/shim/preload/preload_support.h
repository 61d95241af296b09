/*
 * What the interposer tests share: they run with libst87shim.so preloaded
 * (ST87_ROUTE=127.0.0.1/32) against st87-fakemodem, started with the loopback
 * servers by run_preloaded.py, which names their ports in the environment:
 *
 *   ST87_TEST_TCP_ECHO_PORT   a TCP echo server on 127.0.0.1 (routed)
 *   ST87_TEST_UDP_ECHO_PORT   a UDP echo server on 127.0.0.1 (routed)
 *   ST87_TEST_CLOSED_PORT     a 127.0.0.1 TCP port nothing listens on
 *
 * Each test asserts what a program would check: the bytes, the errno.
 */
#ifndef ST87_PRELOAD_SUPPORT_H
#define ST87_PRELOAD_SUPPORT_H

#include <netinet/in.h>
#include <stddef.h>

#include "test_cases.h"

/* The servers' ports, from the environment (above). */
struct preload_ports {
	int tcp_echo;
	int udp_echo;
	int closed;
};

extern struct preload_ports preload;

/* Reads preload's ports (the group setup of every test program); fails when one is missing. */
int preload_setup(void **state);

/* Runs a program's cases (each a TEST_CASE) after preload_setup. */
#define preload_run() test_cases_run("tests", preload_setup, NULL)

/* 127.0.0.1:@port. */
struct sockaddr_in preload_loopback(int port);

/* A TCP socket connected to 127.0.0.1:@port (routed: over the modem); fails the test otherwise. */
int preload_tcp_connect(int port);

/* A UDP socket (not connected). */
int preload_udp_socket(void);

/* Sends a datagram to the UDP echo server on @fd (routing it) and checks that it comes back. */
void preload_udp_round_trip(int fd);

/* The modem's one TCP socket was given back: a new connection gets it and echoes. */
void preload_assert_tcp_socket_free(void);

/* @len bytes of a pattern that differs with @seed. */
void preload_fill(unsigned char *data, size_t len, unsigned seed);

/* send() until all of @data is gone; fails the test on an error. */
void preload_send_all(int fd, const void *data, size_t len);

/* recv() until @len bytes came; fails the test on an error or an early end. */
void preload_recv_exactly(int fd, void *data, size_t len);

/* Sends @len pattern bytes on @send_fd to the echo server and checks that @recv_fd gives them back. */
void preload_assert_echo(int send_fd, int recv_fd, size_t len, unsigned seed);

#endif
