/*
 * scoreboard.c - the shared mapping and its counters.
 */
#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "scoreboard.h"

const char *const sb_group_names[SB_GROUPS] = { "health", "auth", "storage", "tables",
	"openapi", "other" };
const double sb_latency_bounds[SB_LATENCY_BUCKETS - 1] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5 };

enum sb_group
scoreboard_group(const char *path)
{
	static const struct {
		const char *prefix;
		enum sb_group group;
	} groups[] = {
		{ "/api/v1/health", SB_HEALTH }, { "/api/v1/auth/", SB_AUTH },
		{ "/api/v1/storage/", SB_STORAGE }, { "/api/v1/tables/", SB_TABLES },
		{ "/api/v1/openapi.json", SB_OPENAPI }, { "/openapi.json", SB_OPENAPI },
	};

	for (size_t i = 0; path != NULL && i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strncmp(path, groups[i].prefix, strlen(groups[i].prefix)) == 0)
			return groups[i].group;
	return SB_OTHER;
}

struct scoreboard *
scoreboard_create(void)
{
	struct scoreboard *sb = mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sb == MAP_FAILED) {
		log_err("%s: mmap: %m", __func__);
		return NULL;
	}
	/* Zeroed by mmap: touching it all would make every page resident. */
	sb->start_time = time(NULL);
	ratelimit_init(&sb->ratelimit);
	return sb;
}

void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb != NULL)
		munmap(sb, sizeof(*sb));
}

void
scoreboard_request_begin(struct scoreboard *sb, struct sb_slot *slot)
{
	int active, max;

	__atomic_add_fetch(&sb->accepted, 1, __ATOMIC_RELAXED);
	active = __atomic_add_fetch(&sb->active, 1, __ATOMIC_RELAXED);
	if (sb->workers > 0 && active >= sb->workers)
		__atomic_add_fetch(&sb->max_children_reached, 1, __ATOMIC_RELAXED);
	slot->slow_logged = 0;
	max = __atomic_load_n(&sb->max_active, __ATOMIC_RELAXED);
	while (active > max &&
	    !__atomic_compare_exchange_n(&sb->max_active, &max, active, 0, __ATOMIC_RELAXED,
		__ATOMIC_RELAXED))
		;
	clock_gettime(CLOCK_REALTIME, &slot->request_start);
	slot->state = WS_READING;
}

void
scoreboard_request_end(struct scoreboard *sb, struct sb_slot *slot, int status,
    const char *path, long long duration_us)
{
	int cls = status >= 200 && status < 600 ? status / 100 - 2 : 3;
	int b = 0;

	if (cls < 0)
		cls = 0;
	while (b < SB_LATENCY_BUCKETS - 1 && (double)duration_us / 1e6 > sb_latency_bounds[b])
		b++;
	__atomic_add_fetch(&sb->requests[scoreboard_group(path)][cls], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sb->latency[b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sb->latency_sum_us, (uint64_t)(duration_us > 0 ? duration_us : 0),
	    __ATOMIC_RELAXED);
	slot->last_status = status;
	slot->last_duration_us = duration_us;
	memcpy(slot->last_method, slot->method, sizeof(slot->method));
	memcpy(slot->last_uri, slot->uri, sizeof(slot->uri));
	slot->requests++;
}

void
scoreboard_request_done(struct scoreboard *sb, struct sb_slot *slot)
{
	__atomic_sub_fetch(&sb->active, 1, __ATOMIC_RELAXED);
	slot->state = WS_IDLE;
}

void
scoreboard_slot_release(struct scoreboard *sb, struct sb_slot *slot)
{
	if (slot->state == WS_READING || slot->state == WS_RUNNING)
		__atomic_sub_fetch(&sb->active, 1, __ATOMIC_RELAXED);
	sb->gone_db_reconnects += slot->db_reconnects;
	sb->gone_schema_reloads += slot->schema_reloads;
	sb->gone_public_cache_hits += slot->public_cache_hits;
	memset(slot, 0, sizeof(*slot));
}
