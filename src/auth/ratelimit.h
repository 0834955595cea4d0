/*
 * auth/ratelimit.h - fixed-window counters per client address, shared by
 * the workers of one pool through a shared memory mapping of their own.
 *
 * Trade-off: counting in shared memory costs nothing per request and
 * survives worker restarts and reloads, but not a restart of the pool, and
 * each machine counts for itself (N hosts behind a balancer allow N times
 * the limit).  Counting in PostgreSQL would be global and durable at the
 * price of a write per attempt.
 */
#ifndef FLUXBASE_AUTH_RATELIMIT_H
#define FLUXBASE_AUTH_RATELIMIT_H

/*
 * Maps the counters in memory shared with every process forked after the
 * call (the pool calls it before its workers): 0, or -1.  Without it, the
 * first hit maps counters of this process alone (a worker run by a web
 * server).
 */
int ratelimit_setup(void);
void ratelimit_teardown(void);
/*
 * Counts one attempt of action by address; returns 0 when allowed, or the
 * seconds to wait when over limit (per window of window_s seconds).
 * limit 0 means unlimited.
 */
int ratelimit_hit(const char *action, const char *address, int limit, int window_s);

#endif
