/*
 * worker.c - the request loop of one worker process.
 *
 * Signals that change the loop (stop, reopen logs) are blocked except
 * inside epoll_pwait() on the listening socket, which unblocks them atomically
 * while the worker waits: a signal can neither interrupt a request in hand
 * (libfcgi's reads would fail on EINTR) nor slip in between a check of the
 * flags and the wait.  The listening socket is non-blocking, so a worker
 * that loses the race for a connection gets EAGAIN from FCGX_Accept_r and
 * goes back to waiting instead of blocking with its signals held.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "compat.h"
#include "conf.h"
#include "cors.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "router.h"
#include "schema.h"
#include "scoreboard.h"
#include "session.h"
#include "storage/cache.h"
#include "worker.h"

static volatile sig_atomic_t worker_stop;
static volatile sig_atomic_t worker_reopen;
static struct schema_cache worker_schema;
static struct scoreboard *worker_sb;

/* NOTIFY fluxbase, 'reload schema' (or a reconnect, channel NULL). */
static void
worker_on_notify(const char *channel, const char *payload, void *arg)
{
	struct schema_cache *sc = arg;

	/* After a reconnection anything may have changed unannounced. */
	bool schema = channel == NULL || (payload != NULL && strcmp(payload, "reload schema") == 0);

	if (schema)
		sc->stale = true;
	/* Anything that can change who may read which object. */
	if (schema || (payload != NULL && strcmp(payload, "storage changed") == 0))
		storage_public_cache_clear();
}

static void
worker_on_signal(int signo)
{
	if (signo == SIGUSR1)
		worker_reopen = 1;
	else
		worker_stop = 1;
}

static void
worker_signals(bool standalone, sigset_t *loop_set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: epoll_pwait must return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (standalone) {
		sigaction(SIGINT, &sa, NULL);
	} else {
		/* The master decides; a Ctrl-C on the terminal reaches it. */
		signal(SIGINT, SIG_IGN);
	}
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);

	sigemptyset(loop_set);
	sigaddset(loop_set, SIGTERM);
	sigaddset(loop_set, SIGQUIT);
	sigaddset(loop_set, SIGUSR1);
	sigaddset(loop_set, SIGINT);
}

static long long
elapsed_us(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - start->tv_sec) * 1000000 +
	    (now.tv_nsec - start->tv_nsec) / 1000;
}

/*
 * Before an answer leaves: a token's session is alive.  The handler's own
 * statement checked it if it ran one; if not, it is checked now, and a
 * dead session gets its 401 instead of the handler's answer, which has
 * not been sent.
 */
static int
worker_session_gate(struct request *r)
{
	struct response kept;

	if (r->session_id == NULL || r->session_checked)
		return 0;
	kept = r->resp;
	r->resp.status = 0;
	r->resp.content_type = NULL;
	r->resp.body = NULL;
	r->resp.body_len = 0;
	r->resp.nheaders = r->base_headers;
	if (session_ensure_alive(r) < 0)
		return -1;
	r->resp = kept;
	return 0;
}

static void
worker_dispatch(struct request *r)
{
	unsigned allowed = 0;
	enum route_result rr;
	bool streams;
	int rc;

	/* The prefix's error shape for every answer; on the Supabase-compatible
	 * prefixes, the gateway's apikey before anything else (a browser's
	 * preflight carries none). */
	compat_classify(r);
	if (r->method != HTTP_OPTIONS && compat_apikey(r) < 0)
		return;
	rr = router_match(app_routes, app_routes_count, r, &allowed);
	/* Read no further than the limit, whatever the route turns out to be;
	 * only routes that stream their body (uploads) set their own. */
	streams = rr == ROUTE_FOUND && (r->route->flags & ROUTE_STREAM_BODY);
	if (!streams && r->has_content_length && r->content_length > r->conf->max_body_size) {
		response_error(r, 413, "PAYLOAD_TOO_LARGE",
		    "The request body is larger than the limit of %zu bytes",
		    r->conf->max_body_size);
		return;
	}
	switch (rr) {
	case ROUTE_NOT_FOUND:
		response_error(r, 404, "NOT_FOUND", "No route for %s %s", r->method_name,
		    r->raw_path);
		return;
	case ROUTE_BAD_PATH:
		response_error(r, 400, "INVALID_PATH",
		    "The request path has a malformed percent escape");
		return;
	case ROUTE_METHOD_NOT_ALLOWED:
		response_header(r, "Allow", router_allow_header(r->arena, allowed));
		response_error(r, 405, "METHOD_NOT_ALLOWED", "Method %s is not allowed on %s",
		    r->method_name, r->raw_path);
		return;
	case ROUTE_FOUND:
		break;
	}
	if (r->method == HTTP_OPTIONS) {
		unsigned m = allowed | HTTP_OPTIONS;

		if (m & HTTP_GET)
			m |= HTTP_HEAD;
		response_header(r, "Allow", router_allow_header(r->arena, m));
		cors_apply(r, true);
		r->resp.status = 204;
		return;
	}
	/* Who is calling, before the handler runs or reads a byte of the body. */
	if (session_admit(r, r->route->access) < 0)
		return;
	r->base_headers = r->resp.nheaders;
	r->before_answer = worker_session_gate;
	rc = r->route->handler(r);
	if (response_gate(r) < 0)
		return;
	if (rc < 0 && r->resp.status == 0 && !r->resp.started)
		response_internal(r);
}

static void
worker_handle(FCGX_Request *fcgx, struct arena *arena, const struct conf *conf, struct db *db,
    struct sb_slot *slot)
{
	struct request r;
	struct timespec start;
	const char *uri, *method;
	size_t ulen;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &start);
	/* (Whether it succeeds or not, the parameters can be read then.) */
	ok = request_init(&r, arena, fcgx, conf) == 0;
	uri = request_param(&r, "REQUEST_URI");
	method = request_param(&r, "REQUEST_METHOD");
	snprintf(slot->method, sizeof(slot->method), "%s", method ? method : "?");
	ulen = uri ? strcspn(uri, "?") : 0;
	if (ulen >= sizeof(slot->uri))
		ulen = sizeof(slot->uri) - 1;
	memcpy(slot->uri, uri ? uri : "", ulen);
	slot->uri[ulen] = '\0';

	if (ok) {
		r.db = db;
		r.schema = &worker_schema;
		r.sb = worker_sb;
		slot->state = WS_RUNNING;
		/* Input from the server while idle was read in the wait; only a
		 * lost connection is left to deal with here. */
		if (!db_connected(db))
			db_check(db);
		if (r.method != HTTP_OPTIONS)
			cors_apply(&r, false);
		worker_dispatch(&r);
	}
	response_header(&r, "X-Request-Id", r.request_id);
	/* Counted before the answer is complete: whoever reads /metrics after
	 * getting it sees it there. */
	slot->db_reconnects = db_reconnects(db);
	slot->public_cache_hits = storage_public_cache_hits();
	slot->schema_reloads = worker_schema.generation > 1 ? worker_schema.generation - 1 : 0;
	scoreboard_request_end(worker_sb, slot, r.resp.status, slot->uri, elapsed_us(&start));
	if (response_finish(&r) < 0)
		log_info("%s: client went away during %s %s (request %s)", __func__, r.method_name,
		    r.raw_path ? r.raw_path : "?", r.request_id);
	log_access(r.request_id, r.method_name, r.raw_path ? r.raw_path : "-", r.resp.status,
	    r.resp.bytes_sent, elapsed_us(&start));
	/* libfcgi ends a connection by waiting for the web server to close
	 * its side, reading whatever it still sends, so that it never gets a
	 * reset instead of the answer.  When it has sent all there is, close
	 * at once: no wait, no wake-up for the worker when nginx closes. */
	if (!fcgx->keepConnection && request_input_done(&r))
		fcgx->detached = 1;
}

/* The listening socket non-blocking, libfcgi ready on it, the database
 * connection (its schema loaded when it is up): the connection, or NULL. */
static struct db *
worker_open(const struct conf *conf, int listen_fd, FCGX_Request *fcgx)
{
	int flags = fcntl(listen_fd, F_GETFL);
	struct db *db;

	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_err("%s: cannot make the listening socket non-blocking: %m", __func__);
		return NULL;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(fcgx, listen_fd, 0) != 0) {
		log_err("%s: libfcgi could not be set up", __func__);
		return NULL;
	}
	if ((db = db_new(conf->db_url, conf->db_connect_timeout)) == NULL)
		return NULL;
	db_listen(db, "fluxbase");
	db_set_notify_handler(db, worker_on_notify, &worker_schema);
	worker_schema.single = CONF_SINGLE(conf);
	worker_schema.poll = conf->tables_schema_poll;
	if (db_connect(db) < 0)
		log_warn("%s: database not reachable yet: %s", __func__, db_last_error(db));
	else
		schema_load(&worker_schema, db, conf->tables_schemas);
	return db;
}

/*
 * What a waiting worker waits on, in an epoll set of its own: the
 * listening socket that every worker shares, with EPOLLEXCLUSIVE, so that
 * a connection wakes one waiting worker (poll() woke every idle worker
 * for each connection, and all but one went back to sleep: a wasted
 * wake-up and two system calls each, per request), and its database
 * connection's socket (notifications while idle), which a reconnection
 * changes.  Before Linux 4.5 the flag is refused: every waiter wakes then,
 * as with poll().
 */
static int worker_epoll = -1;
static int worker_epoll_db = -1;
static unsigned long worker_epoll_db_gen;

static int
worker_epoll_open(int listen_fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fd };

	if ((worker_epoll = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	if (epoll_ctl(worker_epoll, EPOLL_CTL_ADD, listen_fd, &ev) == 0)
		return 0;
	ev.events = EPOLLIN;
	return epoll_ctl(worker_epoll, EPOLL_CTL_ADD, listen_fd, &ev);
}

/* The database connection's socket in the set, as it is now. */
static void
worker_epoll_db_sync(struct db *db)
{
	int fd = db_socket(db);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (fd == worker_epoll_db && db_reconnects(db) == worker_epoll_db_gen)
		return;
	/* (Gone already when the old socket was closed.) */
	if (worker_epoll_db >= 0)
		epoll_ctl(worker_epoll, EPOLL_CTL_DEL, worker_epoll_db, NULL);
	worker_epoll_db = -1;
	if (fd >= 0 && epoll_ctl(worker_epoll, EPOLL_CTL_ADD, fd, &ev) == 0) {
		worker_epoll_db = fd;
		worker_epoll_db_gen = db_reconnects(db);
	}
}

/*
 * The only place signals are delivered.  The database's socket is watched
 * too: a notification (schema changed) or the end of the connection is
 * dealt with as it comes, and a request finds nothing left to check.  With
 * access lines in hand, a look first: they are written out before the
 * worker waits, not while work is queued.  1 when a connection waits, 0 to
 * look again, -1 when the worker cannot go on.
 */
static int
worker_wait(int listen_fd, struct db *db, const sigset_t *wait_set)
{
	struct epoll_event ev[2];
	bool listen_ready = false;
	int rc;

	if (worker_reopen) {
		worker_reopen = 0;
		log_reopen();
	}
	worker_epoll_db_sync(db);
	rc = epoll_pwait(worker_epoll, ev, 2, log_pending() ? 0 : -1, wait_set);
	if (rc < 0) {
		if (errno == EINTR)
			return 0;
		log_err("%s: epoll_pwait: %m", __func__);
		return -1;
	}
	if (rc == 0) {
		log_flush();
		return 0;
	}
	for (int i = 0; i < rc; i++) {
		if (ev[i].data.fd == listen_fd)
			listen_ready = true;
		else
			db_check(db);
	}
	return listen_ready;
}

int
worker_run(const struct conf *conf, int listen_fd, struct scoreboard *sb, struct sb_slot *slot,
    bool standalone)
{
	FCGX_Request fcgx;
	struct arena arena;
	struct db *db;
	sigset_t loop_set, wait_set;
	int errors = 0, rc;

	worker_sb = sb;
	worker_signals(standalone, &loop_set);
	/* Exactly the loop set: the master forked us with everything blocked. */
	sigprocmask(SIG_SETMASK, &loop_set, NULL);
	sigemptyset(&wait_set);
	if ((db = worker_open(conf, listen_fd, &fcgx)) == NULL)
		return 1;
	if (worker_epoll_open(listen_fd) < 0) {
		log_err("%s: cannot wait on the listening socket: %m", __func__);
		db_free(db);
		return 1;
	}
	arena_init(&arena, 64 * 1024);
	/* Batched access lines only under a master, which writes out what a
	 * killed worker left; alone (spawn-fcgi), a line per write. */
	if (!standalone)
		log_buffer_use(&sb->logs[slot - sb->slots]);
	slot->state = WS_IDLE;

	while (!worker_stop) {
		if ((rc = worker_wait(listen_fd, db, &wait_set)) < 0)
			break;
		if (rc == 0)
			continue;
		rc = FCGX_Accept_r(&fcgx);
		if (rc < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
			    rc == -ECONNABORTED)
				continue;
			log_err("%s: accept failed (%d)", __func__, rc);
			if (++errors > 100)
				break;
			usleep(10000);
			continue;
		}
		errors = 0;
		scoreboard_request_begin(sb, slot);
		worker_handle(&fcgx, &arena, conf, db, slot);
		FCGX_Finish_r(&fcgx);
		scoreboard_request_done(sb, slot);
		arena_reset(&arena);
		if (conf->max_requests > 0 && (long)slot->requests >= conf->max_requests) {
			log_info("%s: served %ld requests, recycling", __func__,
			    conf->max_requests);
			break;
		}
	}
	log_buffer_use(NULL);
	FCGX_Free(&fcgx, 0);
	arena_destroy(&arena);
	schema_free(&worker_schema);
	session_cache_clear();
	db_free(db);
	close(worker_epoll);
	worker_epoll = worker_epoll_db = -1;
	return 0;
}
