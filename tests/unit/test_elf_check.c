/*
 * elf_check (src/tools/elf_check.c) on ELF images built here, of both
 * classes: what it finds in whole files, and that a truncated or hostile
 * file is an error, never a read past its end.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf_check.h"
#include "test_cases.h"

#define IMAGE_SIZE 4096
#define BASE_ADDRESS 0x400000u

/* What an image holds. */
struct image_spec {
	bool interp;
	const char *needed[3];
	bool go_note;
	const char *extra_section; /* a section of this name, empty */
	bool runtime_main;         /* a .symtab naming runtime.main */
};

/* Fields a test spoils after the image is built, found by their offsets. */
struct image_layout {
	size_t size;
	size_t phoff, shoff, dynamic, note, symtab_section;
};

static size_t put(unsigned char *image, size_t *at, const void *data, size_t len)
{
	size_t where = *at;
	memcpy(image + where, data, len);
	*at += (len + 7) & ~(size_t)7;
	return where;
}

/*
 * One builder per class: the same layout, the class's own structures. The
 * file: header, program headers (LOAD over all, INTERP, DYNAMIC, NOTE),
 * their contents, then the section headers last, so that every byte of a
 * truncated image's tail is one elf_check reads.
 */
#define DEFINE_BUILDER(bits)                                                                          \
	static struct image_layout build_##bits(const struct image_spec *spec, unsigned char *image)  \
	{                                                                                             \
		memset(image, 0, IMAGE_SIZE);                                                         \
		struct image_layout layout = {0};                                                     \
		size_t at = sizeof(Elf##bits##_Ehdr);                                                 \
		Elf##bits##_Phdr phdrs[4] = {{0}};                                                    \
		size_t n_phdrs = 0;                                                                   \
		layout.phoff = at;                                                                    \
		at += sizeof(phdrs);                                                                  \
		static const char interp[] = "/lib/ld-test.so.1";                                     \
		char dynstr[128] = "";                                                                \
		size_t dynstr_len = 1, name_at[3] = {0};                                              \
		for (size_t i = 0; i < 3 && spec->needed[i]; i++) {                                   \
			name_at[i] = dynstr_len;                                                      \
			strcpy(dynstr + dynstr_len, spec->needed[i]);                                 \
			dynstr_len += strlen(spec->needed[i]) + 1;                                    \
		}                                                                                     \
		size_t dynstr_at = put(image, &at, dynstr, dynstr_len);                               \
		Elf##bits##_Dyn dynamic[6] = {{0}};                                                   \
		size_t n_dynamic = 0;                                                                 \
		for (size_t i = 0; i < 3 && spec->needed[i]; i++)                                     \
			dynamic[n_dynamic++] = (Elf##bits##_Dyn){DT_NEEDED, {name_at[i]}};            \
		dynamic[n_dynamic++] = (Elf##bits##_Dyn){DT_STRTAB, {BASE_ADDRESS + dynstr_at}};      \
		dynamic[n_dynamic++] = (Elf##bits##_Dyn){DT_STRSZ, {dynstr_len}};                     \
		dynamic[n_dynamic++] = (Elf##bits##_Dyn){DT_NULL, {0}};                               \
		phdrs[n_phdrs++] = (Elf##bits##_Phdr){.p_type = PT_LOAD, .p_vaddr = BASE_ADDRESS};    \
		if (spec->interp) {                                                                   \
			size_t where = put(image, &at, interp, sizeof(interp));                       \
			phdrs[n_phdrs++] = (Elf##bits##_Phdr){.p_type = PT_INTERP,                    \
							      .p_offset = where,                      \
							      .p_filesz = sizeof(interp)};            \
			layout.dynamic = put(image, &at, dynamic, n_dynamic * sizeof(dynamic[0]));    \
			phdrs[n_phdrs++] = (Elf##bits##_Phdr){.p_type = PT_DYNAMIC,                   \
							      .p_offset = layout.dynamic,             \
							      .p_filesz = n_dynamic *                 \
								      sizeof(dynamic[0])};            \
		}                                                                                     \
		if (spec->go_note) {                                                                  \
			static const unsigned char note[] = {4, 0, 0,   0,   4, 0, 0,   0,   4,   0,  \
							     0, 0, 'G', 'o', 0, 0, 'i', 'd', '!', 0}; \
			layout.note = put(image, &at, note, sizeof(note));                            \
			phdrs[n_phdrs++] = (Elf##bits##_Phdr){.p_type = PT_NOTE,                      \
							      .p_offset = layout.note,                \
							      .p_filesz = sizeof(note)};              \
		}                                                                                     \
		char shstrtab[64] = "\0.shstrtab\0.symtab\0.strtab\0";                                \
		size_t shstrtab_len = 27, extra_name = 0;                                             \
		if (spec->extra_section) {                                                            \
			extra_name = shstrtab_len;                                                    \
			strcpy(shstrtab + shstrtab_len, spec->extra_section);                         \
			shstrtab_len += strlen(spec->extra_section) + 1;                              \
		}                                                                                     \
		size_t shstrtab_at = put(image, &at, shstrtab, shstrtab_len);                         \
		static const char strtab[] = "\0main\0runtime.main";                                  \
		size_t strtab_at = put(image, &at, strtab, sizeof(strtab));                           \
		Elf##bits##_Sym symbols[3] = {{0}};                                                   \
		symbols[1].st_name = 1;                                                               \
		symbols[2].st_name = spec->runtime_main ? 6 : 1;                                      \
		size_t symtab_at = put(image, &at, symbols, sizeof(symbols));                         \
		Elf##bits##_Shdr shdrs[5] = {{0}};                                                    \
		size_t n_shdrs = 1;                                                                   \
		shdrs[n_shdrs++] = (Elf##bits##_Shdr){.sh_name = 1,                                   \
						      .sh_type = SHT_STRTAB,                          \
						      .sh_offset = shstrtab_at,                       \
						      .sh_size = shstrtab_len};                       \
		shdrs[n_shdrs++] = (Elf##bits##_Shdr){.sh_name = 19,                                  \
						      .sh_type = SHT_STRTAB,                          \
						      .sh_offset = strtab_at,                         \
						      .sh_size = sizeof(strtab)};                     \
		layout.symtab_section = n_shdrs;                                                      \
		shdrs[n_shdrs++] = (Elf##bits##_Shdr){.sh_name = 11,                                  \
						      .sh_type = SHT_SYMTAB,                          \
						      .sh_offset = symtab_at,                         \
						      .sh_size = sizeof(symbols),                     \
						      .sh_link = 2,                                   \
						      .sh_entsize = sizeof(Elf##bits##_Sym)};         \
		if (spec->extra_section)                                                              \
			shdrs[n_shdrs++] = (Elf##bits##_Shdr){.sh_name = extra_name,                  \
							      .sh_type = SHT_PROGBITS,                \
							      .sh_offset = symtab_at};                \
		layout.shoff = at;                                                                    \
		memcpy(image + at, shdrs, n_shdrs * sizeof(shdrs[0]));                                \
		layout.size = at + n_shdrs * sizeof(shdrs[0]);                                        \
		phdrs[0].p_filesz = layout.size;                                                      \
		memcpy(image + layout.phoff, phdrs, n_phdrs * sizeof(phdrs[0]));                      \
		Elf##bits##_Ehdr header = {.e_type = ET_DYN,                                          \
					   .e_machine = 62,                                           \
					   .e_version = EV_CURRENT,                                   \
					   .e_phoff = layout.phoff,                                   \
					   .e_shoff = layout.shoff,                                   \
					   .e_ehsize = sizeof(Elf##bits##_Ehdr),                      \
					   .e_phentsize = sizeof(Elf##bits##_Phdr),                   \
					   .e_phnum = (uint16_t)n_phdrs,                              \
					   .e_shentsize = sizeof(Elf##bits##_Shdr),                   \
					   .e_shnum = (uint16_t)n_shdrs,                              \
					   .e_shstrndx = 1};                                          \
		memcpy(header.e_ident, ELFMAG, SELFMAG);                                              \
		header.e_ident[EI_CLASS] = ELFCLASS##bits;                                            \
		header.e_ident[EI_DATA] = ELFDATA2LSB;                                                \
		header.e_ident[EI_VERSION] = EV_CURRENT;                                              \
		memcpy(image, &header, sizeof(header));                                               \
		return layout;                                                                        \
	}

DEFINE_BUILDER(64)
DEFINE_BUILDER(32)

static const struct image_spec dynamic_with_libc = {.interp = true,
						    .needed = {"libm.so.6", "libc.so.6"}};

static unsigned char image[IMAGE_SIZE];

static struct image_layout build(int bits, const struct image_spec *spec)
{
	return bits == 64 ? build_64(spec, image) : build_32(spec, image);
}

static int check_image(size_t size, struct elf_facts *facts, char *why, size_t why_len)
{
	/* An exact-size copy: a read past its end is ASan's and valgrind's to see. */
	unsigned char *copy = malloc(size ? size : 1);
	assert_non_null(copy);
	memcpy(copy, image, size);
	int err = elf_check(&(struct elf_source){.bytes = copy, .size = size}, facts, why, why_len);
	free(copy);
	return err;
}

static struct elf_facts facts_of(int bits, const struct image_spec *spec)
{
	struct image_layout layout = build(bits, spec);
	struct elf_facts facts;
	char why[128];
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), 0);
	assert_int_equal(facts.elf_class, bits == 64 ? ELFCLASS64 : ELFCLASS32);
	assert_int_equal(facts.machine, 62);
	return facts;
}

TEST_CASE(dynamic_program_linking_libc)
{
	(void)state;
	for (int bits = 32; bits <= 64; bits += 32) {
		struct elf_facts facts = facts_of(bits, &dynamic_with_libc);
		assert_true(facts.has_interp);
		assert_string_equal(facts.interp, "/lib/ld-test.so.1");
		assert_true(facts.links_libc);
		assert_false(facts.links_uring);
		assert_null(facts.go_mark);
	}
}

TEST_CASE(static_program_has_no_interpreter)
{
	(void)state;
	for (int bits = 32; bits <= 64; bits += 32) {
		struct elf_facts facts = facts_of(bits, &(struct image_spec){0});
		assert_false(facts.has_interp);
		assert_false(facts.links_libc);
	}
}

TEST_CASE(needed_without_libc_and_with_liburing)
{
	(void)state;
	for (int bits = 32; bits <= 64; bits += 32) {
		struct elf_facts facts = facts_of(bits,
						  &(struct image_spec){.interp = true,
								       .needed = {"libcrypt.so.1"}});
		assert_true(facts.has_interp);
		assert_false(facts.links_libc); /* libcrypt is not libc */
		facts = facts_of(bits,
				 &(struct image_spec){.interp = true,
						      .needed = {"liburing.so.2", "libc.so.6"}});
		assert_true(facts.links_libc);
		assert_true(facts.links_uring);
	}
}

TEST_CASE(go_build_by_note_section_or_symbol)
{
	(void)state;
	for (int bits = 32; bits <= 64; bits += 32) {
		struct image_spec spec = dynamic_with_libc;
		spec.go_note = true;
		assert_string_equal(facts_of(bits, &spec).go_mark, "the Go build-id note");
		spec = dynamic_with_libc;
		spec.extra_section = ".go.buildinfo";
		assert_string_equal(facts_of(bits, &spec).go_mark, "its .go.buildinfo section");
		spec.extra_section = ".note.go.buildid";
		assert_string_equal(facts_of(bits, &spec).go_mark, "its .note.go.buildid section");
		spec = dynamic_with_libc;
		spec.runtime_main = true;
		assert_string_equal(facts_of(bits, &spec).go_mark, "its runtime.main symbol");
		spec = dynamic_with_libc;
		spec.extra_section = ".go.buildinfo.not";
		assert_null(facts_of(bits, &spec).go_mark);
	}
}

TEST_CASE(not_elf_and_foreign_byte_order)
{
	(void)state;
	struct elf_facts facts;
	char why[128];
	memcpy(image, "#!/bin/sh\n", 10);
	assert_int_equal(check_image(10, &facts, why, sizeof(why)), -ENOEXEC);
	assert_int_equal(check_image(0, &facts, why, sizeof(why)), -ENOEXEC);
	struct image_layout layout = build(64, &dynamic_with_libc);
	image[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EPROTONOSUPPORT);
	assert_string_equal(why, "a big-endian ELF file, not this machine's byte order");
	image[EI_DATA] = 7;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EPROTONOSUPPORT);
	image[EI_DATA] = ELFDATA2LSB;
	image[EI_CLASS] = 3;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EPROTONOSUPPORT);
}

/* Every cut of every kind of image: -EBADMSG once the magic is whole, never a read past the end. */
TEST_CASE(every_truncation_is_an_error)
{
	(void)state;
	const struct image_spec specs[] = {
		dynamic_with_libc,
		{.interp = true, .needed = {"libc.so.6"}, .go_note = true, .extra_section = ".x"},
		{.runtime_main = true},
	};
	for (int bits = 32; bits <= 64; bits += 32) {
		for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
			struct image_layout layout = build(bits, &specs[s]);
			for (size_t cut = 0; cut < layout.size; cut++) {
				struct elf_facts facts;
				char why[128];
				int err = check_image(cut, &facts, why, sizeof(why));
				if (cut < EI_NIDENT)
					assert_int_equal(err, -ENOEXEC);
				else if (err != -EBADMSG)
					fail_msg("%d-bit image %zu cut at %zu of %zu: %d", bits, s, cut,
						 layout.size, err);
				assert_true(why[0] != '\0');
			}
		}
	}
}

/* Offsets, counts and sizes that point outside the file, or past what is held. */
TEST_CASE(hostile_fields_are_errors)
{
	(void)state;
	struct elf_facts facts;
	char why[128];
	struct image_layout layout = build(64, &dynamic_with_libc);
	Elf64_Ehdr *header = (Elf64_Ehdr *)image;
	header->e_phoff = UINT64_MAX - 8;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EBADMSG);
	build(64, &dynamic_with_libc);
	header->e_phentsize = 12;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EBADMSG);
	build(64, &dynamic_with_libc);
	header->e_shstrndx = 40;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EBADMSG);

	Elf64_Dyn *dynamic = (Elf64_Dyn *)(image + layout.dynamic);
	build(64, &dynamic_with_libc);
	dynamic[0].d_un.d_val = 4000; /* a DT_NEEDED name past DT_STRSZ */
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EBADMSG);
	build(64, &dynamic_with_libc);
	dynamic[2].d_un.d_ptr = 0x10; /* DT_STRTAB in no loaded segment */
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EBADMSG);
	build(64, &dynamic_with_libc);
	dynamic[3].d_un.d_val = UINT64_MAX; /* DT_STRSZ past the end: names are cut at the file's end */
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), 0);
	assert_true(facts.links_libc);

	Elf64_Shdr *sections = (Elf64_Shdr *)(image + layout.shoff);
	build(64, &dynamic_with_libc);
	sections[layout.symtab_section].sh_entsize = 7;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EBADMSG);
	build(64, &dynamic_with_libc);
	sections[layout.symtab_section].sh_link = 999;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -EBADMSG);
	build(64, &dynamic_with_libc);
	sections[1].sh_size = UINT64_MAX;
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), -ENOMEM);
	build(64, &dynamic_with_libc);
	sections[2].sh_name = UINT32_MAX; /* a name outside the names: no name */
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), 0);

	/* A note whose sizes run past its segment: no Go mark, no read past it. */
	layout = build(64,
		       &(struct image_spec){.interp = true, .needed = {"libc.so.6"}, .go_note = true});
	uint32_t huge = UINT32_MAX;
	memcpy(image + layout.note, &huge, sizeof(huge));
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), 0);
	assert_null(facts.go_mark);
	build(64, &(struct image_spec){.interp = true, .needed = {"libc.so.6"}, .go_note = true});
	/* Its description running past: the name was whole, and is the mark; nothing is read past. */
	memcpy(image + layout.note + 4, &huge, sizeof(huge));
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), 0);
	assert_string_equal(facts.go_mark, "the Go build-id note");
	build(64, &(struct image_spec){.interp = true, .needed = {"libc.so.6"}, .go_note = true});
	uint32_t past_the_segment = 20;
	memcpy(image + layout.note, &past_the_segment, sizeof(past_the_segment));
	assert_int_equal(check_image(layout.size, &facts, why, sizeof(why)), 0);
	assert_null(facts.go_mark);
}

/* This test program, from its file: an ELF of this machine that links libc; cut anywhere, an error. */
TEST_CASE(own_file_through_a_file_descriptor)
{
	(void)state;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	struct elf_facts facts;
	char why[128];
	assert_int_equal(elf_check(&(struct elf_source){.fd = fd, .size = (uint64_t)st.st_size}, &facts,
				   why, sizeof(why)),
			 0);
	assert_true(facts.has_interp);
	assert_true(facts.links_libc);
	assert_null(facts.go_mark);
	/* A file that shrank after its size was taken: an error, not a short read taken as data. */
	char shrunk_path[] = "/tmp/st87-test-elf-XXXXXX";
	int shrunk = mkstemp(shrunk_path);
	assert_true(shrunk >= 0);
	unlink(shrunk_path);
	static unsigned char half[64 * 1024];
	size_t half_len = (size_t)st.st_size / 2 < sizeof(half) ? (size_t)st.st_size / 2 : sizeof(half);
	assert_int_equal(pread(fd, half, half_len, 0), (ssize_t)half_len);
	assert_int_equal(write(shrunk, half, half_len), (ssize_t)half_len);
	assert_int_equal(elf_check(&(struct elf_source){.fd = shrunk, .size = (uint64_t)st.st_size},
				   &facts, why, sizeof(why)),
			 -EBADMSG);
	close(shrunk);
	for (uint64_t cut = EI_NIDENT; cut < (uint64_t)st.st_size; cut += 997)
		assert_int_equal(elf_check(&(struct elf_source){.fd = fd, .size = cut}, &facts, why,
					   sizeof(why)),
				 -EBADMSG);
	close(fd);
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
