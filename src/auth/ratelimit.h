/*
 * auth/ratelimit.h - fixed-window counters per client address, shared by
 * the workers of one pool through the scoreboard's memory.
 *
 * Trade-off: counting in shared memory costs nothing per request and
 * survives worker restarts and reloads, but not a restart of the pool, and
 * each machine counts for itself (N hosts behind a balancer allow N times
 * the limit).  Counting in PostgreSQL would be global and durable at the
 * price of a write per attempt.
 */
#ifndef FLUXBASE_AUTH_RATELIMIT_H
#define FLUXBASE_AUTH_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_SLOTS 4096

struct rl_slot {
	uint64_t key;
	uint32_t window;           /* window number: time / window length */
	uint32_t count;
};

struct ratelimit {
	int lock;
	unsigned char hash_key[16];  /* SipHash key: addresses cannot be chosen to collide */
	struct rl_slot slots[RATELIMIT_SLOTS];
};

void ratelimit_init(struct ratelimit *rl);
/*
 * Counts one attempt of action by address; returns 0 when allowed, or the
 * seconds to wait when over limit (per window of window_s seconds).
 * limit 0 means unlimited.
 */
int ratelimit_hit(struct ratelimit *rl, const char *action, const char *address, int limit,
    int window_s);

#endif
