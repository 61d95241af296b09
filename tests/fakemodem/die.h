/* Fatal-error and allocation helpers: the fake modem is a test tool, so
 * running out of memory ends it with a message instead of limping on. */
#ifndef FM_DIE_H
#define FM_DIE_H

#include <stddef.h>

_Noreturn void fm_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *fm_realloc(void *p, size_t n);
char *fm_strdup(const char *s);

#endif
