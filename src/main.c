/*
 * main.c - command line: serve, migrate, token, keys, check-config.
 *
 * Started with a listening socket on fd 0 (by a web server, spawn-fcgi or
 * mod_fcgid) the program is one worker and does not fork, whatever the
 * command line says besides the config path.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/password.h"
#include "check_config.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "listen.h"
#include "pool.h"
#include "scoreboard.h"
#include "storage/gc.h"
#include "token.h"
#include "worker.h"

extern char **environ;

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: fluxbase-fcgi [-c PATH] COMMAND [OPTIONS]\n"
	    "\n"
	    "Commands:\n"
	    "  serve                 run the pool of FastCGI workers (one worker, no fork,\n"
	    "                        when started with a listening socket on fd 0)\n"
	    "  migrate               apply the pending database migrations\n"
	    "  token --role ROLE [--sub UUID] [--email EMAIL] [--ttl SECONDS]\n"
	    "                        print a signed HS256 token (default ttl 3600);\n"
	    "                        --role service_role gives a service key\n"
	    "  keys                  print the anon key and the service key (the apikey\n"
	    "                        of /rest/v1, /auth/v1, /storage/v1; valid 10 years)\n"
	    "                        as FLUXBASE_ANON_KEY=... and FLUXBASE_SERVICE_KEY=...\n"
	    "  check-config [--url URL]\n"
	    "                        validate the configuration, the database login and its\n"
	    "                        migrations, the writable directories; with --url (the\n"
	    "                        API's base, .../api/v1) that Authorization reaches us\n"
	    "  storage-gc [--min-age SECONDS] [--check]\n"
	    "                        remove blobs no object points to and abandoned uploads\n"
	    "                        older than --min-age (default 3600); --check only\n"
	    "                        reports, and fails when storage and database disagree\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config PATH     configuration file (default %s)\n"
	    "  -h, --help            this help\n"
	    "  -V, --version         print the version\n"
	    "\n"
	    "Every key can be overridden by FLUXBASE_<SECTION>_<KEY> in the environment.\n",
	    conf_default_path());
}

struct args {
	const char *config;
	const char *command;
	const char *role;
	const char *sub;
	const char *email;
	const char *ttl;
	const char *min_age;
	const char *url;
	bool check;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **slot = NULL;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
			printf("fluxbase-fcgi %s\n", PACKAGE_VERSION);
			exit(0);
		}
		if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0)
			slot = &a->config;
		else if (strcmp(arg, "--role") == 0)
			slot = &a->role;
		else if (strcmp(arg, "--sub") == 0)
			slot = &a->sub;
		else if (strcmp(arg, "--email") == 0)
			slot = &a->email;
		else if (strcmp(arg, "--ttl") == 0)
			slot = &a->ttl;
		else if (strcmp(arg, "--min-age") == 0)
			slot = &a->min_age;
		else if (strcmp(arg, "--url") == 0)
			slot = &a->url;
		if (strcmp(arg, "--check") == 0) {
			a->check = true;
			continue;
		}
		if (slot != NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "fluxbase-fcgi: %s needs a value\n", arg);
				return -1;
			}
			*slot = argv[++i];
			continue;
		}
		if (arg[0] == '-' || a->command != NULL) {
			fprintf(stderr, "fluxbase-fcgi: unexpected argument %s (see --help)\n",
			    arg);
			return -1;
		}
		a->command = arg;
	}
	return 0;
}

static struct conf *
load_conf(const struct args *a, bool serving)
{
	char err[1024];
	const char *path = a->config ? a->config : conf_default_path();
	struct conf *c = conf_load(path, environ, err, sizeof(err));

	if (c == NULL || (serving && conf_check_serving(c, err, sizeof(err)) < 0)) {
		fprintf(stderr, "fluxbase-fcgi: %s\n", err);
		conf_free(c);
		return NULL;
	}
	return c;
}

static int
cmd_serve(const struct args *a, bool on_fd0)
{
	struct conf *c = load_conf(a, true);
	int rc;

	if (c == NULL)
		return 1;
	if (on_fd0) {
		struct scoreboard *sb = scoreboard_create();

		if (sb == NULL || conf_open_logs(c) < 0)
			return 1;
		log_info("serve: one worker on the socket passed as fd 0");
		password_dummy_prepare(c);
		sb->slots[0].pid = getpid();
		sb->workers = 1;
		sb->listen_fd = 0;
		rc = worker_run(c, 0, sb, &sb->slots[0], true);
		scoreboard_destroy(sb);
		conf_free(c);
		log_close();
		return rc;
	}
	rc = pool_run(c, a->config ? a->config : conf_default_path());
	return rc;
}

static int
cmd_token(const struct args *a)
{
	struct token_claims claims = { 0 };
	struct conf *c;
	char *tok, *end;

	if (a->role == NULL || !token_role_is_valid(a->role)) {
		fprintf(stderr,
		    "fluxbase-fcgi token: --role is required: a role name such as "
		    "service_role, authenticated or anon\n");
		return 2;
	}
	if (a->sub != NULL && !token_uuid_is_valid(a->sub)) {
		fprintf(stderr, "fluxbase-fcgi token: --sub must be a UUID\n");
		return 2;
	}
	claims.role = a->role;
	claims.sub = a->sub;
	claims.email = a->email;
	claims.ttl = 3600;
	if (a->ttl != NULL) {
		errno = 0;
		claims.ttl = strtol(a->ttl, &end, 10);
		if (errno != 0 || *end != '\0' || claims.ttl < 1 ||
		    claims.ttl > 10L * 366 * 86400) {
			fprintf(stderr,
			    "fluxbase-fcgi token: --ttl must be 1 to 316224000 seconds\n");
			return 2;
		}
	}
	if ((c = load_conf(a, true)) == NULL)
		return 1;
	tok = token_mint(&TOKEN_KEY(c), &claims, time(NULL));
	conf_free(c);
	if (tok == NULL) {
		fprintf(stderr, "fluxbase-fcgi token: could not sign the token\n");
		return 1;
	}
	printf("%s\n", tok);
	free(tok);
	return 0;
}

/* The project's two keys, as supabase-js is given them: tokens of the anon
 * and the service role without a user, signed like every token, for as
 * long as `token` allows.  Shell-sourceable. */
static int
cmd_keys(const struct args *a)
{
	static const struct {
		const char *var, *role;
	} keys[] = { { "FLUXBASE_ANON_KEY", "anon" }, { "FLUXBASE_SERVICE_KEY", "service_role" } };
	struct conf *c;
	char *tok[2];
	time_t now = time(NULL);

	if ((c = load_conf(a, true)) == NULL)
		return 1;
	for (int i = 0; i < 2; i++) {
		struct token_claims claims = { .role = keys[i].role, .ttl = 10L * 366 * 86400 };

		tok[i] = token_mint(&TOKEN_KEY(c), &claims, now);
	}
	conf_free(c);
	if (tok[0] == NULL || tok[1] == NULL) {
		fprintf(stderr, "fluxbase-fcgi keys: could not sign the keys\n");
		free(tok[0]);
		free(tok[1]);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		printf("%s=%s\n", keys[i].var, tok[i]);
		free(tok[i]);
	}
	return 0;
}

static int
cmd_check_config(const struct args *a)
{
	struct conf *c = load_conf(a, true);
	int rc;

	if (c == NULL)
		return 1;
	printf("%s: configuration OK\n", c->path ? c->path : "(defaults)");
	rc = check_config(c, a->url);
	conf_free(c);
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a;
	bool on_fd0;

	if (sodium_init() < 0) {
		fprintf(stderr, "fluxbase-fcgi: libsodium failed to initialise\n");
		return 1;
	}
	if (parse_args(argc, argv, &a) < 0)
		return 2;
	on_fd0 = listen_fd_is_listener(0);
	if (a.command == NULL && on_fd0)
		return cmd_serve(&a, true);
	if (a.command == NULL) {
		usage(stderr);
		return 2;
	}
	if (strcmp(a.command, "serve") == 0)
		return cmd_serve(&a, on_fd0);
	if (strcmp(a.command, "migrate") == 0) {
		struct conf *c = load_conf(&a, false);
		int rc;

		if (c == NULL)
			return 1;
		rc = migrate_run(c) < 0 ? 1 : 0;
		conf_free(c);
		return rc;
	}
	if (strcmp(a.command, "token") == 0)
		return cmd_token(&a);
	if (strcmp(a.command, "keys") == 0)
		return cmd_keys(&a);
	if (strcmp(a.command, "check-config") == 0)
		return cmd_check_config(&a);
	if (strcmp(a.command, "storage-gc") == 0) {
		struct conf *c = load_conf(&a, false);
		long min_age = 3600;
		char *end;
		int rc;

		if (c == NULL)
			return 1;
		if (a.min_age != NULL) {
			min_age = strtol(a.min_age, &end, 10);
			if (*end != '\0' || min_age < 0) {
				fprintf(stderr,
				    "fluxbase-fcgi storage-gc: --min-age takes seconds\n");
				conf_free(c);
				return 2;
			}
		}
		rc = storage_gc(c, min_age, a.check);
		conf_free(c);
		return rc;
	}
	fprintf(stderr, "fluxbase-fcgi: unknown command %s (see --help)\n", a.command);
	return 2;
}
