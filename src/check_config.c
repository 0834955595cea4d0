/*
 * check_config.c - fluxbase-fcgi check-config: every problem a first install
 * meets, each explained in one sentence, from the configuration down to a
 * request through the web server.
 *
 * In order: the database login (it connects; it fits [database] mode: in
 * roles mode it may switch to the API roles, in single mode row-level
 * security applies to it), the migrations, the directories the workers
 * write (storage root, mail directory) or the S3 bucket answering, and in
 * single mode the tables of the exposed schemas the API will refuse with
 * 403 RLS_REQUIRED (a note each, not an error: a table may be private on
 * purpose).  With --url,
 * one request through the web server tells whether the Authorization
 * header reaches the worker (hosts strip it unless told to pass it).
 * Problems go to stderr and make the exit status 1; what is fine to
 * stdout.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check_config.h"
#include "conf.h"
#include "db.h"
#include "migrate.h"
#include "storage/blob.h"
#include "token.h"

static int problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
problem(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fluxbase-fcgi check-config: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* 0 when a file can be made in dir (made, then removed). */
static int
check_dir(const char *key, const char *dir)
{
	char path[4200];
	int fd;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return problem("%s: cannot create the directory %s", key, dir);
	snprintf(path, sizeof(path), "%s/.check-XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0)
		return problem("%s: the directory %s is not writable by this user", key, dir);
	close(fd);
	unlink(path);
	printf("%s: %s is writable\n", key, dir);
	return 0;
}

static int
check_login(struct db *db, const struct conf *c)
{
	bool single = CONF_SINGLE(c);
	/* The login (session_user), not current_user: behind a pooler in
	 * transaction mode the server connection may still have a role its
	 * last client set. */
	struct db_result *res = db_exec(db,
	    "SELECT session_user, r.rolsuper OR r.rolbypassrls,"
	    " CASE WHEN (SELECT count(*) FROM pg_roles WHERE rolname IN ('anon',"
	    "  'authenticated', 'service_role')) = 3"
	    "  THEN pg_has_role(session_user, 'anon', 'MEMBER')"
	    "  AND pg_has_role(session_user, 'authenticated', 'MEMBER')"
	    "  AND pg_has_role(session_user, 'service_role', 'MEMBER') ELSE false END,"
	    " fluxbase.migrations_applied(), fluxbase.mode()"
	    " FROM pg_roles r WHERE r.rolname = session_user",
	    0, NULL);
	char n[32];
	int rc = 0;

	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		rc = problem("[database] url: the database is not migrated for this version (%s);"
		             " run fluxbase-fcgi migrate",
		    db_result_message(res));
		db_result_free(res);
		return rc;
	}
	snprintf(n, sizeof(n), "%u", migrations_count);
	if (strcmp(db_result_value(res, 0, 3), n) != 0)
		rc |= problem("[database] url: %s of %s migrations are applied; run fluxbase-fcgi"
		              " migrate",
		    db_result_value(res, 0, 3), n);
	if (strcmp(db_result_value(res, 0, 4), single ? "single" : "roles") != 0)
		rc |=
		    problem("[database] mode: the database was migrated in %s mode; set mode = %s",
		        db_result_value(res, 0, 4), db_result_value(res, 0, 4));
	else if (single && strcmp(db_result_value(res, 0, 1), "t") == 0)
		rc |= problem("[database] url: %s is a superuser or BYPASSRLS, so no policy would"
		              " apply; single mode needs the site's own login",
		    db_result_value(res, 0, 0));
	else if (!single && strcmp(db_result_value(res, 0, 2), "t") != 0)
		rc |= problem("[database] url: %s cannot switch to anon, authenticated and"
		              " service_role; connect as authenticator (or set mode = single)",
		    db_result_value(res, 0, 0));
	if (rc == 0)
		printf("database: connected as %s, %s mode, migrated\n", db_result_value(res, 0, 0),
		    single ? "single" : "roles");
	db_result_free(res);
	return rc;
}

/* Single mode: the tables the API will refuse, a note each. */
static void
check_unprotected(struct db *db, const struct conf *c)
{
	const char *values[] = { c->tables_schemas };
	struct db_result *res = db_exec(db,
	    "SELECT n.nspname || '.' || c.relname FROM pg_class c"
	    " JOIN pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE n.nspname = ANY (string_to_array(replace($1, ' ', ''), ','))"
	    "  AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition"
	    "  AND NOT fluxbase.rls_protected(c.oid) ORDER BY 1",
	    1, values);

	for (int i = 0; db_result_status(res) == DB_OK && i < db_result_rows(res); i++)
		printf("note: %s has no forced row-level security, so the API answers 403"
		       " RLS_REQUIRED for it; SELECT auth.expose('%s', 'authenticated', 'select')"
		       " serves it\n",
		    db_result_value(res, i, 0), db_result_value(res, i, 0));
	db_result_free(res);
}

static size_t
keep_body(char *data, size_t size, size_t n, void *arg)
{
	char *buf = arg;
	size_t have = strlen(buf), add = size * n;

	if (have + add >= 4096)
		add = 4095 - have;
	memcpy(buf + have, data, add);
	buf[have + add] = '\0';
	return size * n;
}

/* One request through the web server: does Authorization arrive?  A
 * service token asks for the caller's user, which it has not: the answer
 * names what the worker saw. */
static int
check_url(const struct conf *c, const char *url)
{
	struct token_claims claims = { .role = "service_role", .ttl = 60 };
	char *tok = token_mint(&TOKEN_KEY(c), &claims, time(NULL));
	char target[2048], auth[1024], body[4096] = "";
	struct curl_slist *hdrs = NULL;
	CURL *curl = curl_easy_init();
	CURLcode cc = CURLE_FAILED_INIT;
	int rc = 0;

	snprintf(target, sizeof(target), "%s/auth/user", url);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok ? tok : "");
	if (curl != NULL && tok != NULL) {
		hdrs = curl_slist_append(hdrs, auth);
		curl_easy_setopt(curl, CURLOPT_URL, target);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, 15L);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
		cc = curl_easy_perform(curl);
	}
	if (cc != CURLE_OK)
		rc = problem("--url: %s cannot be reached: %s", target, curl_easy_strerror(cc));
	else if (strstr(body, "A bearer token is required") != NULL)
		rc = problem("--url: the Authorization header does not reach the worker behind %s;"
		             " the shipped .htaccess passes it (CGIPassAuth On, or its rewrite"
		             " fallback)",
		    url);
	else if (strstr(body, "user's access token is required") == NULL)
		rc =
		    problem("--url: %s did not answer as fluxbase-fcgi does: %.200s", target, body);
	else
		printf("url: %s reaches the workers with its Authorization header\n", url);
	curl_slist_free_all(hdrs);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	free(tok);
	return rc;
}

int
check_config(const struct conf *c, const char *url)
{
	struct db *db = db_new(c->db_url, c->db_connect_timeout);
	int rc = 0;

	if (db == NULL || db_connect(db) < 0) {
		rc |= problem("[database] url: cannot connect (wrong login, password or host?): %s",
		    db ? db_last_error(db) : "out of memory");
	} else {
		rc |= check_login(db, c);
		if (rc == 0 && CONF_SINGLE(c))
			check_unprotected(db, c);
	}
	db_free(db);
	if (strcmp(c->storage_backend, "s3") == 0) {
		char why[512];

		if (blob_store_check(c, why, sizeof(why)) < 0)
			rc |= problem("[storage] s3: %s", why);
		else
			printf("[storage] s3: bucket %s answers at %s\n", c->s3_bucket,
			    c->s3_endpoint);
	} else {
		rc |= check_dir("[storage] root", c->storage_root);
	}
	if (strcmp(c->mail_transport, "dir") == 0)
		rc |= check_dir("[mail] dir", c->mail_dir);
	if (url != NULL)
		rc |= check_url(c, url);
	return rc;
}
