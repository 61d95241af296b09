/*
 * elf_check: reads the few parts of an ELF file that decide whether the shim
 * can be preloaded into it (elf_check.h). Every table is read entry by entry
 * through read_at(), which refuses any range outside the file; the sizes of
 * what is held in memory at once are capped.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_check.h"

/* Bounds on what a hostile file can make us hold or walk; the reader is on the heap. */
#define MAX_LOAD_SEGMENTS 64
#define MAX_DYNAMIC_ENTRIES 8192
#define MAX_NEEDED 256
#define MAX_NOTES_BYTES (64 * 1024)
#define MAX_SECTION_NAMES_BYTES (1024 * 1024)
#define MAX_SYMBOL_NAMES_BYTES (64 * 1024 * 1024)
#define SYMBOLS_PER_READ 256

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* The Go linker's build-id note: type 4, named "Go" (its length given as 4, padding counted). */
#define GO_NOTE_NAME "Go"
#define GO_NOTE_BUILD_ID 4
#define GO_NOTE_NAME_ROOM 4

/* The header, a segment, a section and a symbol of either class, widened. */
struct header {
	unsigned char elf_class;
	uint16_t machine;
	uint64_t phoff, shoff;
	uint16_t phentsize, phnum, shentsize, shnum, shstrndx;
};

struct segment {
	uint32_t type;
	uint64_t offset, vaddr, filesz;
};

struct section {
	uint32_t name, type, link;
	uint64_t offset, size, entsize;
};

struct reader {
	const struct elf_source *source;
	struct header header;
	struct segment loads[MAX_LOAD_SEGMENTS];
	size_t n_loads;
	unsigned char notes[MAX_NOTES_BYTES];
	unsigned char symbols[SYMBOLS_PER_READ * sizeof(Elf64_Sym)];
	char *why;
	size_t why_len;
};

static int fail(struct reader *r, int err, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, int err, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	if (r->why_len)
		vsnprintf(r->why, r->why_len, format, args);
	va_end(args);
	return err;
}

/* Reads exactly @len bytes at @offset, or -EBADMSG when the file holds fewer there. */
static int read_at(struct reader *r, uint64_t offset, void *buffer, size_t len)
{
	const struct elf_source *s = r->source;
	if (offset > s->size || len > s->size - offset)
		return -EBADMSG;
	if (s->bytes) {
		memcpy(buffer, s->bytes + offset, len);
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(s->fd, (char *)buffer + done, len - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG; /* shorter than its size said: it shrank meanwhile */
		done += (size_t)n;
	}
	return 0;
}

/* A NUL-terminated string of at most @len - 1 bytes at @offset, cut at the file's end or @limit. */
static void read_string(struct reader *r, uint64_t offset, uint64_t limit, char *out, size_t len)
{
	uint64_t end = limit < r->source->size ? limit : r->source->size;
	size_t available = offset < end ? (size_t)(end - offset < len - 1 ? end - offset : len - 1) : 0;
	if (!available || read_at(r, offset, out, available) < 0)
		available = 0;
	out[available] = '\0';
}

/* Whether @count entries of @entry_size bytes at @offset lie within the file. */
static bool table_fits(const struct reader *r, uint64_t offset, uint64_t count, uint64_t entry_size)
{
	uint64_t size = r->source->size;
	return offset <= size && count * entry_size <= size - offset;
}

/* The fields of an Elf32_Ehdr or an Elf64_Ehdr @e: the two name them alike, in other types. */
#define HEADER_OF(elf_class, e)                                                                 \
	((struct header){(elf_class), (e).e_machine, (e).e_phoff, (e).e_shoff, (e).e_phentsize, \
			 (e).e_phnum, (e).e_shentsize, (e).e_shnum, (e).e_shstrndx})

static int read_header(struct reader *r)
{
	unsigned char ident[EI_NIDENT];
	if (read_at(r, 0, ident, sizeof(ident)) < 0 || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return fail(r, -ENOEXEC, "not an ELF file");
	if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB)
		return fail(r, -EPROTONOSUPPORT, "an ELF file of no known byte order (%u)",
			    ident[EI_DATA]);
	if (ident[EI_DATA] != NATIVE_DATA)
		return fail(r, -EPROTONOSUPPORT, "a %s-endian ELF file, not this machine's byte order",
			    ident[EI_DATA] == ELFDATA2LSB ? "little" : "big");
	unsigned char elf_class = ident[EI_CLASS];
	if (elf_class != ELFCLASS64 && elf_class != ELFCLASS32)
		return fail(r, -EPROTONOSUPPORT, "an ELF file of no known class (%u)", elf_class);
	bool wide = elf_class == ELFCLASS64;
	union {
		Elf64_Ehdr wide;
		Elf32_Ehdr narrow;
	} e;
	if (read_at(r, 0, &e, wide ? sizeof(e.wide) : sizeof(e.narrow)) < 0)
		return fail(r, -EBADMSG, "truncated in its ELF header");
	struct header *h = &r->header;
	*h = wide ? HEADER_OF(ELFCLASS64, e.wide) : HEADER_OF(ELFCLASS32, e.narrow);
	if (h->phnum && h->phentsize != (wide ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return fail(r, -EBADMSG, "program header entries of %u bytes", h->phentsize);
	if (h->shnum && h->shentsize != (wide ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)))
		return fail(r, -EBADMSG, "section header entries of %u bytes", h->shentsize);
	return 0;
}

/* Both header tables within the file, before anything is read from them. */
static int check_tables(struct reader *r)
{
	const struct header *h = &r->header;
	if (!table_fits(r, h->phoff, h->phnum, h->phentsize))
		return fail(r, -EBADMSG, "program headers past the end of the file");
	if (h->shnum && !table_fits(r, h->shoff, h->shnum, h->shentsize))
		return fail(r, -EBADMSG, "section headers past the end of the file");
	return 0;
}

/* An entry of either header table in either class; read_header() saw its size match the class. */
union table_entry {
	Elf64_Phdr segment64;
	Elf32_Phdr segment32;
	Elf64_Shdr section64;
	Elf32_Shdr section32;
};

/* Entry @index of the table at @table_offset, whose entries are @entry_size bytes apart. */
static int read_entry(struct reader *r, uint64_t table_offset, uint16_t entry_size, unsigned index,
		      union table_entry *entry)
{
	uint64_t offset = table_offset + (uint64_t)index * entry_size;
	if (offset < table_offset || entry_size > sizeof(*entry))
		return -EBADMSG;
	return read_at(r, offset, entry, entry_size);
}

#define SEGMENT_OF(p) ((struct segment){(p).p_type, (p).p_offset, (p).p_vaddr, (p).p_filesz})
#define SECTION_OF(s)                                                                        \
	((struct section){(s).sh_name, (s).sh_type, (s).sh_link, (s).sh_offset, (s).sh_size, \
			  (s).sh_entsize})

static int read_segment(struct reader *r, unsigned index, struct segment *out)
{
	union table_entry e = {0};
	int err = read_entry(r, r->header.phoff, r->header.phentsize, index, &e);
	*out = r->header.elf_class == ELFCLASS64 ? SEGMENT_OF(e.segment64) : SEGMENT_OF(e.segment32);
	return err;
}

static int read_section(struct reader *r, unsigned index, struct section *out)
{
	union table_entry e = {0};
	int err = read_entry(r, r->header.shoff, r->header.shentsize, index, &e);
	*out = r->header.elf_class == ELFCLASS64 ? SECTION_OF(e.section64) : SECTION_OF(e.section32);
	return err;
}

/* The file offset of the address @vaddr, through the PT_LOAD segments; 0 when none holds it. */
static uint64_t file_offset_of(const struct reader *r, uint64_t vaddr)
{
	for (size_t i = 0; i < r->n_loads; i++) {
		const struct segment *s = &r->loads[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz)
			return s->offset + (vaddr - s->vaddr);
	}
	return 0;
}

/* The Go linker's build-id note among the notes of @segment. */
static bool has_go_note(struct reader *r, const struct segment *segment)
{
	unsigned char *notes = r->notes;
	size_t len = segment->filesz < sizeof(r->notes) ? (size_t)segment->filesz : sizeof(r->notes);
	if (read_at(r, segment->offset, notes, len) < 0)
		return false;
	size_t at = 0;
	while (len - at >= sizeof(Elf32_Nhdr)) {
		Elf32_Nhdr note; /* the same layout in both classes */
		memcpy(&note, notes + at, sizeof(note));
		at += sizeof(note);
		size_t name_room = (note.n_namesz + 3u) & ~3u, desc_room = (note.n_descsz + 3u) & ~3u;
		if (note.n_namesz > len || name_room > len - at)
			return false;
		if (note.n_type == GO_NOTE_BUILD_ID &&
		    (note.n_namesz == sizeof(GO_NOTE_NAME) || note.n_namesz == GO_NOTE_NAME_ROOM) &&
		    memcmp(notes + at, GO_NOTE_NAME, sizeof(GO_NOTE_NAME)) == 0)
			return true;
		at += name_room;
		if (note.n_descsz > len || desc_room > len - at)
			return false;
		at += desc_room;
	}
	return false;
}

static bool name_starts(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

/* DT_NEEDED of the PT_DYNAMIC segment @dynamic: libc and liburing. */
static int read_needed(struct reader *r, const struct segment *dynamic, struct elf_facts *facts)
{
	size_t entry_size = r->header.elf_class == ELFCLASS64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
	uint64_t count = dynamic->filesz / entry_size;
	if (count > MAX_DYNAMIC_ENTRIES)
		return fail(r, -EBADMSG, "a dynamic section of %llu entries", (unsigned long long)count);
	uint64_t needed[MAX_NEEDED];
	size_t n_needed = 0;
	uint64_t strtab = 0, strsz = 0;
	for (uint64_t i = 0; i < count; i++) {
		int64_t tag;
		uint64_t value;
		uint64_t offset = dynamic->offset + i * entry_size;
		int err;
		if (r->header.elf_class == ELFCLASS64) {
			Elf64_Dyn d;
			err = read_at(r, offset, &d, sizeof(d));
			tag = d.d_tag;
			value = d.d_un.d_val;
		} else {
			Elf32_Dyn d;
			err = read_at(r, offset, &d, sizeof(d));
			tag = d.d_tag;
			value = d.d_un.d_val;
		}
		if (err)
			return fail(r, -EBADMSG, "truncated in its dynamic section");
		if (tag == DT_NULL)
			break;
		if (tag == DT_NEEDED && n_needed < MAX_NEEDED)
			needed[n_needed++] = value;
		else if (tag == DT_STRTAB)
			strtab = value;
		else if (tag == DT_STRSZ)
			strsz = value;
	}
	if (!n_needed)
		return 0;
	uint64_t strings = file_offset_of(r, strtab);
	if (!strings)
		return fail(r, -EBADMSG, "DT_STRTAB outside its loaded segments");
	/* A DT_STRSZ past the end of the file: the names are cut there. */
	uint64_t strings_end = strsz > UINT64_MAX - strings ? UINT64_MAX : strings + strsz;
	for (size_t i = 0; i < n_needed; i++) {
		char name[64];
		if (needed[i] >= strsz)
			return fail(r, -EBADMSG, "a DT_NEEDED name outside DT_STRSZ");
		read_string(r, strings + needed[i], strings_end, name, sizeof(name));
		if (name_starts(name, "libc.so"))
			facts->links_libc = true;
		if (name_starts(name, "liburing.so"))
			facts->links_uring = true;
	}
	return 0;
}

static int read_segments(struct reader *r, struct elf_facts *facts)
{
	struct segment dynamic = {0};
	bool has_dynamic = false;
	for (unsigned i = 0; i < r->header.phnum; i++) {
		struct segment s;
		if (read_segment(r, i, &s) < 0)
			return fail(r, -EBADMSG, "truncated in its program headers");
		if (s.type == PT_INTERP) {
			facts->has_interp = true;
			read_string(r, s.offset, s.offset + s.filesz, facts->interp,
				    sizeof(facts->interp));
		} else if (s.type == PT_DYNAMIC) {
			dynamic = s;
			has_dynamic = true;
		} else if (s.type == PT_LOAD && r->n_loads < MAX_LOAD_SEGMENTS) {
			r->loads[r->n_loads++] = s;
		} else if (s.type == PT_NOTE && !facts->go_mark && has_go_note(r, &s)) {
			facts->go_mark = "the Go build-id note";
		}
	}
	return has_dynamic ? read_needed(r, &dynamic, facts) : 0;
}

/* The bytes of @section, at most @cap, in a buffer to free; NULL with *err set otherwise. */
static char *read_section_bytes(struct reader *r, const struct section *section, uint64_t cap, int *err)
{
	if (section->size > cap) {
		*err = -ENOMEM;
		return NULL;
	}
	char *bytes = malloc((size_t)section->size + 1);
	if (!bytes) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = read_at(r, section->offset, bytes, (size_t)section->size);
	if (*err) {
		free(bytes);
		return NULL;
	}
	bytes[section->size] = '\0';
	return bytes;
}

/* Whether the symbol table @table (names in section @table->link) holds runtime.main. */
static int has_runtime_main(struct reader *r, const struct section *table, bool *found)
{
	static const char wanted[] = "runtime.main";
	size_t entry_size = r->header.elf_class == ELFCLASS64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	struct section names;
	if (table->entsize != entry_size || table->link >= r->header.shnum ||
	    read_section(r, table->link, &names) < 0)
		return fail(r, -EBADMSG, "a symbol table without its names");
	int err;
	char *strings = read_section_bytes(r, &names, MAX_SYMBOL_NAMES_BYTES, &err);
	if (!strings)
		return err == -ENOMEM ? err : fail(r, -EBADMSG, "truncated in its symbol names");
	uint64_t count = table->size / entry_size;
	unsigned char *chunk = r->symbols;
	for (uint64_t first = 0; first < count && !*found; first += SYMBOLS_PER_READ) {
		uint64_t n = count - first < SYMBOLS_PER_READ ? count - first : SYMBOLS_PER_READ;
		if (read_at(r, table->offset + first * entry_size, chunk, (size_t)(n * entry_size)) <
		    0) {
			free(strings);
			return fail(r, -EBADMSG, "truncated in its symbol table");
		}
		for (uint64_t i = 0; i < n && !*found; i++) {
			uint32_t name;
			if (r->header.elf_class == ELFCLASS64)
				memcpy(&name, chunk + i * entry_size + offsetof(Elf64_Sym, st_name),
				       sizeof(name));
			else
				memcpy(&name, chunk + i * entry_size + offsetof(Elf32_Sym, st_name),
				       sizeof(name));
			*found = name < names.size && names.size - name >= sizeof(wanted) &&
				memcmp(strings + name, wanted, sizeof(wanted)) == 0;
		}
	}
	free(strings);
	return 0;
}

static const char *go_section_mark(const char *name)
{
	if (strcmp(name, ".go.buildinfo") == 0)
		return "its .go.buildinfo section";
	if (strcmp(name, ".note.go.buildid") == 0)
		return "its .note.go.buildid section";
	return NULL;
}

/*
 * The Go marks of the section headers: the build-id note, the build-info
 * section, runtime.main in the first .symtab and .dynsym (a hostile file
 * may hold thousands of tables naming the same huge string section).
 */
static int read_sections(struct reader *r, struct elf_facts *facts)
{
	if (!r->header.shnum || facts->go_mark)
		return 0;
	struct section names_section;
	if (r->header.shstrndx >= r->header.shnum ||
	    read_section(r, r->header.shstrndx, &names_section) < 0)
		return fail(r, -EBADMSG, "truncated in its section headers");
	int err;
	char *names = read_section_bytes(r, &names_section, MAX_SECTION_NAMES_BYTES, &err);
	if (!names)
		return err == -ENOMEM ? err : fail(r, -EBADMSG, "truncated in its section names");
	bool symtab_read = false, dynsym_read = false;
	for (unsigned i = 0; i < r->header.shnum && !facts->go_mark && !err; i++) {
		struct section s;
		if (read_section(r, i, &s) < 0) {
			err = fail(r, -EBADMSG, "truncated in its section headers");
			break;
		}
		facts->go_mark = go_section_mark(s.name < names_section.size ? names + s.name : "");
		bool *table_read = s.type == SHT_SYMTAB ? &symtab_read
			: s.type == SHT_DYNSYM          ? &dynsym_read
							: NULL;
		if (facts->go_mark || !table_read || *table_read)
			continue;
		*table_read = true;
		bool found = false;
		err = has_runtime_main(r, &s, &found);
		if (!err && found)
			facts->go_mark = "its runtime.main symbol";
	}
	free(names);
	return err;
}

int elf_check(const struct elf_source *source, struct elf_facts *facts, char *why, size_t why_len)
{
	struct reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct reader){.source = source, .why = why, .why_len = why_len};
	*facts = (struct elf_facts){0};
	if (why_len)
		why[0] = '\0';
	int err = read_header(r);
	if (!err)
		err = check_tables(r);
	if (!err) {
		facts->elf_class = r->header.elf_class;
		facts->machine = r->header.machine;
		err = read_segments(r, facts);
	}
	if (!err)
		err = read_sections(r, facts);
	free(r);
	return err;
}
