/*
 * program_check: from a command's name to the ELF file that will run it,
 * and what elf_check finds there (program_check.h).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "elf_check.h"
#include "program_check.h"

/* The kernel reads this much of a `#!` line (BINPRM_BUF_SIZE), and follows this many levels. */
#define SHEBANG_BYTES 256
#define MAX_INTERPRETER_DEPTH 4
/* execvp's search path when PATH is unset (glibc's default). */
#define DEFAULT_PATH "/bin:/usr/bin"
/* What execvp() runs a file with when the kernel knows not its format. */
#define SHELL_FOR_PLAIN_FILES "/bin/sh"

static void refuse(struct program_check *check, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static void refuse(struct program_check *check, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	check->refused = true;
	vsnprintf(check->why, sizeof(check->why), format, args);
	va_end(args);
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/*
 * @name as execvp() finds it: itself when it holds a '/', else the first
 * executable regular file of that name in PATH's directories (an empty one
 * is the current directory). Returns 0, -ENOENT, -EACCES or -ENAMETOOLONG.
 */
static int find_on_path(const char *name, char *found, size_t len)
{
	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		/* Copied by hand: gcc -O2 with ASan sees a null %s in a constant-propagated snprintf here. */
		size_t name_len = strlen(name);
		if (name_len >= len)
			return -ENAMETOOLONG;
		memcpy(found, name, name_len + 1);
		if (access(name, F_OK) != 0)
			return -ENOENT;
		return is_executable_file(name) ? 0 : -EACCES;
	}
	const char *path = getenv("PATH");
	int err = -ENOENT;
	for (const char *dir = path ? path : DEFAULT_PATH;; dir++) {
		size_t dir_len = strcspn(dir, ":");
		int n = snprintf(found, len, "%.*s%s%s", (int)dir_len, dir, dir_len ? "/" : "", name);
		if (n > 0 && (size_t)n < len) {
			if (is_executable_file(found))
				return 0;
			if (access(found, F_OK) == 0)
				err = -EACCES;
		}
		dir += dir_len;
		if (!*dir)
			return err;
	}
}

/* The word at *@cursor (split at blanks), NUL-terminated in place; NULL at the end. */
static char *next_word(char **cursor)
{
	char *word = *cursor + strspn(*cursor, " \t");
	if (!*word)
		return NULL;
	char *end = word + strcspn(word, " \t");
	*cursor = *end ? end + 1 : end;
	*end = '\0';
	return word;
}

/*
 * The program `env` runs from the argument of a `#!/usr/bin/env ...` line
 * (its options and NAME=VALUE settings skipped; -S splits the rest, as the
 * kernel hands it over as one word), or NULL.
 */
static const char *env_target(char *argument)
{
	for (char *word; (word = next_word(&argument));) {
		if (strcmp(word, "-u") == 0 || strcmp(word, "-C") == 0 || strcmp(word, "--unset") == 0 ||
		    strcmp(word, "--chdir") == 0)
			next_word(&argument); /* the option's value */
		else if (word[0] != '-' && !strchr(word, '='))
			return word;
	}
	return NULL;
}

/*
 * When @path starts with "#!", the interpreter the kernel would run for it
 * (or, for `env`, the program env would), in @interpreter. Returns 1 when it
 * is a script, 0 when not, -errno when it cannot be read.
 */
static int script_interpreter(const char *path, char *interpreter, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	char line[SHEBANG_BYTES + 1];
	ssize_t n = read(fd, line, SHEBANG_BYTES);
	int err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	char *cursor = line + 2;
	const char *program = next_word(&cursor);
	if (!program)
		return -ENOEXEC;
	const char *base = strrchr(program, '/') ? strrchr(program, '/') + 1 : program;
	const char *target = strcmp(base, "env") == 0 ? env_target(cursor) : NULL;
	if (target)
		return find_on_path(target, interpreter, len) == 0 ? 1 : -ENOENT;
	snprintf(interpreter, len, "%s", program);
	return 1;
}

/*
 * Whether the loader runs @st's program in secure mode for us (AT_SECURE):
 * it then ignores LD_PRELOAD's paths. The kernel sets it when the exec's
 * effective uid or gid differs from the real one (a supplementary group
 * does not count), and gives the file's gid only with group-execute set;
 * on a nosuid mount neither bit acts. File capabilities count unless we
 * are root.
 */
static const char *secure_mode_reason(const char *path, const struct stat *st)
{
	struct statvfs mount;
	bool bits_act = !(statvfs(path, &mount) == 0 && (mount.f_flag & ST_NOSUID));
	uid_t effective_uid = bits_act && (st->st_mode & S_ISUID) ? st->st_uid : geteuid();
	bool gid_bit = (st->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
	gid_t effective_gid = bits_act && gid_bit ? st->st_gid : getegid();
	if (effective_uid != getuid())
		return "set-user-ID";
	if (effective_gid != getgid())
		return "set-group-ID";
	if (geteuid() != 0 && getxattr(path, "security.capability", NULL, 0) > 0)
		return "granted file capabilities";
	return NULL;
}

/* The class and machine of this program: the shim is built for the same. */
static int own_identity(struct elf_facts *self)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int err = fstat(fd, &st) < 0 ? -errno : 0;
	if (!err) {
		char why[128];
		err = elf_check(&(struct elf_source){.fd = fd, .size = (uint64_t)st.st_size}, self, why,
				sizeof(why));
	}
	close(fd);
	return err;
}

/* What the ELF facts of @check->checked say; @prefix names the interpreter when it is one. */
static void judge(struct program_check *check, const struct elf_facts *facts, const char *prefix)
{
	struct elf_facts self;
	if (own_identity(&self) == 0 &&
	    (self.elf_class != facts->elf_class || self.machine != facts->machine))
		refuse(check,
		       "%sbuilt as %d-bit code for ELF machine %u, the shim as %d-bit code for machine "
		       "%u: the "
		       "loader would skip the shim",
		       prefix, facts->elf_class == ELFCLASS64 ? 64 : 32, facts->machine,
		       self.elf_class == ELFCLASS64 ? 64 : 32, self.machine);
	else if (facts->go_mark)
		refuse(check,
		       "%sa Go program (%s): Go makes its own system calls, not through the libc the "
		       "shim "
		       "intercepts",
		       prefix, facts->go_mark);
	else if (!facts->has_interp)
		refuse(check, "%sstatically linked (no PT_INTERP): no loader runs to preload the shim",
		       prefix);
	else if (!facts->links_libc)
		refuse(check,
		       "%slinks no libc (none among its DT_NEEDED): its calls do not pass through the "
		       "libc the shim intercepts",
		       prefix);
	check->uses_io_uring = facts->links_uring;
}

/*
 * Reads the ELF file @check->checked; @prefix as for judge(). Returns
 * -ENOEXEC, refusing nothing, when it is no ELF file; 0 otherwise.
 */
static int check_elf(struct program_check *check, const char *prefix)
{
	int fd = open(check->checked, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		refuse(check, "%scannot be read to check it (%s)", prefix, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct elf_facts facts;
	char why[160];
	int err = S_ISREG(st.st_mode)
		? elf_check(&(struct elf_source){.fd = fd, .size = (uint64_t)st.st_size}, &facts, why,
			    sizeof(why))
		: -EBADMSG;
	close(fd);
	if (err == -ENOEXEC)
		return err;
	const char *secure = S_ISREG(st.st_mode) ? secure_mode_reason(check->checked, &st) : NULL;
	if (secure)
		refuse(check, "%s%s: the loader ignores LD_PRELOAD's paths for it (secure mode)", prefix,
		       secure);
	else if (!S_ISREG(st.st_mode))
		refuse(check, "%snot a regular file", prefix);
	else if (err == -ENOMEM || (err < 0 && !why[0]))
		refuse(check, "%scannot be read to check it (%s)", prefix, strerror(-err));
	else if (err < 0)
		refuse(check, "%s%s: the shim cannot be shown to reach it", prefix, why);
	else
		judge(check, &facts, prefix);
	return 0;
}

int program_check(const char *name, struct program_check *check)
{
	*check = (struct program_check){0};
	int err = find_on_path(name, check->path, sizeof(check->path));
	if (err)
		return err;
	snprintf(check->checked, sizeof(check->checked), "%s", check->path);
	char prefix[PATH_MAX + 32] = "";
	for (int depth = 0;; depth++) {
		char interpreter[PATH_MAX];
		int script = script_interpreter(check->checked, interpreter, sizeof(interpreter));
		if (script < 0) {
			refuse(check, "%scannot be read to check it (%s)", prefix,
			       script == -ENOEXEC ? "a #! line naming no interpreter"
						  : strerror(-script));
			return 0;
		}
		if (!script)
			break;
		if (depth == MAX_INTERPRETER_DEPTH) {
			refuse(check, "more than %d interpreters (#!) in a row", MAX_INTERPRETER_DEPTH);
			return 0;
		}
		snprintf(check->checked, sizeof(check->checked), "%s", interpreter);
		snprintf(prefix, sizeof(prefix), "its interpreter %s (#!): ", interpreter);
	}
	if (check_elf(check, prefix) == -ENOEXEC) {
		/* Neither ELF nor #!: execvp() hands it to the shell. */
		snprintf(check->checked, sizeof(check->checked), "%s", SHELL_FOR_PLAIN_FILES);
		snprintf(prefix, sizeof(prefix),
			 "its shell %s (no #!, not ELF): ", SHELL_FOR_PLAIN_FILES);
		if (check_elf(check, prefix) == -ENOEXEC)
			refuse(check, "%snot an ELF file", prefix);
	}
	return 0;
}

void program_check_describe(const struct program_check *check, char *line, size_t len)
{
	if (check->refused)
		snprintf(line, len, "%s: %s", check->path, check->why);
	else if (check->uses_io_uring)
		snprintf(line, len, "%s: links liburing: its io_uring socket operations bypass the shim",
			 check->checked);
	else
		snprintf(line, len, "%s: the shim can reach its calls", check->path);
}
