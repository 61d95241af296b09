#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define WAIT_LIMIT_MS 20000

long long monotonic_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int wait_limit_ms(void)
{
	/* Under valgrind the driver runs many times slower; the meson setup says so. */
	return getenv("ST87_UNDER_VALGRIND") ? 10 * WAIT_LIMIT_MS : WAIT_LIMIT_MS;
}

bool take_fake_modem_path(int argc, char **argv)
{
	/* Absolute, so it does not depend on the directory meson runs the test in. */
	static char absolute[PATH_MAX];
	if (argc > 1)
		fake_modem_set_program(realpath(argv[1], absolute) ? absolute : argv[1]);
	if (fake_modem_program())
		return true;
	fprintf(stderr, "usage: %s PATH-OF-st87-fakemodem (or set ST87_FAKEMODEM)\n", argv[0]);
	return false;
}

static void on_event(void *user, enum st87_event_kind kind, int socket_id)
{
	struct event_log *events = user;
	bool known_socket = socket_id >= 0 && socket_id < SESSION_SOCKET_IDS;
	switch (kind) {
	case ST87_EVENT_DATA:
		if (known_socket) {
			events->data[socket_id]++;
			events->readable[socket_id] = true;
		}
		break;
	case ST87_EVENT_PEER_CLOSED:
		if (known_socket) {
			events->peer_closed[socket_id]++;
			events->readable[socket_id] = true;
		}
		break;
	case ST87_EVENT_LINK_DOWN:
		events->link_down++;
		break;
	case ST87_EVENT_LINK_UP:
		events->link_up++;
		break;
	}
}

static int on_unsolicited(void *user, const char *line)
{
	struct event_log *events = user;
	unsigned kept = sizeof(events->unsolicited) / sizeof(events->unsolicited[0]);
	if (events->n_unsolicited < kept)
		snprintf(events->unsolicited[events->n_unsolicited++], sizeof(events->unsolicited[0]),
			 "%s", line);
	return 0;
}

bool saw_unsolicited(const struct test_session *s, const char *prefix)
{
	for (unsigned i = 0; i < s->events.n_unsolicited; i++)
		if (strncmp(s->events.unsolicited[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static void path_in_dir(char *out, const struct test_session *s, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", s->dir, name);
}

static bool keep_files(void)
{
	return getenv("ST87_CORE_TESTS_KEEP") != NULL;
}

/* The directory holds only files the test and the fake modem made: remove them all. */
static void remove_dir(const char *path)
{
	DIR *dir = opendir(path);
	if (!dir)
		return;
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		char file[PATH_MAX];
		snprintf(file, sizeof(file), "%s/%s", path, entry->d_name);
		unlink(file);
	}
	closedir(dir);
	rmdir(path);
}

int session_setup(void **state)
{
	struct test_session *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->config = *state;
	const char *tmp = getenv("TMPDIR");
	snprintf(s->dir, sizeof(s->dir), "%s/st87-core-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		print_error("mkdtemp %s: %s\n", s->dir, strerror(errno));
		free(s);
		return -1;
	}
	path_in_dir(s->link_path, s, "modem");
	path_in_dir(s->stats_path, s, "stats.json");
	path_in_dir(s->fake_trace_path, s, "fakemodem.trace");
	path_in_dir(s->driver_trace_path, s, "driver.trace");
	*state = s;
	if (s->config && s->config->no_fake_modem)
		return 0;

	struct fake_modem_files files = {.link_path = s->link_path,
					 .stats_path = s->stats_path,
					 .trace_path = s->fake_trace_path};
	int err = fake_modem_start(&s->fake, &files, s->config ? s->config->switches : NULL);
	if (err) {
		print_error("cannot start the fake modem (%s): %s\n",
			    fake_modem_program() ? fake_modem_program() : "no path given",
			    strerror(-err));
		/* CMocka runs no teardown after a failed setup. */
		session_teardown(state);
		return -1;
	}
	return 0;
}

int session_teardown(void **state)
{
	struct test_session *s = *state;
	if (!s)
		return 0;
	st87_modem_close(s->modem);
	loopback_server_stop(&s->server);
	fake_modem_stop(&s->fake);
	for (size_t i = 0; i < sizeof(s->buffers) / sizeof(s->buffers[0]); i++)
		free(s->buffers[i]);
	if (keep_files())
		print_message("# files of this test: %s\n", s->dir);
	else
		remove_dir(s->dir);
	free(s);
	*state = NULL;
	return 0;
}

/*
 * A test that waits out a deadline (a silent modem) takes a tenth of the real
 * ones in the default run; the slow suite (ST87_TEST_FULL_SCALE=1) takes them whole.
 */
static int scaled_deadline_percent(const struct session_config *config)
{
	const char *full_scale = getenv("ST87_TEST_FULL_SCALE");
	if (!config || !config->scaled_deadlines || (full_scale && strcmp(full_scale, "1") == 0))
		return 0;
	return 10;
}

void session_options(struct test_session *s, struct st87_modem_options *options)
{
	memset(options, 0, sizeof(*options));
	options->port = s->link_path;
	options->hex_send = s->config && s->config->hex_send;
	options->max_send = s->config ? s->config->max_send : 0;
	options->sleep_hold_ms = s->config ? s->config->sleep_hold_ms : 0;
	options->deadline_percent = scaled_deadline_percent(s->config);
	options->trace_path = s->driver_trace_path;
	options->on_event = on_event;
	options->on_unsolicited = on_unsolicited;
	options->user = &s->events;
}

void open_started_modem(struct test_session *s)
{
	struct st87_modem_options options;
	session_options(s, &options);
	int err = st87_modem_open(&options, &s->modem);
	if (err)
		print_error("st87_modem_open: %s\n", st87_last_error());
	assert_int_equal(err, 0);
	err = st87_modem_start(s->modem, SESSION_LINK_TIMEOUT_MS, false);
	if (err)
		print_error("st87_modem_start: %s\n", st87_last_error());
	assert_int_equal(err, 0);
	assert_false(st87_modem_needs_start(s->modem));
}

int create_socket(struct test_session *s, enum st87_proto proto)
{
	int id = st87_socket_create(s->modem, 0, proto, 0);
	if (id < 0)
		print_error("st87_socket_create: %s\n", st87_last_error());
	assert_true(id >= 0);
	return id;
}

int connected_tcp_socket(struct test_session *s, int port)
{
	int id = create_socket(s, ST87_TCP);
	int err = st87_tcp_connect(s->modem, id, "127.0.0.1", port);
	if (err)
		print_error("st87_tcp_connect: %s\n", st87_last_error());
	assert_int_equal(err, 0);
	assert_int_equal(st87_tcp_status(s->modem, id), 5);
	return id;
}

uint8_t *session_buffer(struct test_session *s, size_t size)
{
	for (size_t i = 0; i < sizeof(s->buffers) / sizeof(s->buffers[0]); i++) {
		if (!s->buffers[i]) {
			s->buffers[i] = calloc(1, size);
			assert_non_null(s->buffers[i]);
			return s->buffers[i];
		}
	}
	fail_msg("a test asked for more buffers than a session holds");
	return NULL;
}

int wait_for_urcs(struct test_session *s, int timeout_ms)
{
	int handled = st87_modem_poll(s->modem, timeout_ms);
	return handled < 0 ? handled : 0;
}

int wait_until_readable(struct test_session *s, int socket_id)
{
	long long give_up = monotonic_ms() + wait_limit_ms();
	while (!s->events.readable[socket_id]) {
		if (s->events.link_down)
			return -ENETRESET;
		long long left = give_up - monotonic_ms();
		if (left <= 0)
			return -ETIME;
		int err = wait_for_urcs(s, left < 1000 ? (int)left : 1000);
		if (err)
			return err;
	}
	return 0;
}

static size_t read_whole_file(const char *path, char *text, size_t size)
{
	FILE *file = fopen(path, "re");
	if (!file)
		return 0;
	size_t len = fread(text, 1, size - 1, file);
	text[len] = '\0';
	fclose(file);
	return len;
}

long stats_number(struct test_session *s, const char *key)
{
	char json[8192];
	if (read_whole_file(s->stats_path, json, sizeof(json)) == 0)
		fail_msg("the fake modem wrote no stats file (%s)", s->stats_path);
	char quoted[128];
	snprintf(quoted, sizeof(quoted), "\"%s\":", key);
	const char *at = strstr(json, quoted);
	if (!at)
		fail_msg("no %s in the stats: %s", quoted, json);
	return strtol(at + strlen(quoted), NULL, 10);
}

void finish_session(struct test_session *s)
{
	st87_modem_close(s->modem);
	s->modem = NULL;
	loopback_server_stop(&s->server);
	int status = fake_modem_stop(&s->fake);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the fake modem did not exit cleanly (wait status 0x%x)", (unsigned)status);
	assert_int_equal(stats_number(s, "open_sockets"), 0);
}

bool fake_modem_received(struct test_session *s, const char *text)
{
	FILE *trace = fopen(s->fake_trace_path, "re");
	if (!trace)
		return false;
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), trace))
		found = strncmp(line, "> ", 2) == 0 && strstr(line, text);
	fclose(trace);
	return found;
}

static bool maker_profile(void)
{
	const char *profile = getenv("ST87_FAKEMODEM_PROFILE");
	return profile && strcmp(profile, "maker") == 0;
}

int profile_cid(void)
{
	return maker_profile() ? 1 : ST87_DEFAULT_CID;
}

size_t profile_max_send(void)
{
	return maker_profile() ? 1024 : ST87_NOTE_SEND;
}

const char *with_profile_cid(const char *format)
{
	static char text[256];
	snprintf(text, sizeof(text), format, profile_cid());
	return text;
}

void fill_shuffled_bytes(uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i % 256);
	/* Fisher-Yates with a fixed xorshift seed: the same bytes on every run. */
	uint32_t random = 0x9e3779b9u;
	for (size_t i = len; i > 1; i--) {
		random ^= random << 13;
		random ^= random >> 17;
		random ^= random << 5;
		size_t j = random % i;
		uint8_t swap = data[i - 1];
		data[i - 1] = data[j];
		data[j] = swap;
	}
}
