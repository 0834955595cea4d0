/*
 * The ways the binary runs besides the stack's pool: one worker on fd 0
 * (spawn-fcgi), systemd socket activation, refusing a live socket, start-up
 * errors, stop and log reopening, and the command line.  Extra pools talk
 * to PostgreSQL of the test stack and are reached with cgi-fcgi, a real
 * FastCGI client.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "suites.h"

static char *
path_in_stack(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", getenv("FB_STACK_DIR"), name);
	return buf[i];
}

/* Runs a shell command; output (stdout+stderr) into out; returns exit status. */
static int
run(const char *cmd, char *out, size_t outlen)
{
	char full[4096];
	FILE *p;
	size_t n = 0;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	p = popen(full, "r");
	ck_assert_ptr_nonnull(p);
	if (out != NULL) {
		n = fread(out, 1, outlen - 1, p);
		out[n] = '\0';
	} else {
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* GET uri over FastCGI on a unix socket; returns the raw response. */
static char *
fcgi_get(const char *sock, const char *uri)
{
	static char out[8192];
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	    "env -i REQUEST_METHOD=GET REQUEST_URI='%s' SERVER_PROTOCOL=HTTP/1.1 "
	    "cgi-fcgi -bind -connect '%s'",
	    uri, sock);
	run(cmd, out, sizeof(out));
	return out;
}

static int
wait_exit(pid_t pid, double seconds)
{
	double t0 = now_s();
	int st;

	while (now_s() - t0 < seconds) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int
count_children(pid_t pid)
{
	char path[128];
	long c;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fscanf(f, "%ld", &c) == 1)
		n++;
	fclose(f);
	return n;
}

/* Starts argv with extra environment (NAME=value strings), output to a log. */
static pid_t
spawn(char *const argv[], char *const env[])
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(path_in_stack("log/modes.log"), O_WRONLY | O_CREAT | O_APPEND, 0644);

		for (; env != NULL && *env != NULL; env++)
			putenv(*env);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

START_TEST(test_fd0_single_worker_under_spawn_fcgi)
{
	char *sock = path_in_stack("run/fd0.sock");
	char *argv[] = { "spawn-fcgi", "-n", "-s", sock, "-M", "0600", "--", getenv("FLUXBASE_BIN"),
		"-c", path_in_stack("fluxbase.conf"), NULL };
	pid_t pid = spawn(argv, NULL);
	char *out;

	wait_for_socket(sock, pid);
	out = fcgi_get(sock, "/api/v1/health");
	ck_assert_msg(strstr(out, "Status: 200") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\"database\":\"ok\"") != NULL, "%s", out);
	out = fcgi_get(sock, "/api/v1/none");
	ck_assert_msg(strstr(out, "Status: 404") != NULL, "%s", out);
	/* One process, no master, no children. */
	ck_assert_int_eq(count_children(pid), 0);
	kill(pid, SIGTERM);
	ck_assert_int_eq(wait_exit(pid, 5), 0);
	unlink(sock);
}
END_TEST

START_TEST(test_systemd_socket_activation)
{
	char *sock = path_in_stack("run/sd.sock");
	/* systemd-socket-activate passes only the variables named with -E. */
	char *argv[] = { "systemd-socket-activate", "-l", sock, "-E",
		"FLUXBASE_SERVER_PID_FILE=", getenv("FLUXBASE_BIN"), "-c",
		path_in_stack("fluxbase.conf"), "serve", NULL };
	pid_t pid = spawn(argv, NULL);
	char *out;

	wait_for_socket(sock, pid);
	out = fcgi_get(sock, "/api/v1/health");
	ck_assert_msg(strstr(out, "Status: 200") != NULL, "%s", out);
	/* Our master took fd 3 and forked its workers on it. */
	ck_assert_int_eq(count_children(pid), 2);
	kill(pid, SIGTERM);
	ck_assert_int_eq(wait_exit(pid, 10), 0);
	unlink(sock);
}
END_TEST

START_TEST(test_refuses_a_live_socket)
{
	char cmd[2048], out[4096];
	int rc;

	snprintf(cmd, sizeof(cmd), "FLUXBASE_SERVER_PID_FILE= timeout 10 '%s' -c '%s' serve",
	    getenv("FLUXBASE_BIN"), path_in_stack("fluxbase.conf"));
	rc = run(cmd, out, sizeof(out));
	ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "another process is listening") != NULL, "%s", out);
	/* The running pool was not disturbed. */
	ck_assert_int_eq(get_status("/health"), 200);
}
END_TEST

START_TEST(test_bad_config_stops_startup)
{
	char cmd[2048], out[4096], *bad = path_in_stack("bad.conf");
	FILE *f;
	int rc;

	snprintf(cmd, sizeof(cmd), "FLUXBASE_SERVER_WORKERS=0 '%s' -c '%s' serve",
	    getenv("FLUXBASE_BIN"), path_in_stack("fluxbase.conf"));
	rc = run(cmd, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "FLUXBASE_SERVER_WORKERS") && strstr(out, "from 1 to 256"), "%s",
	    out);

	f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[server]\nworkers = 2\nbogus = 1\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s' serve", getenv("FLUXBASE_BIN"), bad);
	rc = run(cmd, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "bad.conf:3") && strstr(out, "bogus"), "%s", out);
	unlink(bad);
}
END_TEST

START_TEST(test_stop_replaces_stale_socket_and_cleans_up)
{
	char *sock = path_in_stack("run/alt.sock"), *pidf = path_in_stack("run/alt.pid");
	char listen_env[600], pid_env[600];
	char *argv[] = { getenv("FLUXBASE_BIN"), "-c", path_in_stack("fluxbase.conf"), "serve",
		NULL };
	char *env[] = { listen_env, pid_env, NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;
	pid_t pid;
	char *out;

	/* A stale socket: bound once, nobody listening now. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	unlink(sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);

	snprintf(listen_env, sizeof(listen_env), "FLUXBASE_SERVER_LISTEN=%s", sock);
	snprintf(pid_env, sizeof(pid_env), "FLUXBASE_SERVER_PID_FILE=%s", pidf);
	pid = spawn(argv, env);
	wait_for_socket(sock, pid);
	ck_assert_int_eq(stat(pidf, &st), 0);
	out = fcgi_get(sock, "/api/v1/health");
	ck_assert_msg(strstr(out, "Status: 200") != NULL, "%s", out);
	ck_assert_int_eq(count_children(pid), 2);
	kill(pid, SIGTERM);
	ck_assert_int_eq(wait_exit(pid, 10), 0);
	ck_assert_int_ne(stat(sock, &st), 0);
	ck_assert_int_ne(stat(pidf, &st), 0);
}
END_TEST

START_TEST(test_sigusr1_reopens_logs)
{
	char *log = path_in_stack("log/access.log"), *old = path_in_stack("log/access.log.1");
	const char *hdr[] = { "X-Request-Id: after-reopen-1", NULL };
	struct http_resp r;
	struct stat st;

	ck_assert_int_eq(rename(log, old), 0);
	ck_assert_int_eq(kill(master_pid(), SIGUSR1), 0);
	sleep_ms(500);
	/* Workers reopen before their next accept: a few requests reach all. */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(get_status("/health"), 200);
	http_do("GET", api_url("/health"), hdr, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_int_eq(stat(log, &st), 0);
	ck_assert(log_contains("after-reopen-1 GET /api/v1/health 200"));
}
END_TEST

START_TEST(test_command_line)
{
	char cmd[2048], out[8192];
	const char *bin = getenv("FLUXBASE_BIN"), *conf = path_in_stack("fluxbase.conf");
	int dots = 0;

	snprintf(cmd, sizeof(cmd), "'%s' --version", bin);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "fluxbase-fcgi " PACKAGE_VERSION "\n");
	snprintf(cmd, sizeof(cmd), "'%s' --help", bin);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
	ck_assert(strstr(out, "serve") && strstr(out, "migrate") && strstr(out, "token") &&
	    strstr(out, "check-config"));
	snprintf(cmd, sizeof(cmd), "'%s' frobnicate", bin);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 2);

	snprintf(cmd, sizeof(cmd),
	    "'%s' -c '%s' token --role service_role --sub 3f2a0e44-7a4c-4d3b-9d1e-0a6b0c1d2e3f "
	    "--ttl 60",
	    bin, conf);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
	for (char *p = out; *p; p++)
		dots += *p == '.';
	ck_assert_int_eq(dots, 2);
	ck_assert_int_eq(strncmp(out, "eyJ", 3), 0);
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s' token", bin, conf);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 2);
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s' token --role admin --sub not-a-uuid", bin, conf);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 2);

	snprintf(cmd, sizeof(cmd), "'%s' -c '%s' check-config", bin, conf);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "configuration OK") && strstr(out, "database: connected"), "%s",
	    out);
	snprintf(cmd, sizeof(cmd),
	    "FLUXBASE_DATABASE_URL='host=/nonexistent dbname=x' '%s' -c '%s' check-config", bin,
	    conf);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "cannot connect"));

	/* migrate is idempotent. */
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s' migrate", bin, conf);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "(0 migrations applied now") != NULL, "%s", out);
}
END_TEST

TCase *
modes_tcase(void)
{
	TCase *tc = tcase_create("modes");

	tcase_add_test(tc, test_fd0_single_worker_under_spawn_fcgi);
	tcase_add_test(tc, test_systemd_socket_activation);
	tcase_add_test(tc, test_refuses_a_live_socket);
	tcase_add_test(tc, test_bad_config_stops_startup);
	tcase_add_test(tc, test_stop_replaces_stale_socket_and_cleans_up);
	tcase_add_test(tc, test_sigusr1_reopens_logs);
	tcase_add_test(tc, test_command_line);
	return tc;
}
