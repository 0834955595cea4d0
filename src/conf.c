/*
 * conf.c - INI parsing and validation against the table of known keys.
 *
 * Syntax: "[section]", "key = value", whole-line comments starting with
 * '#' or ';'.  A value may be wrapped in double quotes to keep leading or
 * trailing blanks.  There are no inline comments: a secret may contain '#'.
 * A key ending in "_file" names a file whose contents become the value of
 * the key without the suffix, so secrets can stay out of the config.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "storage/blob.h"

enum conf_type { T_STRING, T_INT, T_LONG, T_SIZE, T_BOOL, T_MODE, T_LEVEL, T_SECRET, T_CHOICE };

struct conf_key {
	const char *section;
	const char *key;
	enum conf_type type;
	size_t offset;
	const char *def;
	long min, max;
};

/* The values a T_CHOICE key takes, "a|b|c". */
static const struct {
	const char *section, *key, *choices;
} conf_choices[] = {
	{ "auth", "rate_limit_store", "memory|database" },
	{ "database", "mode", "roles|single" },
	{ "mail", "transport", "dir|smtp|none" },
	{ "server", "log_format", "plain|json" },
	{ "storage", "offload", "off|x-accel-redirect|x-sendfile" },
	{ "storage", "backend", "fs|s3" },
};

#define F(field) offsetof(struct conf, field)

static const struct conf_key conf_keys[] = {
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

#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

size_t
conf_key_count(void)
{
	return NKEYS;
}

struct conf_key_info
conf_key_at(size_t i)
{
	struct conf_key_info info = { conf_keys[i].section, conf_keys[i].key, conf_keys[i].def };
	return info;
}

static int __attribute__((format(printf, 5, 6))) conf_error(char *err, size_t errlen,
    const char *where, const struct conf_key *k, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (k != NULL)
		snprintf(err, errlen, "%s: [%s] %s: %s", where, k->section, k->key, msg);
	else
		snprintf(err, errlen, "%s: %s", where, msg);
	return -1;
}

static const struct conf_key *
conf_find(const char *section, const char *key, size_t keylen)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strlen(conf_keys[i].key) == keylen &&
		    strncmp(conf_keys[i].key, key, keylen) == 0)
			return &conf_keys[i];
	}
	return NULL;
}

static bool
conf_section_known(const char *section)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].section, section) == 0)
			return true;
	return false;
}

static int
parse_long(const char *v, int base, long *out)
{
	char *end;
	long n;

	if (*v == '\0' || isspace((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, base);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
parse_size(const char *v, long *out)
{
	char *end;
	unsigned long long n, mult = 1;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		switch (toupper((unsigned char)*end)) {
		case 'K':
			mult = 1ULL << 10;
			break;
		case 'M':
			mult = 1ULL << 20;
			break;
		case 'G':
			mult = 1ULL << 30;
			break;
		default:
			return -1;
		}
		if (end[1] != '\0' && !(toupper((unsigned char)end[1]) == 'B' && end[2] == '\0'))
			return -1;
	}
	if (n > (unsigned long long)LONG_MAX / mult)
		return -1;
	*out = (long)(n * mult);
	return 0;
}

static int
read_secret_file(const char *path, char **out, char *why, size_t whylen)
{
	char buf[4097];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (ferror(f) || !feof(f)) {
		fclose(f);
		snprintf(why, whylen, "%s: unreadable or longer than 4096 bytes", path);
		return -1;
	}
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(why, whylen, "%s: contains a NUL byte", path);
		return -1;
	}
	*out = strdup(buf);
	return *out ? 0 : -1;
}

/* Puts a copy of v in a string field: 0, or -1 out of memory. */
static int
conf_store_string(void *field, const char *v, char *why, size_t whylen)
{
	char *s = strdup(v);

	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	free(*(char **)field);
	*(char **)field = s;
	return 0;
}

/* A secret, given directly or (from_file_key) as the path of a file. */
static int
conf_set_secret(void *field, const struct conf_key *k, const char *v, bool from_file_key, char *why,
    size_t whylen)
{
	char *s = NULL;
	int rc;

	if (from_file_key && v[0] != '\0') {
		if (read_secret_file(v, &s, why, whylen) < 0)
			return -1;
	} else if ((s = strdup(v)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (strlen(s) > (size_t)k->max) {
		free(s);
		snprintf(why, whylen, "longer than %ld bytes", k->max);
		return -1;
	}
	rc = conf_store_string(field, s, why, whylen);
	sodium_memzero(s, strlen(s));
	free(s);
	return rc;
}

/* One of the key's choices (conf_choices). */
static int
conf_set_choice(void *field, const struct conf_key *k, const char *v, char *why, size_t whylen)
{
	size_t vlen = strlen(v);
	const char *ch = NULL, *all;

	for (size_t i = 0; i < sizeof(conf_choices) / sizeof(conf_choices[0]); i++)
		if (strcmp(conf_choices[i].section, k->section) == 0 &&
		    strcmp(conf_choices[i].key, k->key) == 0)
			ch = conf_choices[i].choices;
	all = ch;
	while (ch != NULL && *ch != '\0') {
		const char *bar = strchr(ch, '|');
		size_t len = bar ? (size_t)(bar - ch) : strlen(ch);

		if (len == vlen && vlen > 0 && strncmp(ch, v, vlen) == 0)
			return conf_store_string(field, v, why, whylen);
		ch = bar ? bar + 1 : NULL;
	}
	snprintf(why, whylen, "must be one of %s, got \"%s\"", all ? all : "?", v);
	return -1;
}

/* Text of the key's length bounds, without control characters. */
static int
conf_set_text(void *field, const struct conf_key *k, const char *v, char *why, size_t whylen)
{
	if (strlen(v) < (size_t)k->min || strlen(v) > (size_t)k->max) {
		snprintf(why, whylen, "must be %ld to %ld bytes long", k->min, k->max);
		return -1;
	}
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p < 0x20) {
			snprintf(why, whylen, "contains a control character");
			return -1;
		}
	}
	return conf_store_string(field, v, why, whylen);
}

/* Parses v for key k into c; why gets the reason on failure. */
static int
conf_set(struct conf *c, const struct conf_key *k, const char *v, bool from_file_key, char *why,
    size_t whylen)
{
	void *field = (char *)c + k->offset;
	long n;

	switch (k->type) {
	case T_SECRET:
		return conf_set_secret(field, k, v, from_file_key, why, whylen);
	case T_CHOICE:
		return conf_set_choice(field, k, v, why, whylen);
	case T_STRING:
		return conf_set_text(field, k, v, why, whylen);
	case T_INT:
	case T_LONG:
		if (parse_long(v, 10, &n) < 0 || n < k->min || n > k->max) {
			snprintf(why, whylen, "must be an integer from %ld to %ld, got \"%s\"",
			    k->min, k->max, v);
			return -1;
		}
		if (k->type == T_INT)
			*(int *)field = (int)n;
		else
			*(long *)field = n;
		return 0;
	case T_SIZE:
		if (parse_size(v, &n) < 0 || n < k->min || n > k->max) {
			snprintf(why, whylen,
			    "must be a size (bytes, or with K, M or G) from %ld to %ld, got \"%s\"",
			    k->min, k->max, v);
			return -1;
		}
		*(size_t *)field = (size_t)n;
		return 0;
	case T_MODE:
		if (parse_long(v, 8, &n) < 0 || n < k->min || n > k->max) {
			snprintf(why, whylen, "must be an octal mode such as 0660, got \"%s\"", v);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	case T_BOOL:
		if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
		    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0) {
			*(bool *)field = true;
		} else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
		    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0) {
			*(bool *)field = false;
		} else {
			snprintf(why, whylen, "must be true or false, got \"%s\"", v);
			return -1;
		}
		return 0;
	case T_LEVEL: {
		enum log_level lvl;

		if (log_level_parse(v, &lvl) < 0) {
			snprintf(why, whylen, "must be debug, info, warn or error, got \"%s\"", v);
			return -1;
		}
		*(int *)field = (int)lvl;
		return 0;
	}
	}
	return -1;
}

/*
 * Resolves section + key (which may carry the "_file" suffix for secrets)
 * and sets it.
 */
static int
conf_assign(struct conf *c, const char *section, const char *key, const char *value,
    const char *where, char *err, size_t errlen)
{
	const struct conf_key *k;
	size_t keylen = strlen(key);
	bool file_key = false;
	char why[512];

	k = conf_find(section, key, keylen);
	if (k == NULL && keylen > 5 && strcmp(key + keylen - 5, "_file") == 0) {
		k = conf_find(section, key, keylen - 5);
		if (k != NULL && k->type != T_SECRET)
			k = NULL;
		file_key = k != NULL;
	}
	if (k == NULL) {
		if (!conf_section_known(section))
			return conf_error(err, errlen, where, NULL, "unknown section [%s]",
			    section);
		return conf_error(err, errlen, where, NULL, "[%s] %s: unknown key", section, key);
	}
	if (conf_set(c, k, value, file_key, why, sizeof(why)) < 0)
		return conf_error(err, errlen, where, k, "%s", why);
	return 0;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
conf_parse_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	char line[8192], section[64] = "", where[4200];
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *eq, *key, *value;
		size_t n = strlen(line);

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			fclose(f);
			return conf_error(err, errlen, where, NULL, "line too long");
		}
		p = trim(line);
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			char *close = strchr(p, ']');

			if (close == NULL || close[1] != '\0' || close - p - 1 <= 0 ||
			    (size_t)(close - p - 1) >= sizeof(section)) {
				fclose(f);
				return conf_error(err, errlen, where, NULL,
				    "malformed section header \"%s\"", p);
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(p + 1));
			if (!conf_section_known(section)) {
				fclose(f);
				return conf_error(err, errlen, where, NULL, "unknown section [%s]",
				    section);
			}
			continue;
		}
		eq = strchr(p, '=');
		if (eq == NULL) {
			fclose(f);
			return conf_error(err, errlen, where, NULL,
			    "expected \"key = value\", got \"%s\"", p);
		}
		*eq = '\0';
		key = trim(p);
		value = trim(eq + 1);
		if (section[0] == '\0') {
			fclose(f);
			return conf_error(err, errlen, where, NULL,
			    "key \"%s\" is outside any [section]", key);
		}
		n = strlen(value);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
			value[n - 1] = '\0';
			value++;
		}
		if (conf_assign(c, section, key, value, where, err, errlen) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* FLUXBASE_<SECTION>_<KEY>=value; other FLUXBASE_* names are not ours. */
static int
conf_parse_env(struct conf *c, char **env, char *err, size_t errlen)
{
	static const char prefix[] = "FLUXBASE_";

	for (; env != NULL && *env != NULL; env++) {
		const char *e = *env, *eq, *rest, *us;
		char section[64], key[128], where[300];
		size_t i, slen, klen;

		if (strncmp(e, prefix, sizeof(prefix) - 1) != 0)
			continue;
		rest = e + sizeof(prefix) - 1;
		eq = strchr(rest, '=');
		us = strchr(rest, '_');
		if (eq == NULL || us == NULL || us > eq)
			continue;
		slen = (size_t)(us - rest);
		klen = (size_t)(eq - us - 1);
		if (slen >= sizeof(section) || klen >= sizeof(key) || klen == 0)
			continue;
		for (i = 0; i < slen; i++)
			section[i] = (char)tolower((unsigned char)rest[i]);
		section[slen] = '\0';
		if (!conf_section_known(section))
			continue;
		for (i = 0; i < klen; i++)
			key[i] = (char)tolower((unsigned char)us[1 + i]);
		key[klen] = '\0';
		snprintf(where, sizeof(where), "environment %.*s", (int)(eq - e), e);
		if (conf_assign(c, section, key, eq + 1, where, err, errlen) < 0)
			return -1;
	}
	return 0;
}

struct conf *
conf_load(const char *path, char **env, char *err, size_t errlen)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		char why[512];

		if (conf_set(c, &conf_keys[i], conf_keys[i].def, false, why, sizeof(why)) < 0) {
			conf_error(err, errlen, "built-in default", &conf_keys[i], "%s", why);
			conf_free(c);
			return NULL;
		}
	}
	if (path != NULL) {
		if ((c->path = strdup(path)) == NULL || conf_parse_file(c, path, err, errlen) < 0) {
			conf_free(c);
			return NULL;
		}
	}
	if (conf_parse_env(c, env, err, errlen) < 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

int
conf_open_logs(const struct conf *c)
{
	return log_open(c->error_log, c->access_log, (enum log_level)c->log_level,
	    strcmp(c->log_format, "json") == 0);
}

int
conf_check_serving(const struct conf *c, char *err, size_t errlen)
{
	if (c->jwt_secret == NULL || strlen(c->jwt_secret) < CONF_MIN_SECRET_LEN) {
		snprintf(err, errlen,
		    "%s: [auth] jwt_secret: must be set (directly or with jwt_secret_file) and "
		    "at least %d bytes long",
		    c->path ? c->path : "configuration", CONF_MIN_SECRET_LEN);
		return -1;
	}
	return storage_conf_check(c, err, errlen);
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		if (conf_keys[i].type == T_STRING || conf_keys[i].type == T_SECRET ||
		    conf_keys[i].type == T_CHOICE) {
			char **field = (char **)((char *)c + conf_keys[i].offset);

			if (conf_keys[i].type == T_SECRET && *field != NULL)
				memset(*field, 0, strlen(*field));
			free(*field);
		}
	}
	free(c->path);
	free(c);
}

const char *
conf_default_path(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if (strcmp(exe, BUILD_BINARY) == 0)
			return BUILD_CONFIG;
	}
	return SYSCONFDIR "/fluxbase.conf";
}
