/*
 * Magic links delivered through a real SMTP server on loopback (Python's
 * aiosmtpd) by a second pool of the test stack, reached with cgi-fcgi.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "client.h"
#include "auth_client.h"
#include "suites.h"

/* A second pool whose mail goes through SMTP, reached with cgi-fcgi. */
static int
fcgi_post(const char *sock, const char *uri, const char *body, char *out, size_t outlen,
    const char *extra_env)
{
	char cmd[4096];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd),
	    "printf '%%s' '%s' | env -i %s REQUEST_METHOD=POST REQUEST_URI='%s' "
	    "CONTENT_TYPE=application/json CONTENT_LENGTH=%zu REMOTE_ADDR=10.0.10.1 "
	    "cgi-fcgi -bind -connect '%s' 2>&1",
	    body, extra_env, uri, strlen(body), sock);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static pid_t
start_pool(const char *sock, const char *smtp_url)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char conf[512], listen[600], url[300], logf[512];

		snprintf(conf, sizeof(conf), "%s/fluxbase.conf", getenv("FB_STACK_DIR"));
		snprintf(listen, sizeof(listen), "FLUXBASE_SERVER_LISTEN=%s", sock);
		snprintf(url, sizeof(url), "FLUXBASE_MAIL_SMTP_URL=%s", smtp_url);
		snprintf(logf, sizeof(logf), "%s/log/smtp-pool.log", getenv("FB_STACK_DIR"));
		putenv(listen);
		putenv(url);
		putenv("FLUXBASE_SERVER_PID_FILE=");
		putenv("FLUXBASE_SERVER_WORKERS=1");
		putenv("FLUXBASE_MAIL_TRANSPORT=smtp");
		putenv("FLUXBASE_MAIL_SMTP_STARTTLS=false");
		putenv("FLUXBASE_MAIL_FROM=Fluxbase Test <auth@fluxbase.test>");
		putenv("FLUXBASE_MAIL_MAGICLINK_SUBJECT=Sign in to the test");
		freopen(logf, "a", stderr);
		execl(getenv("FLUXBASE_BIN"), "fluxbase-fcgi", "-c", conf, "serve", (char *)NULL);
		_exit(127);
	}
	wait_for_socket(sock, pid);
	return pid;
}

START_TEST(test_smtp_transport)
{
	char smtpdir[512], sock[512], out[8192], url[128], cmd[1024], line[2048], link[1024] = "";
	char from[256] = "", to[256] = "", subject[256] = "";
	pid_t smtpd, pool;
	/* Below the kernel's range for client connections' local ports (32768 on). */
	int port = 20000 + (int)(getpid() % 12000) + 17;
	DIR *d;
	struct dirent *e;

	snprintf(smtpdir, sizeof(smtpdir), "%s/smtp-maildir", getenv("FB_STACK_DIR"));
	snprintf(sock, sizeof(sock), "%s/run/smtp-pool.sock", getenv("FB_STACK_DIR"));
	smtpd = fork();
	if (smtpd == 0) {
		char listen[64];

		snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
		execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen, "-c",
		    "aiosmtpd.handlers.Mailbox", smtpdir, (char *)NULL);
		_exit(127);
	}
	/* Until the SMTP server accepts connections. */
	for (int i = 0; i < 100; i++) {
		snprintf(cmd, sizeof(cmd), "exec 3<>/dev/tcp/127.0.0.1/%d", port);
		snprintf(out, sizeof(out), "bash -c '%s' 2>/dev/null", cmd);
		if (system(out) == 0)
			break;
		sleep_ms(100);
	}
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	pool = start_pool(sock, url);
	fcgi_post(sock, "/api/v1/auth/magiclink", "{\"email\":\"smtp-user@example.com\"}", out,
	    sizeof(out), "");
	ck_assert_msg(strstr(out, "Status: 200") != NULL, "%s", out);
	/* The message arrived, whole. */
	snprintf(cmd, sizeof(cmd), "%s/new", smtpdir);
	for (int i = 0; i < 50 && link[0] == '\0'; i++) {
		d = opendir(cmd);
		while (d != NULL && (e = readdir(d)) != NULL) {
			char path[1500];
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", cmd, e->d_name);
			f = fopen(path, "r");
			while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
				line[strcspn(line, "\r\n")] = '\0';
				if (strncmp(line, "From: ", 6) == 0)
					snprintf(from, sizeof(from), "%.200s", line + 6);
				else if (strncmp(line, "To: ", 4) == 0)
					snprintf(to, sizeof(to), "%.200s", line + 4);
				else if (strncmp(line, "Subject: ", 9) == 0)
					snprintf(subject, sizeof(subject), "%.200s", line + 9);
				else if (strstr(line, "verify?token=") != NULL)
					snprintf(link, sizeof(link), "%s", strstr(line, "http"));
			}
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
		if (link[0] == '\0')
			sleep_ms(100);
	}
	ck_assert_msg(link[0] != '\0', "no message in %s", cmd);
	ck_assert_str_eq(from, "Fluxbase Test <auth@fluxbase.test>");
	ck_assert_str_eq(to, "<smtp-user@example.com>");
	ck_assert_str_eq(subject, "Sign in to the test");
	remember(strchr(link, '=') + 1);
	ck_assert_int_eq(get_url("GET", link, NULL), 200);
	kill(pool, SIGTERM);
	waitpid(pool, NULL, 0);
	kill(smtpd, SIGTERM);
	waitpid(smtpd, NULL, 0);

	/* Nobody listening: the same 200, and the failure in the log. */
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port + 1);
	pool = start_pool(sock, url);
	fcgi_post(sock, "/api/v1/auth/magiclink", "{\"email\":\"smtp-down@example.com\"}", out,
	    sizeof(out), "");
	ck_assert_msg(strstr(out, "Status: 200") && strstr(out, "a link is on its way"), "%s", out);
	kill(pool, SIGTERM);
	waitpid(pool, NULL, 0);
	snprintf(cmd, sizeof(cmd),
	    "grep -q 'SMTP delivery through smtp://127.0.0.1:%d failed' '%s/log/fluxbase.log'",
	    port + 1, getenv("FB_STACK_DIR"));
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Runs last: nothing secret in any log of the run. */
TCase *
auth_smtp_tcase(void)
{
	TCase *tc = tcase_create("auth_smtp");

	tcase_add_test(tc, test_smtp_transport);
	return tc;
}
