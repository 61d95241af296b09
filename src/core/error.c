/* CME codes to text and errno, and the per-thread "last error" line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cme_table.h"
#include "internal.h"
#include "st87/st87.h"

static _Thread_local char last_error[256];

const char *st87_cme_text(int cme)
{
	size_t low = 0, high = st87_cme_table_len;
	while (low < high) {
		size_t mid = low + (high - low) / 2;
		if (st87_cme_table[mid].code == cme)
			return st87_cme_table[mid].text;
		if (st87_cme_table[mid].code < cme)
			low = mid + 1;
		else
			high = mid;
	}
	return NULL;
}

struct cme_errno_range {
	int first, last, err;
};

/* First match wins, so single codes stand before the ranges that hold them. */
static const struct cme_errno_range cme_errno_ranges[] = {
	{2150, 2150, EMFILE}, /* every modem socket of that kind is taken */
	{2151, 2151, EADDRINUSE},
	{2155, 2155, EADDRINUSE},
	{2159, 2159, EADDRINUSE},
	{2152, 2152, ECONNREFUSED}, /* refused, unreachable or timed out: the modem cannot tell */
	{2153, 2153, EBADF},
	{2104, 2104, EBADF},
	{2154, 2154, EPIPE},
	{2156, 2156, EPIPE},        /* the socket broke: that socket's alone */
	{2171, 2171, ENOENT},       /* AT#DNS: no such name */
	{2112, 2112, EHOSTUNREACH}, /* AT#DNS: no DNS server configured (factory state) */
	{2157, 2157, EISCONN},
	{2158, 2158, EIO},
	{2146, 2146, EMSGSIZE},
	{2103, 2103, EADDRNOTAVAIL},
	{2110, 2110, EADDRNOTAVAIL},
	{2120, 2120, EADDRNOTAVAIL},
	{2143, 2143, EDESTADDRREQ},
	{2105, 2106, ENETDOWN},
	{2130, 2130, ENETUNREACH},
	{2100, 2147, EINVAL},
	{2000, 2001, ENOMEM},
	{30, 30, ENETUNREACH},
	{31, 31, ETIMEDOUT},
	{3, 4, EOPNOTSUPP},
	{10, 18, ENETDOWN}, /* SIM missing or locked: no network */
	{20, 20, ENOMEM},
	{50, 50, EINVAL},
	{98, 98, EALREADY},    /* AT+CFUN=1 while on: the radio was on (and the IP stack dropped) */
	{159, 159, ETIMEDOUT}, /* busy (modem.c tries again): busy past the command's deadline */
	{536, 537, ETIMEDOUT},
	{1120, 1120, ETIMEDOUT},
	{103, 181, ENETDOWN}, /* attach and PDN failures */
	{500, 505, EINVAL},
	{1004, 1005, EINVAL},
};

int st87_cme_errno(int cme)
{
	for (size_t i = 0; i < sizeof(cme_errno_ranges) / sizeof(cme_errno_ranges[0]); i++) {
		if (cme >= cme_errno_ranges[i].first && cme <= cme_errno_ranges[i].last)
			return cme_errno_ranges[i].err;
	}
	return EIO;
}

const char *st87_strerror(int negative_errno)
{
	switch (-negative_errno) {
	case 0:
		return "success";
	case ETIMEDOUT:
		return "the modem did not answer in time";
	case EPROTO:
		return "the modem sent a malformed response";
	case EMFILE:
		return "no free modem socket (the modem has 1 TCP and 2 UDP sockets)";
	case ENETRESET:
		return "the modem restarted or lost its IP link";
	case EBUSY:
		return "the serial port is in use by another process";
	default:
		return strerror(-negative_errno);
	}
}

const char *st87_last_error(void)
{
	return last_error;
}

int st87_fail(int negative_errno, const char *format, ...)
{
	/* Formatted aside first: the arguments may include the last error itself (st87_last_error()). */
	char message[sizeof(last_error)];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	memcpy(last_error, message, sizeof(last_error));
	return negative_errno;
}

void st87_clear_error(void)
{
	last_error[0] = '\0';
}
