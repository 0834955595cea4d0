/*
 * scoreboard.c - the shared mapping and its counters.
 */
#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "scoreboard.h"

struct scoreboard *
scoreboard_create(void)
{
	struct scoreboard *sb = mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sb == MAP_FAILED) {
		log_err("%s: mmap: %m", __func__);
		return NULL;
	}
	memset(sb, 0, sizeof(*sb));
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
	max = __atomic_load_n(&sb->max_active, __ATOMIC_RELAXED);
	while (active > max &&
	    !__atomic_compare_exchange_n(&sb->max_active, &max, active, 0, __ATOMIC_RELAXED,
		__ATOMIC_RELAXED))
		;
	clock_gettime(CLOCK_REALTIME, &slot->request_start);
	slot->state = WS_READING;
}

void
scoreboard_request_end(struct scoreboard *sb, struct sb_slot *slot)
{
	__atomic_sub_fetch(&sb->active, 1, __ATOMIC_RELAXED);
	slot->requests++;
	slot->state = WS_IDLE;
}

void
scoreboard_slot_release(struct scoreboard *sb, struct sb_slot *slot)
{
	if (slot->state == WS_READING || slot->state == WS_RUNNING)
		__atomic_sub_fetch(&sb->active, 1, __ATOMIC_RELAXED);
	memset(slot, 0, sizeof(*slot));
}
