/*
 * auth/ratelimit.h - fixed-window counters of attempts per action and key
 * (a client address, or the account address a flow passes), in one of two
 * stores ([auth] rate_limit_store):
 *
 * memory: a shared memory mapping of the pool, which every worker forked
 * after ratelimit_setup() shares.  Costs nothing per request and survives
 * worker restarts and reloads, but not a restart of the pool, and each
 * machine counts for itself (N hosts behind a balancer allow N times the
 * limit; lone workers spawned by a web server count alone).
 *
 * database: an UNLOGGED table of PostgreSQL (migration 0020), counted by
 * one statement, fluxbase.rate_limit_hit(), in a transaction of its own on
 * the request's connection, so every process and host agrees.  It costs a
 * round trip per limited request (sign-up, sign-in, refresh, mail sends,
 * verification), and when the database cannot be reached the attempt is
 * refused (503), never let through uncounted.  Both stores count the same
 * windows (multiples of the window length since the epoch) and refuse
 * without counting once the limit is reached.
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

struct request;
/*
 * The same count in PostgreSQL, on r's connection as fluxbase_auth: the
 * seconds to wait (0 when allowed), or -1 when r has been answered (503
 * when the database cannot be reached).  The key is stored as given.
 */
int ratelimit_hit_db(struct request *r, const char *action, const char *key, int limit,
    int window_s);

#endif
