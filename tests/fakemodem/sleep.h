/* --sleep-after: the maker's firmware sleeps <hold> after the last AT
 * command (docs/PROTOCOL.md §11); the first command that reaches it asleep
 * wakes it and is lost (docs/PROTOCOL.md §11). */
#ifndef FM_SLEEP_H
#define FM_SLEEP_H

#include <stdbool.h>
#include <stdint.h>

struct sleep_state {
	bool known;      /* the firmware has AT#SLEEPMODE (--sleep-after given) */
	bool enabled;    /* AT#SLEEPMODE mode 1 */
	int64_t hold_us; /* awake this long after the last command */
	bool asleep;
	bool sleep_requested; /* AT#SLEEPMODE (execute form): asleep after its OK */
	int64_t sleep_at;     /* when the hold ends (FM_NEVER: not counting) */
	int64_t awake_since;
	int64_t awake_us; /* finished awake periods */
};

#endif
