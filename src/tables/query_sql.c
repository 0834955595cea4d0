/*
 * query_sql.c - SQL text for reads and writes: the statements' frame.
 *
 * The target table is always aliased _fb_t and every column reference is
 * qualified with its level's alias (embed_sql.c renders what belongs to a
 * level: columns, filters, order, select lists, embeds), so nothing the
 * client names can be mistaken for anything else.  The rows to answer
 * with go through a CTE _fb_src, whose order json_agg keeps (a read by
 * key: a subquery of that name, no CTE; one object inserted: the insert's
 * own RETURNING); the final SELECT counts them and renders the body (JSON,
 * CSV, GeoJSON).  A whole row is always written alias.* (row_to_json(
 * _fb_src.*)): a bare alias names first a column a table may call so.
 *
 * A JSON path's keys and indexes are bound parameters (->$2::text,
 * ->$3::int); a cast's type name is the one piece of client text that
 * reaches the SQL, as a quoted identifier (SQL keyword spellings mapped to
 * catalog names first: int -> "int4").
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "session_sql.h"
#include "tables/query_sql.h"
#include "tables/sql_internal.h"

void
sql_init(struct sql_query *q, struct arena *a)
{
	memset(q, 0, sizeof(*q));
	q->arena = a;
	strbuf_init(&q->sql, a, 1024);
}

int
sql_param(struct sql_query *q, const char *value)
{
	if (q->nparams == q->cap) {
		int cap = q->cap ? q->cap * 2 : 16;
		const char **v = arena_calloc(q->arena, (size_t)cap, sizeof(*v));

		if (q->nparams > 0)
			memcpy(v, q->values, (size_t)q->nparams * sizeof(*v));
		q->values = v;
		q->cap = cap;
	}
	q->values[q->nparams++] = value;
	return q->nparams;
}

void
sql_put_param(struct sql_query *q, const char *value)
{
	strbuf_printf(&q->sql, "$%d", sql_param(q, value));
}

const char *
sql_alias(struct sql_query *q, const char *prefix)
{
	return arena_printf(q->arena, "%s%d", prefix, ++q->naliases);
}

/* SQL's spellings of built-in types, and their catalog names: a quoted
 * type name is not folded ("int" is no type, "char" is another one). */
static const char *const type_names[][2] = {
	{ "int", "int4" },
	{ "integer", "int4" },
	{ "smallint", "int2" },
	{ "bigint", "int8" },
	{ "real", "float4" },
	{ "float", "float8" },
	{ "double", "float8" },
	{ "boolean", "bool" },
	{ "decimal", "numeric" },
	{ "dec", "numeric" },
	{ "char", "bpchar" },
	{ "character", "bpchar" },
	{ "timestamptz", "timestamptz" },
};

/* A cast's type: "int4", "public"."mood", "text"[]. */
void
sql_put_type(struct sql_query *q, const char *cast)
{
	size_t n = strlen(cast);
	int dims = 0;
	char *name, *dot;

	while (n >= 2 && cast[n - 2] == '[' && cast[n - 1] == ']') {
		n -= 2;
		dims++;
	}
	/* Unquoted, as a client writes it: folded to lower case. */
	name = arena_strndup(q->arena, cast, n);
	for (char *c = name; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if ((dot = strchr(name, '.')) != NULL) {
		*dot = '\0';
		strbuf_printf(&q->sql, "%s.", schema_quote_ident(q->arena, name));
		name = dot + 1;
	} else {
		for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
			if (strcmp(name, type_names[i][0]) == 0)
				name = (char *)type_names[i][1];
	}
	strbuf_puts(&q->sql, schema_quote_ident(q->arena, name));
	while (dims-- > 0)
		strbuf_puts(&q->sql, "[]");
}

void
sql_put_colref(struct sql_query *q, const struct sql_scope *s, const struct colref *r)
{
	const struct sc_column *c = &s->t->columns[r->column];
	/* :: binds tighter than -> and ->>: a cast applies to the whole path. */
	bool paren = r->npath > 0 && r->cast != NULL;
	/* A path into an array or a composite value reads its JSON, as
	 * PostgREST does (numbers->0, num->i). */
	bool to_jsonb =
	    r->npath > 0 && strcmp(c->typname, "json") != 0 && strcmp(c->typname, "jsonb") != 0;

	if (paren)
		strbuf_putc(&q->sql, '(');
	strbuf_printf(&q->sql, to_jsonb ? "pg_catalog.to_jsonb(%s.%s)" : "%s.%s", s->alias,
	    c->quoted);
	for (int i = 0; i < r->npath; i++) {
		strbuf_puts(&q->sql, r->path[i].text ? "->>" : "->");
		sql_put_param(q, r->path[i].key);
		strbuf_puts(&q->sql, r->path[i].index ? "::int" : "::text");
	}
	if (paren)
		strbuf_putc(&q->sql, ')');
	if (r->cast != NULL) {
		strbuf_puts(&q->sql, "::");
		sql_put_type(q, r->cast);
	}
}

/* The request's table at the top level: _fb_t, in writes too (the DML's
 * alias). */
static const struct sql_scope *
top_scope(const struct sc_table *t, struct sql_scope *s)
{
	s->t = t;
	s->alias = "_fb_t";
	return s;
}

static void
put_where(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	struct sql_scope s;
	bool any = false;

	if (o->id != NULL && t->pk >= 0) {
		strbuf_printf(&q->sql, " WHERE _fb_t.%s = ", t->columns[t->pk].quoted);
		sql_put_param(q, o->id);
		any = true;
	}
	sql_put_filters(q, top_scope(t, &s), p->filters, p->nfilters, any);
}

/* The n column: the rows read or written, checked against singular and
 * max-affected (either failure fails the statement, so a write rolls
 * back). */
static void
put_row_count(struct sql_query *q, const struct sql_opts *o)
{
	/* count(*), not count(_fb_src): that would build each row's composite
	 * value once more than json_agg does (a whole-row value is never null,
	 * so both count the same). */
	if (o->singular)
		strbuf_puts(&q->sql, "fluxbase.assert_singular(");
	if (o->max_affected > 0)
		strbuf_puts(&q->sql, "fluxbase.assert_max_affected(");
	strbuf_puts(&q->sql, "pg_catalog.count(*)");
	if (o->max_affected > 0)
		strbuf_printf(&q->sql, ", %ld)", o->max_affected);
	if (o->singular)
		strbuf_putc(&q->sql, ')');
	strbuf_puts(&q->sql, " AS n, ");
}

/*
 * CSV (migration 0019's helpers, RFC 4180 fields): the header from the keys
 * of a row of NULLs (the left join of one row to no row of _fb_src), so
 * there is one even when no row is; then each row's values in key order
 * (row_to_json keeps it), lines separated by LF, as PostgREST does.
 */
static void
put_csv_body(struct sql_query *q)
{
	strbuf_puts(&q->sql,
	    "coalesce((SELECT fluxbase.csv_header(pg_catalog.row_to_json(_fb_h.*)) FROM (SELECT"
	    " _fb_s.* FROM (SELECT 1) _fb_d LEFT JOIN _fb_src _fb_s ON false) _fb_h), '')"
	    " || coalesce(pg_catalog.chr(10) || pg_catalog.string_agg("
	    "fluxbase.csv_line(pg_catalog.row_to_json(_fb_src.*)), pg_catalog.chr(10)), '')"
	    " AS body FROM _fb_src");
}

/* The final SELECT over _fb_src: total, n, body.  It ends with "FROM
 * _fb_src", no clause after: a write's reuse checks are appended to it as
 * its filter (session_sql.c, session_fold_sql). */
static void
put_result(struct sql_query *q, const struct sql_opts *o, const char *total)
{
	strbuf_printf(&q->sql, " SELECT %s AS total, ", total ? total : "NULL::bigint");
	put_row_count(q, o);
	switch (o->body) {
	case SQL_BODY_ARRAY:
		strbuf_puts(&q->sql,
		    "coalesce(pg_catalog.json_agg(_fb_src.*), '[]')::text AS body FROM _fb_src");
		break;
	case SQL_BODY_OBJECT:
		/* At most one row here (a key, one inserted object, or singular
		 * which fails otherwise): no array to build and take apart. */
		strbuf_puts(&q->sql,
		    "max(pg_catalog.row_to_json(_fb_src.*)::text) AS body FROM _fb_src");
		break;
	case SQL_BODY_NONE:
		strbuf_puts(&q->sql, "NULL::text AS body FROM _fb_src");
		break;
	case SQL_BODY_CSV:
		put_csv_body(q);
		break;
	case SQL_BODY_GEOJSON:
		/* As PostgREST 12: PostGIS makes each row a Feature (its first
		 * geometry column the geometry, the others its properties). */
		strbuf_printf(&q->sql,
		    "pg_catalog.json_build_object('type', 'FeatureCollection', 'features',"
		    " coalesce(pg_catalog.json_agg(%s(_fb_src.*)::json), '[]'))::text AS body"
		    " FROM _fb_src",
		    o->geojson_fn);
		break;
	}
}

/* The count from the table's statistics or the read's plan (planned,
 * estimated), given the exact count to fall back on. */
static const char *
estimated_count(struct sql_query *q, const struct sc_table *t, const struct sql_opts *o,
    const char *exact)
{
	const char *planned;
	int rel;

	/* The plan of the read, made as the caller (its policies shape the
	 * estimate; migration 0011); a table never analysed has no
	 * statistics to plan with: count it. */
	strbuf_init(&q->sql, q->arena, 256);
	rel = sql_param(q, t->qualified);
	strbuf_printf(&q->sql,
	    "(SELECT CASE WHEN c.reltuples < 0 THEN %s ELSE fluxbase.plan_rows(c.oid) END"
	    " FROM pg_catalog.pg_class c WHERE c.oid = $%d::regclass)",
	    exact, rel);
	planned = q->sql.data;
	if (o->count == COUNT_PLANNED)
		return planned;
	/* estimated: exact up to max_rows, the statistics beyond. */
	strbuf_init(&q->sql, q->arena, 256);
	strbuf_printf(&q->sql,
	    "(SELECT CASE WHEN s.n > %ld THEN %s ELSE s.n END FROM (SELECT"
	    " pg_catalog.count(*) AS n FROM (SELECT 1 FROM %s LIMIT %ld) l) s)",
	    o->max_rows, planned, t->qualified, o->max_rows + 1);
	return q->sql.data;
}

/*
 * The count asked for, with its own copy of the WHERE and its own
 * parameters: the parent rows, so the !inner embeds that drop parents are
 * joined (existence only).  Filters, inner embeds and a function's rows
 * have no estimate: counted exactly.
 */
static const char *
count_expr(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	struct strbuf saved = q->sql;
	struct sql_scope s;
	const char *exact, *out, *joins;

	if (o->count == COUNT_NONE)
		return NULL;
	joins = sql_inner_joins(q, top_scope(t, &s), p);
	strbuf_init(&q->sql, q->arena, 256);
	strbuf_printf(&q->sql, "(SELECT pg_catalog.count(*) FROM %s AS _fb_t%s",
	    o->from != NULL ? o->from : t->qualified, joins);
	put_where(q, t, p, o);
	strbuf_putc(&q->sql, ')');
	exact = q->sql.data;
	if (o->count == COUNT_EXACT || p->nfilters > 0 || o->id != NULL || o->from != NULL ||
	    *joins != '\0')
		out = exact;
	else
		out = estimated_count(q, t, o, exact);
	q->sql = saved;
	return out;
}

int
sql_build_read(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	long limit = p->limit >= 0 && p->limit < o->max_rows ? p->limit : o->max_rows;
	const char *total = count_expr(q, t, p, o);
	/* One row by its key: no aggregate to set up and run (a tenth of the
	 * server's time for such a read); no row at all means not found. */
	bool by_key = o->id != NULL && t->pk >= 0 && o->body == SQL_BODY_OBJECT && !o->singular;
	struct sql_scope s;
	const char *joins, *group;

	if (by_key)
		strbuf_printf(&q->sql,
		    "SELECT %s AS total, 1::bigint AS n,"
		    " pg_catalog.row_to_json(_fb_src.*)::text AS body FROM (SELECT ",
		    total ? total : "NULL::bigint");
	else
		strbuf_puts(&q->sql, "WITH _fb_src AS (SELECT ");
	joins = sql_put_select(q, top_scope(t, &s), p, &group);
	strbuf_printf(&q->sql, " FROM %s AS _fb_t%s", o->from != NULL ? o->from : t->qualified,
	    joins);
	put_where(q, t, p, o);
	strbuf_puts(&q->sql, group);
	sql_put_order(q, &s, p);
	strbuf_printf(&q->sql, " LIMIT %ld", limit);
	if (p->offset > 0)
		strbuf_printf(&q->sql, " OFFSET %ld", p->offset);
	if (by_key) {
		strbuf_puts(&q->sql, ") AS _fb_src");
		return 0;
	}
	strbuf_putc(&q->sql, ')');
	put_result(q, o, total);
	return 0;
}

/* _fb_src from the rows written (RETURNING _fb_t.* as _fb_w), embeds
 * joined to them as to a read's rows. */
static void
put_written(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	struct sql_scope s = { t, "_fb_w" };
	const char *joins, *group;

	strbuf_puts(&q->sql, " RETURNING _fb_t.*), _fb_src AS (SELECT ");
	joins = sql_put_select(q, &s, p, &group);
	strbuf_printf(&q->sql, " FROM _fb_w%s%s)", joins, group);
	put_result(q, o, NULL);
}

static void
put_column_list(struct sql_query *q, const struct sc_table *t, const int *cols, int n)
{
	strbuf_putc(&q->sql, '(');
	for (int i = 0; i < n; i++)
		strbuf_printf(&q->sql, "%s%s", i ? ", " : "", t->columns[cols[i]].quoted);
	strbuf_putc(&q->sql, ')');
}

/*
 * One column of one inserted row: the body's value, or with
 * missing=default the column's default when the row lacks the key.  The
 * default comes from the catalog, never from the client; an identity
 * column has none there (it is NOT NULL, numeric, and owns a sequence),
 * so it draws from its sequence as its DEFAULT would.
 */
static void
put_insert_value(struct sql_query *q, const struct sc_table *t, const struct sc_column *c,
    bool missing_default)
{
	bool identity = c->default_expr == NULL && c->notnull && c->typcategory == 'N';

	if (!missing_default || (c->default_expr == NULL && !identity)) {
		strbuf_printf(&q->sql, "r.%s", c->quoted);
		return;
	}
	strbuf_printf(&q->sql, "CASE WHEN e.j ? ");
	sql_put_param(q, c->name);
	strbuf_printf(&q->sql, " THEN r.%s ELSE ", c->quoted);
	if (identity) {
		strbuf_puts(&q->sql, "pg_catalog.nextval(pg_catalog.pg_get_serial_sequence(");
		sql_put_param(q, t->qualified);
		strbuf_puts(&q->sql, ", ");
		sql_put_param(q, c->name);
		strbuf_printf(&q->sql, "))::%s END", c->type);
	} else {
		strbuf_printf(&q->sql, "%s END", c->default_expr);
	}
}

/*
 * One object inserted, answered as the table's row (or not at all), with
 * no conflict to resolve and nothing counted: the insert's RETURNING is
 * the answer's one row, as a read by key's subquery is, with no CTE over
 * the row written and no aggregate (about 10 us less of PostgreSQL's time
 * per insert in the bench; bench/README.md).  The reuse checks then go in
 * its SELECT's WHERE (SESSION_FOLD_RETURNING).
 */
static bool
insert_answers_itself(const struct plan *p, const struct sql_opts *o, bool object,
    enum prefer_resolution resolution)
{
	return object && resolution == RESOLUTION_NONE && p->select == NULL && !o->singular &&
	    o->max_affected <= 0 &&
	    (o->body == SQL_BODY_OBJECT || o->body == SQL_BODY_ARRAY || o->body == SQL_BODY_NONE);
}

/* That RETURNING: json_agg's text for one row is the row's in brackets. */
static void
put_insert_returning(struct sql_query *q, const struct sql_opts *o)
{
	strbuf_puts(&q->sql, SESSION_FOLD_RETURNING);
	if (o->body == SQL_BODY_NONE)
		strbuf_puts(&q->sql, "NULL::text AS body");
	else if (o->body == SQL_BODY_ARRAY)
		strbuf_puts(&q->sql, "'[' || pg_catalog.row_to_json(_fb_t.*)::text || ']' AS body");
	else
		strbuf_puts(&q->sql, "pg_catalog.row_to_json(_fb_t.*)::text AS body");
}

int
sql_build_insert(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *cols, int ncols,
    enum prefer_resolution resolution, bool missing_default)
{
	int body = sql_param(q, body_json);
	/* One object (JSON text starts with its first character): no array
	 * to build, walk and sort, a tenth of PostgreSQL's time for a row. */
	bool object = ncols > 0 && body_json[strspn(body_json, " \t\r\n")] == '{';
	bool direct = insert_answers_itself(p, o, object, resolution);

	if (direct)
		strbuf_printf(&q->sql, "INSERT INTO %s AS _fb_t ", t->qualified);
	else if (object)
		strbuf_printf(&q->sql, "WITH _fb_w AS (INSERT INTO %s AS _fb_t ", t->qualified);
	else
		strbuf_printf(&q->sql,
		    "WITH _fb_body AS (SELECT CASE pg_catalog.jsonb_typeof(j) WHEN 'array' THEN j"
		    " ELSE pg_catalog.jsonb_build_array(j) END AS j FROM (SELECT $%d::jsonb AS j) b),"
		    " _fb_w AS (INSERT INTO %s AS _fb_t ",
		    body, t->qualified);
	if (ncols == 0) {
		/* {}: one row of defaults (the handler refuses more than one). */
		strbuf_puts(&q->sql, "DEFAULT VALUES");
	} else {
		put_column_list(q, t, cols, ncols);
		strbuf_puts(&q->sql, " SELECT ");
		for (int i = 0; i < ncols; i++) {
			const struct sc_column *c = &t->columns[cols[i]];

			if (i > 0)
				strbuf_puts(&q->sql, ", ");
			put_insert_value(q, t, c, missing_default);
		}
		if (object)
			strbuf_printf(&q->sql,
			    " FROM (SELECT $%d::jsonb AS j) e,"
			    " pg_catalog.jsonb_populate_record(NULL::%s, e.j) r",
			    body, t->qualified);
		else
			strbuf_printf(&q->sql,
			    " FROM _fb_body, pg_catalog.jsonb_array_elements(_fb_body.j) WITH ORDINALITY"
			    " e(j, i), pg_catalog.jsonb_populate_record(NULL::%s, e.j) r ORDER BY e.i",
			    t->qualified);
	}
	if (resolution != RESOLUTION_NONE) {
		const int *target = p->non_conflict > 0 ? p->on_conflict : NULL;
		int ntarget = p->non_conflict;
		int pkcols[32], npk = 0, updates = 0;

		if (target == NULL) {
			for (int i = 0; i < t->ncolumns && npk < 32; i++)
				if (t->columns[i].pk)
					pkcols[npk++] = i;
			target = pkcols;
			ntarget = npk;
		}
		if (ntarget == 0)
			return -1;
		strbuf_puts(&q->sql, " ON CONFLICT ");
		put_column_list(q, t, target, ntarget);
		/* Every column written, the conflict target's too (as PostgREST
		 * does): a row that conflicts is always updated, and so answered,
		 * even when the body names nothing but its key. */
		if (resolution == RESOLUTION_MERGE)
			for (int i = 0; i < ncols; i++)
				strbuf_printf(&q->sql, "%s%s = EXCLUDED.%s",
				    updates++ ? ", " : " DO UPDATE SET ",
				    t->columns[cols[i]].quoted, t->columns[cols[i]].quoted);
		if (updates == 0)
			strbuf_puts(&q->sql, " DO NOTHING");
	}
	if (direct)
		put_insert_returning(q, o);
	else
		put_written(q, t, p, o);
	return 0;
}

int
sql_build_update(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *cols, int ncols)
{
	int body = sql_param(q, body_json);

	if (ncols == 0)
		return -1;
	strbuf_printf(&q->sql, "WITH _fb_w AS (UPDATE %s AS _fb_t SET ", t->qualified);
	put_column_list(q, t, cols, ncols);
	strbuf_puts(&q->sql, " = (SELECT ");
	for (int i = 0; i < ncols; i++)
		strbuf_printf(&q->sql, "%sr.%s", i ? ", " : "", t->columns[cols[i]].quoted);
	strbuf_printf(&q->sql, " FROM pg_catalog.jsonb_populate_record(NULL::%s, $%d::jsonb) r)",
	    t->qualified, body);
	put_where(q, t, p, o);
	put_written(q, t, p, o);
	return 0;
}

int
sql_build_put(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *cols, int ncols)
{
	int body, id, updates = 0;

	if (t->pk < 0 || o->id == NULL)
		return -1;
	body = sql_param(q, body_json);
	id = sql_param(q, o->id);
	strbuf_printf(&q->sql,
	    "WITH _fb_r AS (SELECT * FROM pg_catalog.jsonb_populate_record(NULL::%s, $%d::jsonb)),"
	    " _fb_w AS (INSERT INTO %s AS _fb_t (",
	    t->qualified, body, t->qualified);
	/* Every writable column: from the body, the URL's key, or DEFAULT. */
	for (int i = 0, n = 0; i < t->ncolumns; i++) {
		if (t->columns[i].generated)
			continue;
		strbuf_printf(&q->sql, "%s%s", n++ ? ", " : "", t->columns[i].quoted);
	}
	strbuf_puts(&q->sql, ") VALUES (");
	for (int i = 0, n = 0; i < t->ncolumns; i++) {
		bool given = false;

		if (t->columns[i].generated)
			continue;
		for (int k = 0; k < ncols; k++)
			given |= cols[k] == i;
		strbuf_puts(&q->sql, n++ ? ", " : "");
		if (i == t->pk)
			strbuf_printf(&q->sql, "$%d", id);
		else if (given)
			strbuf_printf(&q->sql, "(SELECT %s FROM _fb_r)", t->columns[i].quoted);
		else
			strbuf_puts(&q->sql, "DEFAULT");
	}
	strbuf_printf(&q->sql, ") ON CONFLICT (%s)", t->columns[t->pk].quoted);
	for (int i = 0; i < t->ncolumns; i++) {
		if (i == t->pk || t->columns[i].generated)
			continue;
		strbuf_printf(&q->sql, "%s%s = EXCLUDED.%s", updates++ ? ", " : " DO UPDATE SET ",
		    t->columns[i].quoted, t->columns[i].quoted);
	}
	if (updates == 0)
		strbuf_puts(&q->sql, " DO NOTHING");
	put_written(q, t, p, o);
	return 0;
}

int
sql_build_delete(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	strbuf_printf(&q->sql, "WITH _fb_w AS (DELETE FROM %s AS _fb_t", t->qualified);
	put_where(q, t, p, o);
	put_written(q, t, p, o);
	return 0;
}
