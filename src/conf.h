/*
 * conf.h - the configuration: an INI file, then FLUXBASE_<SECTION>_<KEY>
 * environment overrides, each key checked against one table of known keys
 * (name, type, bounds, default).  Defaults go through the same parser as
 * the file, so a default can never be a value the file would refuse.
 */
#ifndef FLUXBASE_CONF_H
#define FLUXBASE_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

struct conf {
	char *path; /* file it was read from, or NULL */

	/* [server] */
	char *listen; /* unix socket path or host:port */
	int listen_mode;
	char *listen_owner;
	char *listen_group;
	int listen_backlog;
	int workers;
	long max_requests;
	int stop_timeout;
	size_t max_body_size;
	char *public_url;
	char *pid_file;
	char *error_log;
	char *access_log;
	int log_level; /* enum log_level */
	char *log_format; /* plain or json */
	int slowlog_timeout; /* seconds, 0: off */
	int request_timeout; /* seconds, 0: off */
	int body_timeout; /* seconds a body may take before the rate counts; 0: off */
	size_t body_min_rate; /* bytes a second that extend body_timeout */
	char *metrics_allow; /* addresses that may read /metrics */

	/* [database] */
	char *db_url;
	char *db_admin_url;
	int db_connect_timeout;
	char *db_mode; /* roles (SET ROLE per request) or single (one login) */

	/* [auth] */
	char *jwt_secret;
	char *jwt_issuer; /* iss of every token made and accepted */
	char *jwt_audience; /* aud of every token made and accepted */
	int access_token_ttl;
	bool signup_enabled;
	int password_min_length;
	int password_ops_limit;
	size_t password_mem_limit;
	int hash_concurrency; /* Argon2id computations at once in the pool; 0: the cores */
	int refresh_reuse_interval;
	int magiclink_ttl;
	int magiclink_interval;
	char *redirect_allow_list;
	char *trusted_proxy_header;
	int rate_limit_window;
	int rate_limit_signup;
	int rate_limit_signin;
	int rate_limit_refresh;
	int rate_limit_magiclink;
	int rate_limit_verify;
	char *rate_limit_store; /* memory (this pool's) or database (every process's) */
	bool confirm_email; /* signup waits for the address to be confirmed */
	int otp_length; /* digits of a one-time code */
	int otp_max_attempts; /* wrong codes before a link dies */

	/* [storage] */
	char *storage_root;
	size_t storage_max_file_size;
	char *storage_signing_key;
	int storage_max_signed_url_ttl;
	char *storage_offload; /* off, x-accel-redirect, x-sendfile */
	char *storage_offload_prefix;
	int storage_file_mode;
	int storage_public_cache_ttl; /* seconds; 0: off */
	char *storage_backend; /* fs or s3 (storage/blob.h) */
	char *s3_endpoint, *s3_region, *s3_bucket, *s3_access_key, *s3_secret_key;
	bool s3_path_style; /* endpoint/bucket/key, else bucket.endpoint/key */
	size_t s3_multipart_threshold; /* a single PUT up to it; also the part size */

	/* [mail] */
	char *mail_transport; /* dir, smtp or none */
	char *mail_dir;
	char *mail_smtp_url;
	bool mail_smtp_starttls;
	char *mail_smtp_user;
	char *mail_smtp_password;
	char *mail_from;
	char *mail_magiclink_subject;
	char *mail_templates_dir; /* TYPE.subject, TYPE.txt, TYPE.html; "" for built-ins */

	/* [tables] */
	char *tables_schemas;
	long tables_max_rows;
	bool tables_plans;
	bool tables_aggregates;
	long tables_statement_timeout; /* seconds; 0: none */
	int tables_schema_poll; /* seconds between catalog checks, single mode; 0: off */

	/* [cors] */
	char *cors_allowed_origins;
	char *cors_allowed_methods;
	char *cors_allowed_headers;
	int cors_max_age;
	bool cors_allow_credentials;
};

/*
 * Loads defaults, then path (when not NULL), then the environment.  On
 * failure returns NULL and writes one line naming file, line and key into
 * err.
 */
struct conf *conf_load(const char *path, char **environ_list, char *err, size_t errlen);
void conf_free(struct conf *c);
/* Opens the logs c names, in its [server] log_format. */
int conf_open_logs(const struct conf *c);
/* Checks what serving needs beyond syntax (a JWT secret long enough). */
int conf_check_serving(const struct conf *c, char *err, size_t errlen);
/* The path used when -c is not given. */
const char *conf_default_path(void);
/* [database] mode = single: one login, no role switching. */
#define CONF_SINGLE(c) ((c)->db_mode[0] == 's')
/* The table of known keys, for documentation checks. */
struct conf_key_info {
	const char *section;
	const char *key;
	const char *def;
};
size_t conf_key_count(void);
struct conf_key_info conf_key_at(size_t i);

#define CONF_MAX_WORKERS 256
#define CONF_MIN_SECRET_LEN 32

#endif
