/*
 * Replays inputs through a fuzz target without libFuzzer, so that the seed
 * corpus and every kept finding run under `meson test` with any compiler.
 *
 *     fuzz-replay-<target> PATH...
 *
 * A PATH that is a directory stands for its regular files (not those of its
 * subdirectories), in name order, skipping names that start with '.' and
 * README files. Each input goes to LLVMFuzzerTestOneInput() from a heap
 * block of its exact size, as libFuzzer hands it, so that a sanitizer build
 * sees any read past its end. A finding aborts the process; the input's
 * name was printed just before. Exit status: 0 when every input ran, 1 when
 * a PATH could not be read or there was no input at all (a directory of no
 * inputs, such as regressions/<target>/ holding only .gitkeep, is fine).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads all of @p path into a heap block of its exact size (1 byte for an empty file). */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *file = fopen(path, "rb");
	uint8_t *buffer = NULL;
	long length;
	int ret = -1;

	if (!file)
		return -1;
	if (fseek(file, 0, SEEK_END) != 0 || (length = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0)
		goto out;
	buffer = malloc(length > 0 ? (size_t)length : 1);
	if (!buffer)
		goto out;
	if (length > 0 && fread(buffer, 1, (size_t)length, file) != (size_t)length)
		goto out;
	*data = buffer;
	*size = (size_t)length;
	buffer = NULL;
	ret = 0;
out:
	free(buffer);
	fclose(file);
	return ret;
}

static int replay_file(const char *path)
{
	uint8_t *data;
	size_t size;

	if (read_file(path, &data, &size) < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	printf("%s (%zu bytes)\n", path, size);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

static bool is_input_name(const char *name)
{
	return name[0] != '.' && strncmp(name, "README", 6) != 0;
}

static int select_entry(const struct dirent *entry)
{
	return is_input_name(entry->d_name);
}

/* Replays every regular file of @p dir; the number replayed, or -1. */
static int replay_directory(const char *dir)
{
	struct dirent **entries;
	int n = scandir(dir, &entries, select_entry, alphasort);
	int replayed = 0;

	if (n < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + 1 + strlen(entries[i]->d_name) + 1;
		char *path = malloc(len);
		struct stat info;

		if (path) {
			snprintf(path, len, "%s/%s", dir, entries[i]->d_name);
			if (stat(path, &info) == 0 && S_ISREG(info.st_mode)) {
				if (replay_file(path) < 0)
					replayed = -1;
				else if (replayed >= 0)
					replayed++;
			}
		} else {
			replayed = -1;
		}
		free(path);
		free(entries[i]);
	}
	free(entries);
	return replayed;
}

int main(int argc, char **argv)
{
	int total = 0;
	bool failed = false;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		struct stat info;
		int replayed;

		if (stat(argv[i], &info) != 0) {
			fprintf(stderr, "fuzz-replay: %s: %s\n", argv[i], strerror(errno));
			failed = true;
			continue;
		}
		if (S_ISDIR(info.st_mode))
			replayed = replay_directory(argv[i]);
		else
			replayed = replay_file(argv[i]) < 0 ? -1 : 1;
		if (replayed < 0)
			failed = true;
		else
			total += replayed;
	}
	printf("%d inputs replayed\n", total);
	if (total == 0)
		fprintf(stderr, "fuzz-replay: no input found\n");
	return failed || total == 0 ? 1 : 0;
}
