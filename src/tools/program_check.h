/*
 * program_check: whether the shim can reach a program's calls, decided
 * before it runs (st87run, st87ctl doctor --program). The program is found
 * on PATH as execvp() finds it, its `#!` line followed to the interpreter
 * (through `/usr/bin/env NAME` too), and the ELF file that will run is read
 * with elf_check: a static program, a Go build, a program that links no
 * libc, one of another word size or machine than the shim's, or one the
 * loader runs in secure mode (set-user-ID, set-group-ID, file capabilities:
 * LD_PRELOAD's paths are ignored) would send its traffic out another way,
 * unseen.
 */
#ifndef ST87_PROGRAM_CHECK_H
#define ST87_PROGRAM_CHECK_H

#include <limits.h>
#include <stdbool.h>

struct program_check {
	char path[PATH_MAX];    /* the program as found */
	char checked[PATH_MAX]; /* the ELF file the verdict is about: the program or its interpreter */
	bool refused;           /* the shim cannot reach it: why says why */
	bool uses_io_uring;     /* links liburing: io_uring's socket operations bypass the shim */
	char why[512];
};

/*
 * Checks @name (a path, or a name looked up on PATH). Returns 0 with @check
 * filled, or -ENOENT when it is not found and -EACCES when no match on PATH
 * may be executed: exec then says so, as for any program.
 */
int program_check(const char *name, struct program_check *check);

/*
 * The one line saying why @check was refused, or that it links io_uring:
 * "PROGRAM: REASON".
 */
void program_check_describe(const struct program_check *check, char *line, size_t len);

#endif
