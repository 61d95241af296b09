/*
 * The baud rates: one table for every layer. The serial layer sets a port to
 * these rates, and the shim's ST87_BAUD, st87run and st87ctl accept exactly
 * these, so a rate that passes their checks is one the port can be set to.
 * libc only: the shim's parsers link this file without the rest of libst87.
 */
#include <errno.h>
#include <stddef.h>
#include <termios.h>

#include "internal.h"
#include "st87/st87.h"

/* The standard termios rates of Linux from 1200 to 4000000, ascending. */
static const struct {
	int rate;
	speed_t speed;
} baud_table[] = {
	{1200, B1200},       {2400, B2400},       {4800, B4800},       {9600, B9600},
	{19200, B19200},     {38400, B38400},     {57600, B57600},     {115200, B115200},
	{230400, B230400},   {460800, B460800},   {500000, B500000},   {576000, B576000},
	{921600, B921600},   {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000},
	{2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000},
	{4000000, B4000000},
};

#define BAUD_COUNT (sizeof(baud_table) / sizeof(baud_table[0]))

int st87_baud_speed(int baud, speed_t *speed)
{
	for (size_t i = 0; i < BAUD_COUNT; i++) {
		if (baud_table[i].rate == baud) {
			*speed = baud_table[i].speed;
			return 0;
		}
	}
	return -EINVAL;
}

bool st87_baud_supported(int baud)
{
	speed_t unused;

	return st87_baud_speed(baud, &unused) == 0;
}

int st87_baud_rate_at(size_t index)
{
	return index < BAUD_COUNT ? baud_table[index].rate : 0;
}
