/*
 * scoreboard.h - shared memory between the master and its workers.
 *
 * The master maps it before forking.  Each worker writes only its own
 * slot; pool-wide counters are updated with atomic operations.  The master
 * reads it to log slow requests, to end stuck ones and to respawn; any
 * worker reads it for /status and /metrics.  The master also samples the
 * listening socket's accept queue about ten times a second (a queue probe:
 * sock_diag for a unix socket, TCP_INFO for TCP) and keeps its maximum
 * here, as php-fpm's status page does.
 */
#ifndef FLUXBASE_SCOREBOARD_H
#define FLUXBASE_SCOREBOARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "log.h"

#define SCOREBOARD_SLOTS 512

enum worker_state { WS_FREE, WS_STARTING, WS_IDLE, WS_READING, WS_RUNNING };

struct sb_slot {
	pid_t pid;
	int state; /* enum worker_state */
	unsigned generation; /* config generation it was forked with */
	int retiring; /* told to stop after its request */
	uint64_t requests;
	time_t spawned_at;
	struct timespec request_start; /* CLOCK_REALTIME */
	char method[8];
	char uri[256]; /* path only, never the query string */
	/* The last request finished. */
	int last_status;
	long long last_duration_us;
	char last_method[8];
	char last_uri[256];
	/* Reported by the worker after each request. */
	uint64_t db_reconnects;
	uint64_t schema_reloads;
	uint64_t public_cache_hits;
	int slow_logged; /* the master logged the request in hand */
};

enum sb_group { SB_HEALTH, SB_AUTH, SB_STORAGE, SB_TABLES, SB_OPENAPI, SB_OTHER, SB_GROUPS };
#define SB_LATENCY_BUCKETS 12 /* the last one is +Inf */

extern const char *const sb_group_names[SB_GROUPS];
extern const double sb_latency_bounds[SB_LATENCY_BUCKETS - 1];

struct scoreboard {
	time_t start_time;
	uint64_t accepted;
	uint64_t respawns;
	int active;
	int max_active;
	int workers; /* configured, for max_children_reached */
	int listen_fd; /* the same number in every worker */
	/* Connections waiting in the listening socket's accept queue: the
	 * last sample, the most seen since start and the queue's limit
	 * (the backlog the kernel applies); -1 while unknown. */
	long listen_queue;
	long max_listen_queue;
	long listen_queue_limit;
	uint64_t max_children_reached;
	uint64_t slow_requests;
	uint64_t timeouts;
	/* Counters of workers that have gone, so totals never go down. */
	uint64_t gone_db_reconnects;
	uint64_t gone_schema_reloads;
	uint64_t gone_public_cache_hits;
	uint64_t requests[SB_GROUPS][4]; /* status classes 2xx..5xx */
	uint64_t latency[SB_LATENCY_BUCKETS]; /* not cumulative */
	uint64_t latency_sum_us;
	struct sb_slot slots[SCOREBOARD_SLOTS];
	/* Each slot's access lines not yet written (apart from the slots,
	 * so that reading the slots does not touch these pages). */
	struct log_buffer logs[SCOREBOARD_SLOTS];
};

struct scoreboard *scoreboard_create(void);
void scoreboard_destroy(struct scoreboard *sb);
/* Called by a worker when a request begins; when its answer is made
 * (counted, before it is complete, so that whoever got it finds it in
 * /metrics); and when it is done (the connection closed: the worker is idle). */
void scoreboard_request_begin(struct scoreboard *sb, struct sb_slot *slot);
void scoreboard_request_end(struct scoreboard *sb, struct sb_slot *slot, int status,
    const char *path, long long duration_us);
void scoreboard_request_done(struct scoreboard *sb, struct sb_slot *slot);
enum sb_group scoreboard_group(const char *path);
/* Called by the master when a worker died mid-request. */
void scoreboard_slot_release(struct scoreboard *sb, struct sb_slot *slot);

/* What can tell a listening socket's accept queue. */
struct sb_queue_probe {
	int listen_fd;
	int diag_fd; /* NETLINK_SOCK_DIAG, for a unix socket */
	ino_t ino; /* the unix socket's inode */
	uint32_t seq;
	bool tcp;
};
/* Opens a probe for listen_fd (-1 when its queue cannot be told). */
int scoreboard_queue_probe_open(struct sb_queue_probe *q, int listen_fd);
void scoreboard_queue_probe_close(struct sb_queue_probe *q);
/* Samples the queue into sb (current, maximum, limit); -1 if unknown. */
long scoreboard_queue_sample(struct scoreboard *sb, struct sb_queue_probe *q);

#endif
