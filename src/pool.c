/*
 * pool.c - the master, in the manner of php-fpm.
 *
 * The master binds (listen.c) or inherits the listening socket, maps the
 * scoreboard, forks `workers` children and then only watches: signals
 * arrive through a self-pipe and are handled in its loop.
 *   SIGCHLD          reap; respawn unless stopping (throttled if a child
 *                    dies right after it started)
 *   SIGTERM/SIGINT   stop: workers finish the request in hand, killed
 *                    after stop_timeout
 *   SIGQUIT          graceful stop: as SIGTERM without the deadline
 *   SIGHUP           reload the config, fork a new generation, retire the
 *                    old one after its requests; the socket stays open
 *   SIGUSR1          reopen log files, here and in every worker
 * Every ~100 ms it also samples the socket's accept queue into the
 * scoreboard (its length and the maximum since start, for /status).  The
 * queue is as long as the kernel allows unless listen_backlog says less:
 * under a burst a request waits there rather than being refused.
 * The master never serves a request.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/password.h"
#include "auth/ratelimit.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "pool.h"
#include "scoreboard.h"
#include "worker.h"

extern char **environ;

static int sigpipe_fds[2] = { -1, -1 };

struct pool {
	struct conf *conf;
	const char *conf_path;
	int listen_fd;
	char *socket_path; /* unix socket we created, removed at exit */
	ino_t socket_ino;
	struct scoreboard *sb;
	struct sb_queue_probe queue;
	unsigned generation;
	bool stopping;
	bool graceful;
	time_t stop_deadline;
	time_t next_spawn_at; /* throttle after a crash at start */
};

static void
pool_on_signal(int signo)
{
	unsigned char c = (unsigned char)signo;
	int saved = errno;

	if (write(sigpipe_fds[1], &c, 1) < 0) {
		/* pipe full: the loop will still see earlier bytes */
	}
	errno = saved;
}

static int
pool_signals_init(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGCHLD };
	struct sigaction sa;

	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_err("%s: pipe: %m", __func__);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pool_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
pool_count_live(const struct pool *p, bool current_only)
{
	int n = 0;

	for (int i = 0; i < SCOREBOARD_SLOTS; i++) {
		const struct sb_slot *s = &p->sb->slots[i];

		if (s->pid > 0 &&
		    (!current_only || (!s->retiring && s->generation == p->generation)))
			n++;
	}
	return n;
}

static int
pool_spawn(struct pool *p)
{
	struct sb_slot *slot = NULL;
	sigset_t all, old;
	pid_t pid;

	for (int i = 0; i < SCOREBOARD_SLOTS; i++) {
		if (p->sb->slots[i].pid == 0 && p->sb->slots[i].state == WS_FREE) {
			slot = &p->sb->slots[i];
			break;
		}
	}
	if (slot == NULL) {
		log_err("%s: scoreboard full", __func__);
		return -1;
	}
	memset(slot, 0, sizeof(*slot));
	slot->state = WS_STARTING;
	slot->generation = p->generation;
	slot->spawned_at = time(NULL);

	/* Block signals across fork so the child never runs our handler. */
	fflush(NULL);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		int status;

		close(sigpipe_fds[0]);
		close(sigpipe_fds[1]);
		scoreboard_queue_probe_close(&p->queue);
		password_gate_join();
		slot->pid = getpid();
		status = worker_run(p->conf, p->listen_fd, p->sb, slot, false);
		conf_free(p->conf);
		free(p->socket_path);
		log_close();
		/* exit(), not _exit(): the sanitizer build checks workers for
		 * leaks at exit; stdio was flushed before the fork. */
		exit(status);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_err("%s: fork: %m", __func__);
		slot->state = WS_FREE;
		return -1;
	}
	slot->pid = pid;
	return 0;
}

static void
pool_fill(struct pool *p)
{
	if (p->stopping || time(NULL) < p->next_spawn_at)
		return;
	while (pool_count_live(p, true) < p->conf->workers) {
		if (pool_spawn(p) < 0)
			break;
	}
}

static void
pool_signal_workers(struct pool *p, int signo, bool retiring_only)
{
	for (int i = 0; i < SCOREBOARD_SLOTS; i++) {
		struct sb_slot *s = &p->sb->slots[i];

		if (s->pid > 0 && (!retiring_only || s->retiring))
			kill(s->pid, signo);
	}
}

static void
pool_reap(struct pool *p)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct sb_slot *slot = NULL;
		bool expected;

		for (int i = 0; i < SCOREBOARD_SLOTS; i++)
			if (p->sb->slots[i].pid == pid)
				slot = &p->sb->slots[i];
		if (slot == NULL)
			continue;
		expected = p->stopping || slot->retiring;
		if (WIFSIGNALED(status)) {
			log_warn("pool: worker %ld killed by signal %d (%s) after %lu requests",
			    (long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
			    (unsigned long)slot->requests);
		} else if (WEXITSTATUS(status) != 0) {
			log_warn("pool: worker %ld exited with status %d", (long)pid,
			    WEXITSTATUS(status));
		} else if (!expected) {
			log_info("pool: worker %ld exited after %lu requests", (long)pid,
			    (unsigned long)slot->requests);
		}
		if (!expected) {
			p->sb->respawns++;
			/* A worker that dies right away would die again: wait a bit. */
			if (time(NULL) - slot->spawned_at < 1 &&
			    (WIFSIGNALED(status) || WEXITSTATUS(status) != 0))
				p->next_spawn_at = time(NULL) + 1;
		}
		/* Access lines a worker killed or crashed had not written. */
		log_buffer_drain(&p->sb->logs[slot - p->sb->slots]);
		scoreboard_slot_release(p->sb, slot);
	}
}

/* Slow requests are logged once; stuck ones end with their worker. */
static void
pool_watch_requests(struct pool *p)
{
	struct timespec now;

	if (p->conf->slowlog_timeout == 0 && p->conf->request_timeout == 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < SCOREBOARD_SLOTS; i++) {
		struct sb_slot *s = &p->sb->slots[i];
		double took;

		if (s->pid <= 0 || (s->state != WS_READING && s->state != WS_RUNNING))
			continue;
		took = (double)(now.tv_sec - s->request_start.tv_sec) +
		    (double)(now.tv_nsec - s->request_start.tv_nsec) / 1e9;
		if (p->conf->slowlog_timeout > 0 && took >= p->conf->slowlog_timeout &&
		    !s->slow_logged) {
			s->slow_logged = 1;
			p->sb->slow_requests++;
			log_warn("pool: slow request: worker %ld %s %s running for %.1fs",
			    (long)s->pid, s->method, s->uri, took);
		}
		if (p->conf->request_timeout > 0 && took >= p->conf->request_timeout &&
		    s->slow_logged != 2) {
			s->slow_logged = 2;
			p->sb->timeouts++;
			log_err("pool: request_timeout: worker %ld %s %s ran %.1fs; killing it",
			    (long)s->pid, s->method, s->uri, took);
			kill(s->pid, SIGKILL);
		}
	}
}

static void
pool_reload(struct pool *p)
{
	char err[1024];
	struct conf *c;

	c = conf_load(p->conf_path, environ, err, sizeof(err));
	if (c == NULL || conf_check_serving(c, err, sizeof(err)) < 0) {
		log_err("pool: reload refused, keeping the running configuration: %s", err);
		conf_free(c);
		return;
	}
	if (strcmp(c->listen, p->conf->listen) != 0)
		log_warn("pool: [server] listen changed; it takes effect at the next restart");
	/* Paths, level or format may have changed: the workers of the new
	 * generation inherit what the master opens here. */
	conf_open_logs(c);
	/* Keep the listen address we actually hold. */
	free(c->listen);
	c->listen = strdup(p->conf->listen);
	conf_free(p->conf);
	p->conf = c;
	p->sb->workers = c->workers;
	p->generation++;
	for (int i = 0; i < SCOREBOARD_SLOTS; i++) {
		struct sb_slot *s = &p->sb->slots[i];

		if (s->pid > 0 && s->generation != p->generation)
			s->retiring = 1;
	}
	p->next_spawn_at = 0;
	password_dummy_prepare(p->conf);
	(void)password_gate_setup(p->conf);
	pool_fill(p);
	pool_signal_workers(p, SIGQUIT, true);
	log_info("pool: configuration reloaded (generation %u, %d workers)", p->generation,
	    p->conf->workers);
}

static void
pool_stop(struct pool *p, bool graceful)
{
	if (p->stopping && !graceful)
		p->graceful = false;
	if (p->stopping)
		return;
	p->stopping = true;
	p->graceful = graceful;
	p->stop_deadline = time(NULL) + p->conf->stop_timeout;
	log_info("pool: %s stop requested", graceful ? "graceful" : "fast");
	pool_signal_workers(p, graceful ? SIGQUIT : SIGTERM, false);
}

static int
pool_write_pid(const char *path)
{
	FILE *f;

	if (path == NULL || path[0] == '\0')
		return 0;
	f = fopen(path, "w");
	if (f == NULL) {
		log_err("pool: cannot write pid file %s: %m", path);
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	return 0;
}

static void
pool_cleanup(struct pool *p)
{
	struct stat st;

	if (p->socket_path != NULL && lstat(p->socket_path, &st) == 0 && st.st_ino == p->socket_ino)
		unlink(p->socket_path);
	free(p->socket_path);
	if (p->conf->pid_file[0] != '\0')
		unlink(p->conf->pid_file);
	scoreboard_queue_probe_close(&p->queue);
	scoreboard_destroy(p->sb);
	ratelimit_teardown();
	close(sigpipe_fds[0]);
	close(sigpipe_fds[1]);
	conf_free(p->conf);
	log_close();
}

/* Opens the queue probe and says what we listen on. */
static void
pool_announce(struct pool *p, bool inherited)
{
	if (scoreboard_queue_probe_open(&p->queue, p->listen_fd) < 0 ||
	    scoreboard_queue_sample(p->sb, &p->queue) < 0) {
		log_info("pool: the kernel does not tell this socket's listen queue");
		scoreboard_queue_probe_close(&p->queue);
	}
	if (inherited)
		log_info("pool: listening on the socket passed by systemd (fd 3) with %d workers",
		    p->conf->workers);
	else
		log_info("pool: listening on %s with %d workers, listen queue up to %ld",
		    p->conf->listen, p->conf->workers, p->sb->listen_queue_limit);
}

/* A signal the handler passed through the self-pipe, in the loop. */
static void
pool_on_signal_in_loop(struct pool *p, int signo)
{
	switch (signo) {
	case SIGCHLD:
		pool_reap(p);
		break;
	case SIGTERM:
	case SIGINT:
		pool_stop(p, false);
		break;
	case SIGQUIT:
		pool_stop(p, true);
		break;
	case SIGHUP:
		if (!p->stopping)
			pool_reload(p);
		break;
	case SIGUSR1:
		log_reopen();
		pool_signal_workers(p, SIGUSR1, false);
		log_info("pool: log files reopened");
		break;
	}
}

int
pool_run(struct conf *conf, const char *conf_path)
{
	struct pool p;
	bool inherited;

	memset(&p, 0, sizeof(p));
	p.queue.diag_fd = -1;
	p.conf = conf;
	p.conf_path = conf_path;
	p.generation = 1;

	p.listen_fd = listen_inherited();
	inherited = p.listen_fd >= 0;
	if (!inherited) {
		const char *path = listen_unix_path(conf->listen);

		p.listen_fd = listen_open(conf);
		if (p.listen_fd < 0) {
			conf_free(conf);
			return 1;
		}
		if (path != NULL) {
			struct stat st;

			p.socket_path = strdup(path);
			if (stat(path, &st) == 0)
				p.socket_ino = st.st_ino;
		}
	}
	/* Until the socket is ours, errors went to standard error. */
	if (conf_open_logs(conf) < 0 || (p.sb = scoreboard_create()) == NULL ||
	    ratelimit_setup() < 0 || pool_signals_init() < 0) {
		free(p.socket_path);
		conf_free(conf);
		return 1;
	}
	p.sb->workers = conf->workers;
	p.sb->listen_fd = p.listen_fd;
	pool_write_pid(conf->pid_file);
	pool_announce(&p, inherited);
	password_dummy_prepare(conf);
	(void)password_gate_setup(conf);
	pool_fill(&p);

	for (;;) {
		struct pollfd pfd = { .fd = sigpipe_fds[0], .events = POLLIN };
		unsigned char sigs[64];
		ssize_t n;

		if (p.stopping && pool_count_live(&p, false) == 0)
			break;
		if (poll(&pfd, 1, 100) > 0) {
			while ((n = read(sigpipe_fds[0], sigs, sizeof(sigs))) > 0)
				for (ssize_t i = 0; i < n; i++)
					pool_on_signal_in_loop(&p, sigs[i]);
		}
		pool_reap(&p);
		scoreboard_queue_sample(p.sb, &p.queue);
		pool_watch_requests(&p);
		if (p.stopping && !p.graceful && time(NULL) >= p.stop_deadline &&
		    pool_count_live(&p, false) > 0) {
			log_warn("pool: stop_timeout reached, killing the remaining workers");
			pool_signal_workers(&p, SIGKILL, false);
			p.stop_deadline = time(NULL) + 3600;
		}
		pool_fill(&p);
	}
	log_info("pool: stopped");
	pool_cleanup(&p);
	return 0;
}
