/*
 * The serial port of a unit test replaced (-Wl,--wrap) by a modem model:
 * st87_modem_open() opens whatever the test set in wrapped_serial_model,
 * and the test defines the model's reads and writes.
 */
#ifndef ST87_TEST_WRAPPED_SERIAL_H
#define ST87_TEST_WRAPPED_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "st87/st87.h"

/* The model behind the next st87_modem_open(): it is the struct st87_serial the driver gets. */
extern void *wrapped_serial_model;

int __wrap_st87_serial_open(const char *path, const struct st87_serial_options *options,
			    struct st87_serial **out);
void __wrap_st87_serial_close(struct st87_serial *serial);
const char *__wrap_st87_serial_path(const struct st87_serial *serial);
/* Opens a modem with @p options on @p model (the port name is the test's to choose); fails the test when it cannot. */
struct st87_modem *wrapped_serial_open(void *model, const struct st87_modem_options *options);

/* Appends @p text to a model's output @p pending (@p *len of its @p size bytes used); fails the test when full. */
void wrapped_serial_say(char *pending, size_t *len, size_t size, const char *text);

/* Appends @p n bytes the driver wrote to a model's @p written (@p *len of its @p size bytes used). */
void wrapped_serial_hear(char *written, size_t *len, size_t size, const void *data, size_t n);
/* The command line a CR just ended in @p written, from @p *line_start on, into @p line (its CR
 * dropped; @p line holds @p written's size); false while the last byte written is not a CR. */
bool wrapped_serial_line(const char *written, size_t written_len, size_t *line_start, char *line);
/* Moves up to @p len bytes of a model's output @p pending into @p buf: how many. */
size_t wrapped_serial_give(char *pending, size_t *pending_len, void *buf, size_t len);

/* Defined by each test: what its model does with the bytes, and what it says. */
int __wrap_st87_serial_write_all(struct st87_serial *serial, const void *data, size_t len,
				 int timeout_ms);
ssize_t __wrap_st87_serial_read(struct st87_serial *serial, void *buf, size_t len, int timeout_ms);

#endif
