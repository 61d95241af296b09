/*
 * The engine's names cache: an answer lives for its TTL (bounded), an
 * AT#DNS answer for the fixed bound, a missing name briefly; names ignore
 * case and a final dot; a full cache gives up the entry that expires first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "name_cache.h"
#include "test_cases.h"

static struct name_cache cache;

static int empty_cache(void **state)
{
	(void)state;
	memset(&cache, 0, sizeof(cache));
	return 0;
}

static struct shim_dns_answer answer_of(const char *address, uint32_t ttl)
{
	struct shim_dns_answer answer = {.family = AF_INET, .count = 1, .ttl = ttl};
	assert_int_equal(inet_pton(AF_INET, address, &answer.addresses[0].v4), 1);
	return answer;
}

/* Whether the cache has @name as an answer at @now_ms. */
static bool answered(const char *name, long long now_ms)
{
	int outcome = 1;
	struct shim_dns_answer found;
	return name_cache_find(&cache, "", name, AF_INET, now_ms, &outcome, &found) && outcome == 0;
}

TEST_CASE_FIXED(answer_lives_for_its_ttl, empty_cache, NULL)
{
	(void)state;
	struct shim_dns_answer answer = answer_of("192.0.2.7", 30);
	name_cache_store(&cache, "", "Host.Example", AF_INET, 0, &answer, true, 1000);
	int outcome = 1;
	struct shim_dns_answer found;
	assert_true(name_cache_find(&cache, "", "host.example.", AF_INET, 30999, &outcome, &found));
	assert_int_equal(outcome, 0);
	assert_memory_equal(&found.addresses[0], &answer.addresses[0], sizeof(struct in_addr));
	assert_false(name_cache_find(&cache, "", "host.example", AF_INET6, 2000, &outcome, &found));
	assert_false(answered("host.example", 31000));
}

TEST_CASE_FIXED(ttl_is_bounded_and_zero_is_not_kept, empty_cache, NULL)
{
	(void)state;
	struct shim_dns_answer week = answer_of("192.0.2.1", 7 * 86400);
	name_cache_store(&cache, "", "long.example", AF_INET, 0, &week, true, 0);
	assert_true(answered("long.example", NAME_CACHE_MAX_TTL_S * 1000LL - 1));
	assert_false(answered("long.example", NAME_CACHE_MAX_TTL_S * 1000LL));
	struct shim_dns_answer none = answer_of("192.0.2.2", 0);
	name_cache_store(&cache, "", "zero.example", AF_INET, 0, &none, true, 0);
	assert_false(answered("zero.example", 1));
}

TEST_CASE_FIXED(untimed_answer_keeps_the_bound, empty_cache, NULL)
{
	(void)state;
	struct shim_dns_answer modem = answer_of("192.0.2.3", 0);
	name_cache_store(&cache, "", "modem.example", AF_INET, 0, &modem, false, 0);
	assert_true(answered("modem.example", NAME_CACHE_UNTIMED_TTL_S * 1000LL - 1));
	assert_false(answered("modem.example", NAME_CACHE_UNTIMED_TTL_S * 1000LL));
}

TEST_CASE_FIXED(missing_name_kept_briefly_other_failures_not, empty_cache, NULL)
{
	(void)state;
	name_cache_store(&cache, "", "gone.example", AF_INET, SHIM_DNS_NO_SUCH_NAME, NULL, true, 0);
	name_cache_store(&cache, "", "busy.example", AF_INET, SHIM_DNS_TRY_AGAIN, NULL, true, 0);
	name_cache_store(&cache, "", "lost.example", AF_INET, -ETIMEDOUT, NULL, true, 0);
	int outcome = 0;
	struct shim_dns_answer found;
	assert_true(name_cache_find(&cache, "", "gone.example", AF_INET, 9999, &outcome, &found));
	assert_int_equal(outcome, SHIM_DNS_NO_SUCH_NAME);
	assert_false(name_cache_find(&cache, "", "gone.example", AF_INET, 10000, &outcome, &found));
	assert_false(name_cache_find(&cache, "", "busy.example", AF_INET, 1, &outcome, &found));
	assert_false(name_cache_find(&cache, "", "lost.example", AF_INET, 1, &outcome, &found));
}

TEST_CASE_FIXED(full_cache_gives_up_the_soonest_to_expire, empty_cache, NULL)
{
	(void)state;
	char name[32];
	for (int i = 0; i < NAME_CACHE_SIZE; i++) {
		struct shim_dns_answer answer = answer_of("192.0.2.9", (uint32_t)(100 + i));
		snprintf(name, sizeof(name), "n%d.example", i);
		name_cache_store(&cache, "", name, AF_INET, 0, &answer, true, 0);
	}
	struct shim_dns_answer newest = answer_of("192.0.2.10", 50);
	name_cache_store(&cache, "", "newest.example", AF_INET, 0, &newest, true, 0);
	assert_true(answered("newest.example", 1));
	assert_false(answered("n0.example", 1));
	assert_true(answered("n1.example", 1));
	assert_true(answered("n63.example", 1));
}

TEST_CASE_FIXED(overlong_name_is_not_kept, empty_cache, NULL)
{
	(void)state;
	char name[300];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	struct shim_dns_answer answer = answer_of("192.0.2.11", 60);
	name_cache_store(&cache, "", name, AF_INET, 0, &answer, true, 0);
	assert_false(answered(name, 1));
}

/* Whether the cache has @name (IPv4) from @resolver at @now_ms; @found gets the entry. */
static bool kept_by(const char *resolver, const char *name, long long now_ms, int *outcome,
		    struct shim_dns_answer *found)
{
	return name_cache_find(&cache, resolver, name, AF_INET, now_ms, outcome, found);
}

TEST_CASE_FIXED(each_resolver_keeps_its_own, empty_cache, NULL)
{
	(void)state;
	struct shim_dns_answer answer = answer_of("192.0.2.9", 60), found;
	int outcome;
	name_cache_store(&cache, "127.0.0.1:53", "split.example", AF_INET, 0, &answer, true, 0);
	assert_true(kept_by("127.0.0.1:53", "split.example", 1, &outcome, &found));
	assert_false(kept_by("AT#DNS", "split.example", 1, &outcome, &found));
	assert_false(kept_by("127.0.0.2:53", "split.example", 1, &outcome, &found));
}

/* What is found says how long it has left, so a second cache (a program of st87d's) keeps it no longer. */
TEST_CASE_FIXED(found_entry_tells_what_it_has_left, empty_cache, NULL)
{
	(void)state;
	struct shim_dns_answer answer = answer_of("192.0.2.10", 30), found;
	int outcome;
	name_cache_store(&cache, "", "left.example", AF_INET, 0, &answer, true, 1000);
	assert_true(kept_by("", "left.example", 21500, &outcome, &found));
	assert_int_equal(found.ttl, 9);
	name_cache_store(&cache, "", "gone.example", AF_INET, SHIM_DNS_NO_SUCH_NAME, NULL, true, 0);
	assert_true(kept_by("", "gone.example", 4000, &outcome, &found));
	assert_int_equal(outcome, SHIM_DNS_NO_SUCH_NAME);
	assert_int_equal(found.ttl, NAME_CACHE_NEGATIVE_TTL_S - 4);
	/* Kept again with what was left: no longer than that. */
	struct shim_dns_answer told = {.family = AF_INET, .ttl = 2};
	name_cache_store(&cache, "", "told.example", AF_INET, SHIM_DNS_NO_SUCH_NAME, &told, true, 0);
	assert_true(kept_by("", "told.example", 1999, &outcome, &found));
	assert_false(kept_by("", "told.example", 2000, &outcome, &found));
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
