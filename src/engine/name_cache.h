/*
 * Names already looked up, so a second lookup within the answer's lifetime
 * costs the modem nothing: (resolver, name, family) -> the addresses, or the
 * negative outcome, until an expiry. Two resolvers may answer a name
 * differently, so each keeps its own entries. Pure: no clock, no lock (the caller gives the
 * time and holds its own lock), no allocation after the caller's.
 */
#ifndef ST87_ENGINE_NAME_CACHE_H
#define ST87_ENGINE_NAME_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "dns_message.h"

/* Entries kept: the oldest-expiring one makes way beyond this. */
#define NAME_CACHE_SIZE 64
/* A DNS answer's TTL is taken up to this; AT#DNS answers carry none and keep this long. */
#define NAME_CACHE_MAX_TTL_S 3600
#define NAME_CACHE_UNTIMED_TTL_S 60
/* "No such name" and "no address of that family": asked again after this. */
#define NAME_CACHE_NEGATIVE_TTL_S 10

/* Room for a resolver's name: "AT#DNS", or an address and port such as "[2001:db8::53]:53". */
#define NAME_CACHE_RESOLVER_SIZE 64

struct name_cache_entry {
	char resolver[NAME_CACHE_RESOLVER_SIZE];
	char name[256]; /* lower case: DNS names ignore case */
	int family;
	int outcome; /* 0 (addresses in answer) or a negative enum shim_dns_outcome */
	struct shim_dns_answer answer;
	long long expires_ms; /* 0: a free slot */
};

struct name_cache {
	struct name_cache_entry entries[NAME_CACHE_SIZE];
};

/* Whether @outcome is worth keeping: an answer, or a name or family that does not exist. */
bool name_cache_keeps(int outcome);

/*
 * The live entry for @name and @family from @resolver at @now_ms: true,
 * @outcome and @answer (its addresses when @outcome is 0; its ttl, in
 * either case, the whole seconds the entry has left, so whoever keeps it
 * further keeps it no longer), false when none. An expired entry is freed.
 */
bool name_cache_find(struct name_cache *cache, const char *resolver, const char *name, int family,
		     long long now_ms, int *outcome, struct shim_dns_answer *answer);

/*
 * Keeps @outcome for @name and @family from @resolver, from @now_ms: an
 * answer for its TTL (@answer->ttl, at most NAME_CACHE_MAX_TTL_S;
 * NAME_CACHE_UNTIMED_TTL_S when @timed is false), a negative outcome for
 * NAME_CACHE_NEGATIVE_TTL_S (less when @timed and @answer->ttl says less:
 * what another cache had left of it). Outcomes name_cache_keeps() refuses,
 * and names or resolvers too long, are not kept.
 */
void name_cache_store(struct name_cache *cache, const char *resolver, const char *name, int family,
		      int outcome, const struct shim_dns_answer *answer, bool timed, long long now_ms);

#endif
