/*
 * libst87shim's socket options, for programs that know they run through it.
 *
 * Release assistance (docs/PROTOCOL.md §13): the <rai> of each datagram a
 * routed UDP socket sends, so the network can release the radio at once
 * instead of after its inactivity timer:
 *
 *     #include <st87/st87shim.h>
 *     int rai = ST87_RAI_NO_DOWNLINK;
 *     setsockopt(fd, SOL_ST87, ST87_SO_RAI, &rai, sizeof(rai));
 *
 * On a UDP socket, routed or not yet (set before its first sendto(), the
 * value is kept and applies once the socket is routed): 0 on success;
 * EINVAL for a value other than 0, 1 or 2 or a shorter option; ENOPROTOOPT
 * on a TCP socket. While nothing is routed (ST87_ROUTE unset), and without
 * the shim, the kernel answers as for an unknown level (ENOPROTOOPT).
 * getsockopt() reads the value back. It overrides ST87_UDP_RAI; DNS queries
 * always go with 2.
 *
 * A socket with a value other than 0 sends a datagram still on its way to
 * the modem when the program closes the socket (a program that sends and
 * closes at once) with 1: nothing more is coming either way.
 */
#ifndef ST87_ST87SHIM_H
#define ST87_ST87SHIM_H

/** The option level: no kernel protocol has this number. */
#define SOL_ST87 0x5387
/** int: the <rai> of the socket's datagrams. */
#define ST87_SO_RAI 1

#define ST87_RAI_NONE 0         /**< no information (the default) */
#define ST87_RAI_NO_DOWNLINK 1  /**< the last uplink, no downlink expected */
#define ST87_RAI_ONE_DOWNLINK 2 /**< one uplink, one downlink expected */

#endif
