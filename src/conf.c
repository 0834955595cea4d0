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
#include "conf_keys.h"
#include "storage/blob.h"

#define NKEYS conf_nkeys

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

	for (size_t i = 0; i < conf_nchoices; i++)
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
