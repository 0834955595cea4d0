/*
 * conf_keys.c - every configuration key: its section, name, type, the
 * field of struct conf it fills, its default and its bounds (a string's
 * length, a number's range), and the values each choice key takes.
 * etc/fluxbase.conf documents each one (a unit test holds them together).
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>

#include "conf.h"
#include "conf_keys.h"

/* The values a T_CHOICE key takes, "a|b|c". */
const struct conf_choice conf_choices[] = {
	{ "auth", "rate_limit_store", "memory|database" },
	{ "database", "mode", "roles|single" },
	{ "mail", "transport", "dir|smtp|none" },
	{ "server", "log_format", "plain|json" },
	{ "storage", "offload", "off|x-accel-redirect|x-sendfile" },
	{ "storage", "backend", "fs|s3" },
};

#define F(field) offsetof(struct conf, field)

const struct conf_key conf_keys[] = {
	{ "server", "listen", T_STRING, F(listen), RUNSTATEDIR "/fluxbase/fluxbase.sock", 1, 107 },
	{ "server", "listen_mode", T_MODE, F(listen_mode), "0660", 0, 0777 },
	{ "server", "listen_owner", T_STRING, F(listen_owner), "", 0, 64 },
	{ "server", "listen_group", T_STRING, F(listen_group), "", 0, 64 },
	{ "server", "listen_backlog", T_INT, F(listen_backlog), "-1", -1, 65535 },
	{ "server", "workers", T_INT, F(workers), "4", 1, CONF_MAX_WORKERS },
	{ "server", "max_requests", T_LONG, F(max_requests), "10000", 0, LONG_MAX },
	{ "server", "stop_timeout", T_INT, F(stop_timeout), "10", 0, 3600 },
	{ "server", "max_body_size", T_SIZE, F(max_body_size), "1M", 1024, 1L << 30 },
	{ "server", "public_url", T_STRING, F(public_url), "", 0, 1024 },
	{ "server", "pid_file", T_STRING, F(pid_file), "", 0, 4096 },
	{ "server", "error_log", T_STRING, F(error_log), "-", 0, 4096 },
	{ "server", "access_log", T_STRING, F(access_log), "-", 0, 4096 },
	{ "server", "log_level", T_LEVEL, F(log_level), "info", 0, 0 },
	{ "server", "log_format", T_CHOICE, F(log_format), "plain", 0, 0 },
	{ "server", "slowlog_timeout", T_INT, F(slowlog_timeout), "5", 0, 86400 },
	{ "server", "request_timeout", T_INT, F(request_timeout), "0", 0, 86400 },
	{ "server", "body_timeout", T_INT, F(body_timeout), "20", 0, 86400 },
	{ "server", "body_min_rate", T_SIZE, F(body_min_rate), "500", 0, 1L << 30 },
	{ "server", "metrics_allow", T_STRING, F(metrics_allow), "", 0, 1024 },
	{ "database", "url", T_STRING, F(db_url), "dbname=fluxbase user=authenticator", 1, 4096 },
	{ "database", "admin_url", T_STRING, F(db_admin_url), "", 0, 4096 },
	{ "database", "connect_timeout", T_INT, F(db_connect_timeout), "3", 1, 60 },
	{ "database", "mode", T_CHOICE, F(db_mode), "roles", 0, 0 },
	{ "auth", "jwt_secret", T_SECRET, F(jwt_secret), "", 0, 4096 },
	{ "auth", "jwt_issuer", T_STRING, F(jwt_issuer), "fluxbase", 1, 256 },
	{ "auth", "jwt_audience", T_STRING, F(jwt_audience), "authenticated", 1, 256 },
	{ "auth", "access_token_ttl", T_INT, F(access_token_ttl), "900", 30, 86400 },
	{ "auth", "signup_enabled", T_BOOL, F(signup_enabled), "true", 0, 0 },
	{ "auth", "password_min_length", T_INT, F(password_min_length), "8", 6, 1024 },
	{ "auth", "password_ops_limit", T_INT, F(password_ops_limit), "2", 1, 20 },
	{ "auth", "password_mem_limit", T_SIZE, F(password_mem_limit), "64M", 8192, 1L << 30 },
	{ "auth", "hash_concurrency", T_INT, F(hash_concurrency), "0", 0, 1024 },
	{ "auth", "refresh_reuse_interval", T_INT, F(refresh_reuse_interval), "10", 0, 300 },
	{ "auth", "magiclink_ttl", T_INT, F(magiclink_ttl), "900", 60, 86400 },
	{ "auth", "magiclink_interval", T_INT, F(magiclink_interval), "60", 0, 3600 },
	{ "auth", "redirect_allow_list", T_STRING, F(redirect_allow_list), "", 0, 4096 },
	{ "auth", "trusted_proxy_header", T_STRING, F(trusted_proxy_header), "", 0, 64 },
	{ "auth", "rate_limit_window", T_INT, F(rate_limit_window), "300", 1, 86400 },
	{ "auth", "rate_limit_signup", T_INT, F(rate_limit_signup), "30", 0, 1000000 },
	{ "auth", "rate_limit_signin", T_INT, F(rate_limit_signin), "30", 0, 1000000 },
	{ "auth", "rate_limit_refresh", T_INT, F(rate_limit_refresh), "300", 0, 1000000 },
	{ "auth", "rate_limit_magiclink", T_INT, F(rate_limit_magiclink), "30", 0, 1000000 },
	{ "auth", "rate_limit_verify", T_INT, F(rate_limit_verify), "30", 0, 1000000 },
	{ "auth", "rate_limit_store", T_CHOICE, F(rate_limit_store), "memory", 0, 0 },
	{ "auth", "confirm_email", T_BOOL, F(confirm_email), "off", 0, 0 },
	{ "auth", "otp_length", T_INT, F(otp_length), "6", 6, 10 },
	{ "auth", "otp_max_attempts", T_INT, F(otp_max_attempts), "5", 1, 100 },
	{ "storage", "root", T_STRING, F(storage_root), LOCALSTATEDIR "/lib/fluxbase/storage", 1,
	    3900 },
	{ "storage", "max_file_size", T_SIZE, F(storage_max_file_size), "5G", 0, 1L << 40 },
	{ "storage", "signing_key", T_SECRET, F(storage_signing_key), "", 0, 4096 },
	{ "storage", "max_signed_url_ttl", T_INT, F(storage_max_signed_url_ttl), "604800", 1,
	    31622400 },
	{ "storage", "offload", T_CHOICE, F(storage_offload), "off", 0, 0 },
	{ "storage", "offload_prefix", T_STRING, F(storage_offload_prefix), "/_fluxbase_blobs/", 1,
	    256 },
	{ "storage", "file_mode", T_MODE, F(storage_file_mode), "0640", 0, 0666 },
	{ "storage", "public_cache_ttl", T_INT, F(storage_public_cache_ttl), "0", 0, 3600 },
	{ "storage", "backend", T_CHOICE, F(storage_backend), "fs", 0, 0 },
	{ "storage", "s3_endpoint", T_STRING, F(s3_endpoint), "", 0, 1024 },
	{ "storage", "s3_region", T_STRING, F(s3_region), "us-east-1", 1, 64 },
	{ "storage", "s3_bucket", T_STRING, F(s3_bucket), "", 0, 63 },
	{ "storage", "s3_access_key", T_STRING, F(s3_access_key), "", 0, 256 },
	{ "storage", "s3_secret_key", T_SECRET, F(s3_secret_key), "", 0, 1024 },
	{ "storage", "s3_path_style", T_BOOL, F(s3_path_style), "true", 0, 0 },
	{ "storage", "s3_multipart_threshold", T_SIZE, F(s3_multipart_threshold), "16M", 5L << 20,
	    5L << 30 },
	{ "mail", "transport", T_CHOICE, F(mail_transport), "dir", 0, 0 },
	{ "mail", "dir", T_STRING, F(mail_dir), LOCALSTATEDIR "/spool/fluxbase/mail", 0, 4096 },
	{ "mail", "smtp_url", T_STRING, F(mail_smtp_url), "", 0, 1024 },
	{ "mail", "smtp_starttls", T_BOOL, F(mail_smtp_starttls), "true", 0, 0 },
	{ "mail", "smtp_user", T_STRING, F(mail_smtp_user), "", 0, 256 },
	{ "mail", "smtp_password", T_SECRET, F(mail_smtp_password), "", 0, 1024 },
	{ "mail", "from", T_STRING, F(mail_from), "Fluxbase <no-reply@localhost>", 3, 256 },
	{ "mail", "magiclink_subject", T_STRING, F(mail_magiclink_subject), "Your sign-in link", 1,
	    256 },
	{ "mail", "templates_dir", T_STRING, F(mail_templates_dir), "", 0, 4000 },
	{ "tables", "schemas", T_STRING, F(tables_schemas), "public", 1, 1024 },
	{ "tables", "max_rows", T_LONG, F(tables_max_rows), "1000", 1, 1000000 },
	{ "tables", "plans", T_BOOL, F(tables_plans), "false", 0, 0 },
	{ "tables", "aggregates", T_BOOL, F(tables_aggregates), "true", 0, 0 },
	{ "tables", "statement_timeout", T_LONG, F(tables_statement_timeout), "10", 0, 3600 },
	{ "tables", "schema_poll", T_INT, F(tables_schema_poll), "2", 0, 3600 },
	{ "cors", "allowed_origins", T_STRING, F(cors_allowed_origins), "", 0, 4096 },
	{ "cors", "allowed_methods", T_STRING, F(cors_allowed_methods),
	    "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", 0, 1024 },
	{ "cors", "allowed_headers", T_STRING, F(cors_allowed_headers),
	    "Authorization, Content-Type, Prefer, Range, Accept, X-Request-Id, "
	    "X-Client-Info, Apikey, X-Upsert, X-Metadata, Cache-Control, Accept-Profile, "
	    "Content-Profile",
	    0, 1024 },
	{ "cors", "max_age", T_INT, F(cors_max_age), "600", 0, 86400 },
	{ "cors", "allow_credentials", T_BOOL, F(cors_allow_credentials), "false", 0, 0 },
};

const size_t conf_nkeys = sizeof(conf_keys) / sizeof(conf_keys[0]);
const size_t conf_nchoices = sizeof(conf_choices) / sizeof(conf_choices[0]);
