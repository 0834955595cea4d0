/*
 * ops.c - /api/v1/status (php-fpm's status fields, as JSON, for the
 * service role) and /api/v1/metrics (Prometheus text, for the service role
 * or the addresses in [server] metrics_allow), both read from the
 * scoreboard that every worker shares with the master.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "arena.h"
#include "conf.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "scoreboard.h"

static const char *const state_names[] = { "free", "starting", "idle", "reading", "running" };

static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kib;
}

/* The accept queue now (a fresh sample, which also serves a worker that
 * runs without the master) and the most the master's samples saw. */
static void
listen_queue(struct scoreboard *sb, long *queue, long *max, long *limit)
{
	struct sb_queue_probe q;

	*queue = -1;
	if (scoreboard_queue_probe_open(&q, sb->listen_fd) == 0)
		*queue = scoreboard_queue_sample(sb, &q);
	scoreboard_queue_probe_close(&q);
	*max = __atomic_load_n(&sb->max_listen_queue, __ATOMIC_RELAXED);
	*limit = __atomic_load_n(&sb->listen_queue_limit, __ATOMIC_RELAXED);
	if (*queue < 0)
		*max = *limit = -1;
}

static double
seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

int
ops_status(struct request *r)
{
	struct scoreboard *sb = r->sb;
	struct json_object *o, *procs;
	int idle = 0, active = 0, total = 0;
	long queue, qmax, qlimit;
	char when[64];
	struct tm tm;
	const char *body;

	o = json_object_new_object();
	procs = json_object_new_array();
	for (int i = 0; i < SCOREBOARD_SLOTS; i++) {
		const struct sb_slot *s = &sb->slots[i];
		struct json_object *p;
		bool busy;

		if (s->pid <= 0)
			continue;
		total++;
		busy = s->state == WS_READING || s->state == WS_RUNNING;
		if (busy)
			active++;
		else
			idle++;
		p = json_object_new_object();
		json_object_object_add(p, "pid", json_object_new_int64(s->pid));
		json_object_object_add(p, "state", json_object_new_string(state_names[s->state]));
		json_object_object_add(p, "requests", json_object_new_int64((int64_t)s->requests));
		json_object_object_add(p, "start_since",
		    json_object_new_int64((int64_t)(time(NULL) - s->spawned_at)));
		json_object_object_add(p, "request_method",
		    json_object_new_string(busy ? s->method : s->last_method));
		json_object_object_add(p, "request_uri",
		    json_object_new_string(busy ? s->uri : s->last_uri));
		json_object_object_add(p, "request_duration_us",
		    json_object_new_int64(busy ? (int64_t)(seconds_since(&s->request_start) * 1e6)
		                               : s->last_duration_us));
		json_object_object_add(p, "last_status", json_object_new_int(s->last_status));
		json_object_object_add(p, "rss_kib", json_object_new_int64(rss_kib(s->pid)));
		json_object_array_add(procs, p);
	}
	gmtime_r(&sb->start_time, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	listen_queue(sb, &queue, &qmax, &qlimit);
	json_object_object_add(o, "pool", json_object_new_string(r->conf->listen));
	json_object_object_add(o, "start_time", json_object_new_string(when));
	json_object_object_add(o, "start_since",
	    json_object_new_int64((int64_t)(time(NULL) - sb->start_time)));
	json_object_object_add(o, "accepted_conn", json_object_new_int64((int64_t)sb->accepted));
	json_object_object_add(o, "listen_queue", queue < 0 ? NULL : json_object_new_int64(queue));
	json_object_object_add(o, "max_listen_queue",
	    qmax < 0 ? NULL : json_object_new_int64(qmax));
	json_object_object_add(o, "listen_queue_len",
	    qlimit < 0 ? NULL : json_object_new_int64(qlimit));
	json_object_object_add(o, "idle_processes", json_object_new_int(idle));
	json_object_object_add(o, "active_processes", json_object_new_int(active));
	json_object_object_add(o, "total_processes", json_object_new_int(total));
	json_object_object_add(o, "max_active_processes", json_object_new_int(sb->max_active));
	json_object_object_add(o, "max_children_reached",
	    json_object_new_int64((int64_t)sb->max_children_reached));
	json_object_object_add(o, "slow_requests",
	    json_object_new_int64((int64_t)sb->slow_requests));
	json_object_object_add(o, "timed_out_requests",
	    json_object_new_int64((int64_t)sb->timeouts));
	json_object_object_add(o, "respawns", json_object_new_int64((int64_t)sb->respawns));
	json_object_object_add(o, "processes", procs);
	body = json_arena_text(r->arena, o);
	json_object_put(o);
	response_json(r, 200, body, strlen(body));
	response_header(r, "Cache-Control", "no-store");
	return 0;
}

static void
metrics_listen_queue(struct strbuf *m, struct scoreboard *sb)
{
	long queue, qmax, qlimit;

	listen_queue(sb, &queue, &qmax, &qlimit);
	if (queue < 0)
		return;
	strbuf_printf(m,
	    "# HELP fluxbase_listen_queue Connections waiting in the pool's listen queue.\n"
	    "# TYPE fluxbase_listen_queue gauge\n"
	    "fluxbase_listen_queue %ld\n"
	    "# HELP fluxbase_listen_queue_max The longest listen queue seen since start"
	    " (sampled every 100 ms).\n"
	    "# TYPE fluxbase_listen_queue_max gauge\n"
	    "fluxbase_listen_queue_max %ld\n"
	    "# HELP fluxbase_listen_queue_limit How many connections the listen queue holds"
	    " (the backlog).\n"
	    "# TYPE fluxbase_listen_queue_limit gauge\n"
	    "fluxbase_listen_queue_limit %ld\n",
	    queue, qmax, qlimit);
}

int
ops_metrics(struct request *r)
{
	struct scoreboard *sb = r->sb;
	static const char *const classes[] = { "2xx", "3xx", "4xx", "5xx" };
	struct strbuf m;
	uint64_t cumulative = 0, reconnects = sb->gone_db_reconnects,
	         reloads = sb->gone_schema_reloads, hits = sb->gone_public_cache_hits;
	int states[5] = { 0 };

	for (int i = 0; i < SCOREBOARD_SLOTS; i++) {
		const struct sb_slot *s = &sb->slots[i];

		if (s->pid <= 0)
			continue;
		states[s->state]++;
		reconnects += s->db_reconnects;
		reloads += s->schema_reloads;
		hits += s->public_cache_hits;
	}
	strbuf_init(&m, r->arena, 4096);
	strbuf_puts(&m,
	    "# HELP fluxbase_requests_total Requests answered, by route group and status class.\n"
	    "# TYPE fluxbase_requests_total counter\n");
	for (int g = 0; g < SB_GROUPS; g++)
		for (int c = 0; c < 4; c++)
			strbuf_printf(&m,
			    "fluxbase_requests_total{group=\"%s\",status=\"%s\"} %llu\n",
			    sb_group_names[g], classes[c], (unsigned long long)sb->requests[g][c]);
	strbuf_puts(&m,
	    "# HELP fluxbase_request_duration_seconds Time from accept until the answer"
	    " is made (a streamed body's transfer included).\n"
	    "# TYPE fluxbase_request_duration_seconds histogram\n");
	for (int b = 0; b < SB_LATENCY_BUCKETS; b++) {
		cumulative += sb->latency[b];
		if (b < SB_LATENCY_BUCKETS - 1)
			strbuf_printf(&m,
			    "fluxbase_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			    sb_latency_bounds[b], (unsigned long long)cumulative);
		else
			strbuf_printf(&m,
			    "fluxbase_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cumulative);
	}
	strbuf_printf(&m,
	    "fluxbase_request_duration_seconds_sum %.6f\n"
	    "fluxbase_request_duration_seconds_count %llu\n",
	    (double)sb->latency_sum_us / 1e6, (unsigned long long)cumulative);
	strbuf_puts(&m,
	    "# HELP fluxbase_workers Worker processes by state.\n"
	    "# TYPE fluxbase_workers gauge\n");
	for (int s = 1; s < 5; s++)
		strbuf_printf(&m, "fluxbase_workers{state=\"%s\"} %d\n", state_names[s], states[s]);
	strbuf_printf(&m,
	    "# HELP fluxbase_accepted_connections_total Requests accepted by the pool.\n"
	    "# TYPE fluxbase_accepted_connections_total counter\n"
	    "fluxbase_accepted_connections_total %llu\n"
	    "# HELP fluxbase_respawns_total Workers replaced after dying or recycling.\n"
	    "# TYPE fluxbase_respawns_total counter\n"
	    "fluxbase_respawns_total %llu\n"
	    "# HELP fluxbase_slow_requests_total Requests that ran past slowlog_timeout.\n"
	    "# TYPE fluxbase_slow_requests_total counter\n"
	    "fluxbase_slow_requests_total %llu\n"
	    "# HELP fluxbase_max_children_reached_total Requests that found every worker busy.\n"
	    "# TYPE fluxbase_max_children_reached_total counter\n"
	    "fluxbase_max_children_reached_total %llu\n"
	    "# HELP fluxbase_db_reconnects_total Database reconnections by workers.\n"
	    "# TYPE fluxbase_db_reconnects_total counter\n"
	    "fluxbase_db_reconnects_total %llu\n"
	    "# HELP fluxbase_schema_reloads_total Schema cache reloads by workers.\n"
	    "# TYPE fluxbase_schema_reloads_total counter\n"
	    "fluxbase_schema_reloads_total %llu\n"
	    "# HELP fluxbase_storage_public_cache_hits_total Anonymous downloads answered from a"
	    " worker's cache of public objects.\n"
	    "# TYPE fluxbase_storage_public_cache_hits_total counter\n"
	    "fluxbase_storage_public_cache_hits_total %llu\n",
	    (unsigned long long)sb->accepted, (unsigned long long)sb->respawns,
	    (unsigned long long)sb->slow_requests, (unsigned long long)sb->max_children_reached,
	    (unsigned long long)reconnects, (unsigned long long)reloads, (unsigned long long)hits);
	metrics_listen_queue(&m, sb);
	r->resp.status = 200;
	r->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
	r->resp.body = m.data;
	r->resp.body_len = m.len;
	response_header(r, "Cache-Control", "no-store");
	return 0;
}
