/*
 * Test helper, preloaded: calloc() fails (ENOMEM) for calls made from
 * libst87shim.so while ST87_TEST_FAIL_SHIM_CALLOC is set in the process's
 * environment, so a test can run the shim out of memory at a chosen moment
 * without starving the program itself.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* glibc's own calloc, for every call that is not failed; dlsym may itself calloc, hence the bootstrap. */
extern void *__libc_calloc(size_t count, size_t size);

static int from_the_shim(const void *caller)
{
	Dl_info info;
	return dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "libst87shim");
}

void *calloc(size_t count, size_t size)
{
	if (getenv("ST87_TEST_FAIL_SHIM_CALLOC") && from_the_shim(__builtin_return_address(0))) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(count, size);
}
