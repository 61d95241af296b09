/* The engine's cache of looked-up names (name_cache.h). */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "name_cache.h"

/* @name in lower case, without a final dot, into @key: false when it does not fit. */
static bool make_key(const char *name, char key[256])
{
	size_t len = strlen(name);
	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= 256)
		return false;
	for (size_t i = 0; i < len; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[len] = '\0';
	return true;
}

static struct name_cache_entry *entry_for(struct name_cache *cache, const char *resolver,
					  const char *key, int family)
{
	for (size_t i = 0; i < NAME_CACHE_SIZE; i++) {
		struct name_cache_entry *entry = &cache->entries[i];
		if (entry->expires_ms && entry->family == family && strcmp(entry->name, key) == 0 &&
		    strcmp(entry->resolver, resolver) == 0)
			return entry;
	}
	return NULL;
}

static bool resolver_fits(const char *resolver)
{
	return strlen(resolver) < NAME_CACHE_RESOLVER_SIZE;
}

bool name_cache_keeps(int outcome)
{
	return outcome == SHIM_DNS_ANSWER || outcome == SHIM_DNS_NO_SUCH_NAME ||
		outcome == SHIM_DNS_NO_DATA;
}

bool name_cache_find(struct name_cache *cache, const char *resolver, const char *name, int family,
		     long long now_ms, int *outcome, struct shim_dns_answer *answer)
{
	char key[256];
	struct name_cache_entry *entry = resolver_fits(resolver) && make_key(name, key)
		? entry_for(cache, resolver, key, family)
		: NULL;
	if (!entry)
		return false;
	if (entry->expires_ms <= now_ms) {
		entry->expires_ms = 0;
		return false;
	}
	*outcome = entry->outcome;
	*answer = entry->answer;
	answer->ttl = (uint32_t)((entry->expires_ms - now_ms) / 1000);
	return true;
}

/* Where a new entry goes: a free or expired slot, else the one that expires first. */
static struct name_cache_entry *slot_for(struct name_cache *cache, long long now_ms)
{
	struct name_cache_entry *soonest = &cache->entries[0];
	for (size_t i = 0; i < NAME_CACHE_SIZE; i++) {
		struct name_cache_entry *entry = &cache->entries[i];
		if (entry->expires_ms <= now_ms)
			return entry;
		if (entry->expires_ms < soonest->expires_ms)
			soonest = entry;
	}
	return soonest;
}

static long long lifetime_s(int outcome, const struct shim_dns_answer *answer, bool timed)
{
	if (outcome != SHIM_DNS_ANSWER)
		return timed && answer && answer->ttl < NAME_CACHE_NEGATIVE_TTL_S
			? answer->ttl
			: NAME_CACHE_NEGATIVE_TTL_S;
	if (!timed)
		return NAME_CACHE_UNTIMED_TTL_S;
	return answer->ttl < NAME_CACHE_MAX_TTL_S ? answer->ttl : NAME_CACHE_MAX_TTL_S;
}

void name_cache_store(struct name_cache *cache, const char *resolver, const char *name, int family,
		      int outcome, const struct shim_dns_answer *answer, bool timed, long long now_ms)
{
	char key[256];
	if (!name_cache_keeps(outcome) || !resolver_fits(resolver) || !make_key(name, key))
		return;
	if (outcome == SHIM_DNS_ANSWER && (!answer || answer->count == 0))
		return;
	long long lifetime = lifetime_s(outcome, answer, timed);
	if (lifetime <= 0) /* TTL 0: the owner asked not to be cached */
		return;
	struct name_cache_entry *entry = entry_for(cache, resolver, key, family);
	if (!entry)
		entry = slot_for(cache, now_ms);
	memcpy(entry->resolver, resolver, strlen(resolver) + 1);
	memcpy(entry->name, key, strlen(key) + 1);
	entry->family = family;
	entry->outcome = outcome;
	if (outcome == SHIM_DNS_ANSWER) {
		entry->answer = *answer;
	} else {
		memset(&entry->answer, 0, sizeof(entry->answer));
		entry->answer.family = family;
	}
	entry->expires_ms = now_ms + lifetime * 1000;
}
