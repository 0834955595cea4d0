/*
 * scoreboard.h - shared memory between the master and its workers.
 *
 * The master maps it before forking.  Each worker writes only its own
 * slot; pool-wide counters are updated with atomic operations.  The master
 * reads it to log, to respawn, and (later) for the status page.
 */
#ifndef FLUXBASE_SCOREBOARD_H
#define FLUXBASE_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "auth/ratelimit.h"

#define SCOREBOARD_SLOTS 512

enum worker_state { WS_FREE, WS_STARTING, WS_IDLE, WS_READING, WS_RUNNING };

struct sb_slot {
	pid_t pid;
	int state;                 /* enum worker_state */
	unsigned generation;       /* config generation it was forked with */
	int retiring;              /* told to stop after its request */
	uint64_t requests;
	time_t spawned_at;
	struct timespec request_start;  /* CLOCK_REALTIME */
	char method[8];
	char uri[256];             /* path only, never the query string */
};

struct scoreboard {
	time_t start_time;
	uint64_t accepted;
	uint64_t respawns;
	int active;
	int max_active;
	struct sb_slot slots[SCOREBOARD_SLOTS];
	struct ratelimit ratelimit;
};

struct scoreboard *scoreboard_create(void);
void scoreboard_destroy(struct scoreboard *sb);
/* Called by a worker when a request begins / ends. */
void scoreboard_request_begin(struct scoreboard *sb, struct sb_slot *slot);
void scoreboard_request_end(struct scoreboard *sb, struct sb_slot *slot);
/* Called by the master when a worker died mid-request. */
void scoreboard_slot_release(struct scoreboard *sb, struct sb_slot *slot);

#endif
