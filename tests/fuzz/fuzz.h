/*
 * What the fuzz targets share: the libFuzzer entry point, which replay.c also
 * calls (so every target builds and runs without libFuzzer), and a check
 * that turns a broken invariant into a crash libFuzzer reports.
 */
#ifndef ST87_FUZZ_H
#define ST87_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs one input. Returns 0; a finding aborts. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts, so that the input is kept as a crash. */
_Noreturn static inline void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

#define FUZZ_CHECK(condition) ((condition) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #condition))

/* Reads @p len bytes so that the sanitizers check each; the sum goes nowhere. */
static inline void fuzz_touch(const void *data, size_t len)
{
	static volatile unsigned sink;
	const unsigned char *bytes = data;
	unsigned sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += bytes[i];
	sink = sum;
	(void)sink;
}

#endif
