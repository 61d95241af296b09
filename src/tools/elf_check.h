/*
 * elf_check: what an ELF file says about whether an LD_PRELOAD library can
 * reach its calls: its interpreter (none: a static program), the libraries
 * it needs (libc, liburing), and the marks of a Go build.
 *
 * The file is read through bounded reads of its own size only: a truncated
 * or hostile file is an error, never a read past its end or a crash. Both
 * ELF classes are read; only this machine's byte order is.
 */
#ifndef ST87_ELF_CHECK_H
#define ST87_ELF_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bytes to read: a file (bytes NULL) or a buffer in memory (fd unused). */
struct elf_source {
	int fd;
	const unsigned char *bytes;
	uint64_t size;
};

struct elf_facts {
	unsigned char elf_class; /* ELFCLASS32 or ELFCLASS64 */
	uint16_t machine;        /* e_machine */
	bool has_interp;         /* a PT_INTERP segment: the dynamic loader runs it */
	char interp[256];        /* its path, when it has one */
	bool links_libc;         /* libc.so.* (or musl's libc.so) among DT_NEEDED */
	bool links_uring;        /* liburing.so.* among DT_NEEDED */
	const char *go_mark;     /* NULL, or what showed a Go build (a note, a section, a symbol) */
};

/*
 * Reads the ELF headers of @source into @facts. Returns 0, or:
 *   -ENOEXEC          not an ELF file (no magic);
 *   -EPROTONOSUPPORT  an ELF file of another byte order, or of no known class;
 *   -EBADMSG          truncated or malformed (a table past the end, a wrong entry size, ...);
 *   -ENOMEM           a table too large to hold;
 *   -errno            the file could not be read.
 * Except for -ENOMEM and a read error, @why says what was wrong, in a few words.
 */
int elf_check(const struct elf_source *source, struct elf_facts *facts, char *why, size_t why_len);

#endif
