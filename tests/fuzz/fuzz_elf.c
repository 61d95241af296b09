/*
 * Fuzz target: what st87run reads of a program's ELF file
 * (src/tools/elf_check.c).
 *
 * Input: the file's bytes.
 *
 * Invariants checked besides the sanitizers:
 *  - the return is 0, -ENOEXEC, -EPROTONOSUPPORT, -EBADMSG or -ENOMEM;
 *    but for -ENOMEM, a failure says why in one printable line, and a short
 *    @why buffer gets a prefix of it;
 *  - on success the interpreter's path is NUL-terminated within its field,
 *    the class is 32- or 64-bit, a Go mark is one of the four kinds;
 *  - the file read through a file descriptor (a memfd) gives the same
 *    result and facts as the same bytes in memory.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_check.h"
#include "fuzz.h"

static bool is_printable_line(const char *text)
{
	for (; *text; text++) {
		if ((unsigned char)*text < 0x20 || (unsigned char)*text > 0x7e)
			return false;
	}
	return true;
}

static bool known_go_mark(const char *mark)
{
	static const char *const marks[] = {"the Go build-id note", "its .go.buildinfo section",
					    "its .note.go.buildid section", "its runtime.main symbol"};
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strcmp(mark, marks[i]) == 0)
			return true;
	return false;
}

static bool same_facts(const struct elf_facts *a, const struct elf_facts *b)
{
	return a->elf_class == b->elf_class && a->machine == b->machine &&
		a->has_interp == b->has_interp && strcmp(a->interp, b->interp) == 0 &&
		a->links_libc == b->links_libc && a->links_uring == b->links_uring &&
		(a->go_mark == NULL) == (b->go_mark == NULL) &&
		(!a->go_mark || strcmp(a->go_mark, b->go_mark) == 0);
}

/* The same bytes as a file: read with pread() instead of from memory. */
static void check_through_a_file(const uint8_t *data, size_t size, int expected,
				 const struct elf_facts *expected_facts)
{
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		struct elf_facts facts;
		char why[160];
		int err = elf_check(&(struct elf_source){.fd = fd, .size = size}, &facts, why,
				    sizeof(why));
		FUZZ_CHECK(err == expected);
		FUZZ_CHECK(err != 0 || same_facts(&facts, expected_facts));
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_facts facts, again;
	char why[160], short_why[12];
	struct elf_source source = {.bytes = data, .size = size};
	int err = elf_check(&source, &facts, why, sizeof(why));

	FUZZ_CHECK(err == 0 || err == -ENOEXEC || err == -EPROTONOSUPPORT || err == -EBADMSG ||
		   err == -ENOMEM);
	FUZZ_CHECK(strlen(why) < sizeof(why) && is_printable_line(why));
	if (err && err != -ENOMEM)
		FUZZ_CHECK(why[0] != '\0');
	if (!err) {
		FUZZ_CHECK(why[0] == '\0');
		FUZZ_CHECK(facts.elf_class == ELFCLASS32 || facts.elf_class == ELFCLASS64);
		FUZZ_CHECK(memchr(facts.interp, '\0', sizeof(facts.interp)) != NULL);
		FUZZ_CHECK(facts.has_interp || facts.interp[0] == '\0');
		FUZZ_CHECK(!facts.go_mark || known_go_mark(facts.go_mark));
	}

	FUZZ_CHECK(elf_check(&source, &again, short_why, sizeof(short_why)) == err);
	FUZZ_CHECK(strlen(short_why) < sizeof(short_why) &&
		   strncmp(short_why, why, strlen(short_why)) == 0);
	FUZZ_CHECK(err != 0 || same_facts(&facts, &again));
	check_through_a_file(data, size, err, &facts);
	return 0;
}
