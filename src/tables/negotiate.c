/*
 * negotiate.c - what is settled before a table request's query: its
 * preferences, media type, profile and the table it names (tables.h), then
 * plans, Location and Preference-Applied for the tables API (see
 * negotiate.h).
 *
 * /rest/v1 (r->dialect DIALECT_POSTGREST) differs from /api/v1 here only:
 * the exact name in the profile's schema (no plural, no schema.name), a
 * write answered without its rows unless asked, PGRST205 for a table
 * that is not there; the gateway's apikey query parameter is dropped from
 * the parameters on every compatibility prefix.
 *
 * Accept is read once for all media types (tables_media_of): the media
 * range with the highest q among those the tables API produces, the
 * first listed between equals, as RFC 9110 asks; q=0 refuses a type.  A
 * header naming none of them answers 406 PGRST107, as PostgREST does.
 *
 * A plan is EXPLAIN of the very statement the request would run, with the
 * same bound parameters, in the request's one round trip; it always runs
 * read-only, so EXPLAIN ANALYZE of a write is refused by PostgreSQL
 * rather than performed.  Plans show the schema's shape and its row
 * estimates, so only the service role gets them unless [tables] plans = on.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "conf.h"
#include "db.h"
#include "tables/negotiate.h"
#include "tables/tables.h"

/* Is schema one of the comma-separated list (spaces around items)?
 * *first: whether it is the first, the default schema. */
static bool
schema_listed(const char *list, const char *schema, bool *first)
{
	size_t n = strlen(schema);
	bool at_first = true;

	for (const char *s = list; *s != '\0';) {
		const char *e;
		size_t len;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		e = s + strcspn(s, ",");
		len = (size_t)(e - s);
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len > 0 && len == n && strncmp(s, schema, n) == 0) {
			*first = at_first;
			return true;
		}
		if (len > 0)
			at_first = false;
		s = e;
	}
	return false;
}

int
tables_profile(struct request *r, const char **schema)
{
	bool reading = r->method == HTTP_GET || r->method == HTTP_HEAD;
	const char *h = request_header(r, reading ? "Accept-Profile" : "Content-Profile");
	bool first;

	*schema = NULL;
	if (h == NULL || h[0] == '\0')
		return 0;
	if (!schema_listed(r->conf->tables_schemas, h, &first)) {
		struct strbuf sb;
		const char *s = r->conf->tables_schemas;

		/* The list as configured, each name once separated by ", ". */
		strbuf_init(&sb, r->arena, 64);
		while (*s != '\0') {
			size_t len;

			while (*s == ' ' || *s == '\t' || *s == ',')
				s++;
			len = strcspn(s, ",");
			while (len > 0 && isspace((unsigned char)s[len - 1]))
				len--;
			if (len > 0)
				strbuf_printf(&sb, "%s%.*s", sb.len ? ", " : "", (int)len, s);
			s += strcspn(s, ",");
		}
		return response_error_detail(r, 406, "PGRST106",
		    arena_printf(r->arena, "The schema must be one of the following: %s", sb.data),
		    NULL, NULL);
	}
	*schema = arena_strdup(r->arena, h);
	response_header(r, "Content-Profile", *schema);
	return 0;
}

const char *
tables_profile_name(struct request *r, const char *schema, const char *name)
{
	bool first = false;

	if (schema == NULL || (schema_listed(r->conf->tables_schemas, schema, &first) && first))
		return name;
	return arena_printf(r->arena, "%s.%s", schema, name);
}

/* "options=analyze|verbose" of the Accept header into SQL options. */
static int
plan_options(struct request *r, const char *accept, struct plan_media *pm)
{
	static const char *const known[] = { "analyze", "verbose", "settings", "buffers", "wal" };
	const char *o = strstr(accept, "options=");
	struct strbuf sb;

	strbuf_init(&sb, r->arena, 64);
	pm->options = "";
	if (o == NULL)
		return 0;
	for (o += 8; *o != '\0' && *o != ';' && *o != ',';) {
		size_t len = strcspn(o, "|;, ");
		size_t k = 0;

		while (k < sizeof(known) / sizeof(known[0]) &&
		    !(strlen(known[k]) == len && strncasecmp(known[k], o, len) == 0))
			k++;
		if (len > 0 && k == sizeof(known) / sizeof(known[0]))
			return response_error_detail(r, 400, "PGRST100",
			    arena_printf(r->arena, "Unknown plan option \"%.*s\"", (int)len, o),
			    "The options are analyze, verbose, settings, buffers and wal", NULL);
		if (len > 0) {
			strbuf_printf(&sb, ", %s", known[k]);
			pm->analyze |= k == 0;
		}
		o += len;
		while (*o == '|' || *o == ' ')
			o++;
	}
	pm->options = sb.data;
	for (char *c = sb.data; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return 0;
}

/* Is the media range [s, s+n) the type name (case-insensitive)? */
static bool
media_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* What one media range of Accept names, or MEDIA_NONE. */
static enum tables_media
media_of_range(const char *s, size_t n)
{
	static const struct {
		const char *name;
		enum tables_media media;
	} known[] = {
		{ "application/json", MEDIA_JSON },
		{ "application/vnd.pgrst.array+json", MEDIA_JSON },
		{ "application/*", MEDIA_JSON },
		{ "*/*", MEDIA_JSON },
		{ "application/vnd.pgrst.object+json", MEDIA_OBJECT },
		{ "application/vnd.pgrst.object", MEDIA_OBJECT },
		{ "text/csv", MEDIA_CSV },
		{ "application/geo+json", MEDIA_GEOJSON },
		{ "application/vnd.pgrst.plan", MEDIA_PLAN },
		{ "application/vnd.pgrst.plan+json", MEDIA_PLAN },
		{ "application/vnd.pgrst.plan+text", MEDIA_PLAN },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (media_is(s, n, known[i].name))
			return known[i].media;
	return MEDIA_NONE;
}

/* The q parameter of a media range's parameters [p, e): 1 when absent or
 * malformed, as RFC 9110 leaves it to the server. */
static double
media_q(const char *p, const char *e)
{
	for (; p < e; p++) {
		char *end;
		double q;

		if (*p != ';')
			continue;
		while (p + 1 < e && (p[1] == ' ' || p[1] == '\t'))
			p++;
		if (e - p < 3 || strncasecmp(p + 1, "q=", 2) != 0)
			continue;
		q = strtod(p + 3, &end);
		return end == p + 3 || q < 0 || q > 1 ? 1 : q;
	}
	return 1;
}

/* The end of the media range starting at s: its comma, or the end
 * (a comma inside a quoted parameter value does not count). */
static const char *
media_range_end(const char *s)
{
	bool quoted = false;

	for (; *s != '\0' && (quoted || *s != ','); s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == '\\' && quoted && s[1] != '\0')
			s++;
	}
	return s;
}

enum tables_media
tables_media_of(const char *accept, const char **range)
{
	enum tables_media best = MEDIA_NONE;
	double best_q = 0;

	if (range != NULL)
		*range = NULL;
	if (accept == NULL || accept[strspn(accept, " \t")] == '\0')
		return MEDIA_JSON;
	for (const char *s = accept; *s != '\0';) {
		const char *e = media_range_end(s);
		size_t n;
		enum tables_media m;
		double q;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		n = strcspn(s, ";,");
		if (s + n > e)
			n = (size_t)(e - s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		m = media_of_range(s, n);
		q = media_q(s + n, e);
		/* The highest q wins; between equals, the first listed. */
		if (m != MEDIA_NONE && q > best_q) {
			best = m;
			best_q = q;
			if (range != NULL)
				*range = s;
		}
		s = *e == ',' ? e + 1 : e;
	}
	return best;
}

int
tables_accept(struct request *r, enum tables_media *media)
{
	const char *accept = request_header(r, "Accept");

	*media = tables_media_of(accept, NULL);
	if (*media != MEDIA_NONE)
		return 0;
	return response_error_detail(r, 406, "PGRST107",
	    arena_printf(r->arena, "None of these media types are available: %s", accept), NULL,
	    NULL);
}

int
tables_plan_media(struct request *r, struct plan_media *pm)
{
	const char *m;

	memset(pm, 0, sizeof(*pm));
	if (tables_media_of(request_header(r, "Accept"), &m) != MEDIA_PLAN)
		return 0;
	pm->wanted = true;
	pm->json = strncasecmp(m + 26, "+json", 5) == 0;
	if (strcmp(r->role, "service_role") != 0 && !r->conf->tables_plans)
		return response_error_detail(r, 406, "PGRST107",
		    arena_printf(r->arena, "None of these media types are available: %s",
		        pm->json ? "application/vnd.pgrst.plan+json"
		                 : "application/vnd.pgrst.plan+text"),
		    NULL, NULL);
	return plan_options(r, m, pm);
}

const char *
tables_plan_sql(struct request *r, const struct plan_media *pm, const char *sql)
{
	return arena_printf(r->arena, "EXPLAIN (FORMAT %s%s) %s", pm->json ? "JSON" : "TEXT",
	    pm->options, sql);
}

void
tables_plan_respond(struct request *r, const struct plan_media *pm, struct db_result *res)
{
	struct strbuf sb;
	int rows = db_result_rows(res);

	strbuf_init(&sb, r->arena, 1024);
	for (int i = 0; i < rows; i++)
		strbuf_printf(&sb, "%s%s", i && !pm->json ? "\n" : "", db_result_value(res, i, 0));
	response_json(r, 200, sb.data, sb.len);
	r->resp.content_type = pm->json
	    ? "application/vnd.pgrst.plan+json; for=\"application/json\"; charset=utf-8"
	    : "application/vnd.pgrst.plan+text; for=\"application/json\"; charset=utf-8";
}

static bool
is_geo(const struct sc_column *c)
{
	return strcmp(c->typname, "geometry") == 0 || strcmp(c->typname, "geography") == 0;
}

/* The first geometry or geography column p reads, or -1. */
static int
geo_column(const struct sc_table *t, const struct plan *p)
{
	for (int i = 0; i < t->ncolumns; i++) {
		bool read = p->select == NULL;

		for (int k = 0; k < p->nselect && !read; k++)
			read = p->select[k].kind == SEL_STAR ||
			    (p->select[k].kind == SEL_COLUMN && p->select[k].ref.column == i);
		if (read && is_geo(&t->columns[i]))
			return i;
	}
	return -1;
}

int
tables_geojson_media(struct request *r, const struct sc_table *t, const struct plan *p,
    const char **fn)
{
	const char *type, *dot = NULL;
	int col;

	*fn = NULL;
	if (tables_media_of(request_header(r, "Accept"), NULL) != MEDIA_GEOJSON)
		return 0;
	if ((col = geo_column(t, p)) < 0)
		return response_error_detail(r, 406, "PGRST107",
		    "None of these media types are available: application/geo+json",
		    arena_printf(r->arena, "The columns read of %s hold no geometry or geography",
		        t->url_name),
		    NULL);
	/* format_type() qualifies the type when its schema is off the search
	 * path; PostGIS's functions live in the same schema as its types. */
	type = t->columns[col].type;
	for (size_t i = 0, n = strcspn(type, "("); i < n; i++)
		if (type[i] == '.')
			dot = type + i;
	*fn = dot == NULL ? "st_asgeojson"
	                  : arena_printf(r->arena, "%.*s.st_asgeojson", (int)(dot - type), type);
	return 0;
}

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static void
put_encoded(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~')
			strbuf_putc(sb, (char)*c);
		else
			strbuf_printf(sb, "%%%c%c", hex[*c >> 4], hex[*c & 15]);
	}
}

const char *
tables_location(struct request *r, const char *rows_json)
{
	struct json_object *rows = json_tokener_parse(rows_json), *row;
	struct strbuf sb;
	bool first = true;

	if (rows == NULL || !json_object_is_type(rows, json_type_array) ||
	    json_object_array_length(rows) != 1 ||
	    !json_object_is_type(row = json_object_array_get_idx(rows, 0), json_type_object)) {
		json_object_put(rows);
		return NULL;
	}
	strbuf_init(&sb, r->arena, 128);
	strbuf_printf(&sb, "%s?", r->raw_path);
	json_object_object_foreach(row, key, val)
	{
		strbuf_puts(&sb, first ? "" : "&");
		put_encoded(&sb, key);
		strbuf_puts(&sb, "=eq.");
		put_encoded(&sb, val == NULL ? "null" : json_object_get_string(val));
		first = false;
	}
	json_object_put(rows);
	return first ? NULL : sb.data;
}

long
tables_max_affected(const struct request *r, const struct prefer *p, bool insert)
{
	/* PATCH, DELETE, and a function's call: a POST that is no insert. */
	bool applies = r->method == HTTP_PATCH || r->method == HTTP_DELETE ||
	    (r->method == HTTP_POST && !insert);

	return p->strict && applies ? p->max_affected : 0;
}

void
tables_preference_applied(struct request *r, const struct prefer *p, bool insert)
{
	static const char *const ret[] = { [RETURN_REPRESENTATION] = "return=representation",
		[RETURN_MINIMAL] = "return=minimal",
		[RETURN_HEADERS_ONLY] = "return=headers-only" };
	static const char *const count[] = { [COUNT_EXACT] = "count=exact",
		[COUNT_PLANNED] = "count=planned",
		[COUNT_ESTIMATED] = "count=estimated" };
	struct strbuf sb;

	strbuf_init(&sb, r->arena, 64);
	if (insert && p->resolution != RESOLUTION_NONE)
		strbuf_puts(&sb,
		    p->resolution == RESOLUTION_MERGE ? "resolution=merge-duplicates"
		                                      : "resolution=ignore-duplicates");
	if (insert && p->missing_default)
		strbuf_printf(&sb, "%smissing=default", sb.len ? ", " : "");
	if (p->ret_given && r->method != HTTP_GET && r->method != HTTP_HEAD)
		strbuf_printf(&sb, "%s%s", sb.len ? ", " : "", ret[p->ret]);
	if (p->count != COUNT_NONE)
		strbuf_printf(&sb, "%s%s", sb.len ? ", " : "", count[p->count]);
	if (p->tx_given)
		strbuf_printf(&sb, "%stx=%s", sb.len ? ", " : "",
		    p->tx_rollback ? "rollback" : "commit");
	if (p->handling_given)
		strbuf_printf(&sb, "%shandling=%s", sb.len ? ", " : "",
		    p->strict ? "strict" : "lenient");
	if (tables_max_affected(r, p, insert) > 0)
		strbuf_printf(&sb, "%smax-affected=%ld", sb.len ? ", " : "", p->max_affected);
	if (sb.len > 0)
		response_header(r, "Preference-Applied", sb.data);
}

/*
 * Single mode ([database] mode = single), before any SQL: a table its
 * policies do not guard against its owner (every request's login) is 403
 * RLS_REQUIRED; and a command the caller's role was not given by
 * auth.expose is refused as roles mode's missing GRANT is (42501: 401 for
 * anon, 403 for others), here because the restrictive policy that says
 * the same raises only on a row it gets to see.
 */
int
tables_single_gate(struct request *r, const struct sc_table *t)
{
	int role = schema_role_index(r->role);
	unsigned need = r->method == HTTP_GET || r->method == HTTP_HEAD ? PRIV_SELECT
	    : r->method == HTTP_POST                                    ? PRIV_INSERT
	    : r->method == HTTP_PUT                                     ? PRIV_INSERT | PRIV_UPDATE
	    : r->method == HTTP_PATCH                                   ? PRIV_UPDATE
	                                                                : PRIV_DELETE;

	if (!CONF_SINGLE(r->conf))
		return 0;
	if (t->unprotected)
		return response_error_detail(r, 403, "RLS_REQUIRED",
		    arena_printf(r->arena, "%s is not protected by row-level security",
		        t->url_name),
		    "In single mode every request runs as the database login, which owns the table:"
		    " its policies apply only when row-level security is enabled and forced",
		    schema_rls_hint(r->arena, t));
	if (role < 0 || (t->privileges[role] & need) == need)
		return 0;
	return tables_not_exposed(r, "table", t->name, "auth.expose");
}

int
tables_not_exposed(struct request *r, const char *kind, const char *name, const char *how)
{
	return response_error_detail(r, r->has_token && strcmp(r->role, "anon") != 0 ? 403 : 401,
	    "42501", arena_printf(r->arena, "permission denied for %s %s", kind, name), NULL,
	    arena_printf(r->arena, "It is not exposed to %s for this (%s)", r->role, how));
}

static time_t last_miss_reload;

const struct sc_table *
tables_lookup(struct request *r, const char *name, bool exact)
{
	const struct sc_table *t;

	if (schema_ensure(r->schema, r->db, r->conf->tables_schemas) < 0)
		return NULL;
	t = exact ? schema_find_exact(r->schema, name) : schema_find(r->schema, name);
	/* A table created a moment ago: one fresh load, at most once a second. */
	if (t == NULL && time(NULL) != last_miss_reload) {
		last_miss_reload = time(NULL);
		if (schema_load(r->schema, r->db, r->conf->tables_schemas) == 0)
			t = exact ? schema_find_exact(r->schema, name)
			          : schema_find(r->schema, name);
	}
	return t;
}

/* On the compatibility prefixes the gateway's apikey may come as a query
 * parameter (compat.c has read it): it is neither a filter nor an
 * argument. */
static void
drop_apikey_param(struct request *r)
{
	size_t n = 0;

	if (r->dialect == DIALECT_FLUXBASE)
		return;
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, "apikey") != 0)
			r->params[n++] = r->params[i];
	r->nparams = n;
}

/* Prefer with handling=strict, the profile and the plan media type:
 * what is settled before the table is looked up. */
int
tables_negotiate(struct request *r, struct tctx *c, const char **name)
{
	enum tables_media media;

	drop_apikey_param(r);
	query_parse_prefer(request_header(r, "Prefer"), &c->prefer);
	/* PostgREST answers a write without its rows unless asked to
	 * (return=representation, as supabase-js's .select() does). */
	if (r->dialect == DIALECT_POSTGREST && !c->prefer.ret_given)
		c->prefer.ret = RETURN_MINIMAL;
	if (c->prefer.strict && c->prefer.invalid[0] != '\0')
		return response_error_detail(r, 400, "PGRST122",
		    "Invalid preferences given with handling=strict",
		    arena_printf(r->arena, "Invalid preferences: %s", c->prefer.invalid), NULL);
	if (tables_accept(r, &media) < 0 || tables_profile(r, &c->profile) < 0 ||
	    tables_plan_media(r, &c->pm) < 0)
		return -1;
	c->singular = c->opts.singular = media == MEDIA_OBJECT;
	c->opts.body = media == MEDIA_CSV ? SQL_BODY_CSV
	    : c->singular                 ? SQL_BODY_OBJECT
	                                  : SQL_BODY_ARRAY;
	*name = tables_profile_name(r, c->profile, *name);
	return 0;
}

/* 404: ours names the table; PostgREST's (PGRST205) names it in its
 * schema, and the table it would be on /api/v1 (a plural) as a hint. */
int
tables_not_found(struct request *r, const struct tctx *c, const char *name)
{
	const char *raw = r->path_params[0];
	const struct sc_table *near;

	if (!r->schema->loaded)
		return response_db_unavailable(r);
	if (r->dialect != DIALECT_POSTGREST)
		return response_error_detail(r, 404, "NOT_FOUND",
		    arena_printf(r->arena, "Table \"%s\" not found", name), NULL, NULL);
	near = schema_find(r->schema, name);
	return response_error_detail(r, 404, "PGRST205",
	    arena_printf(r->arena, "Could not find the table '%s.%s' in the schema cache",
	        c->profile                      ? c->profile
	            : r->schema->default_schema ? r->schema->default_schema
	                                        : "public",
	        raw),
	    NULL,
	    near != NULL && (c->profile == NULL || strcmp(near->schema, c->profile) == 0)
	        ? arena_printf(r->arena, "Perhaps you meant the table '%s.%s'", near->schema,
	              near->name)
	        : NULL);
}
