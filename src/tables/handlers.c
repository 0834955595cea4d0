/*
 * tables/handlers.c - the eight routes of /api/v1/tables, and /rest/v1's
 * collections (PostgREST's PUT of one row by its key filter too).
 *
 * Each request: who is calling (session.c), which table (schema cache),
 * what is asked (query_parse.c) in which media type (negotiate.c), the
 * SQL (query_sql.c), one round trip (session_exec_tx: rolled back there
 * with Prefer: tx=rollback), and PostgreSQL's text (JSON, or CSV) written
 * straight out.  A POST body is JSON, or CSV (csv.c) read into the same
 * JSON rows.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "router.h"
#include "schema.h"
#include "session.h"
#include "tables/csv.h"
#include "tables/negotiate.h"
#include "tables/query_parse.h"
#include "tables/query_sql.h"
#include "tables/tables.h"

static int
tables_begin(struct request *r, struct tctx *c, bool reading)
{
	const char *name = r->path_params[0];
	/* /rest/v1: PostgREST's exact names, no plural, no schema.name. */
	bool exact = r->dialect == DIALECT_POSTGREST;
	struct parse_opts po = { 0 };
	struct query_error err;

	memset(c, 0, sizeof(*c));
	if (tables_negotiate(r, c, &name) < 0)
		return -1;
	c->t = tables_lookup(r, name, exact);
	if (c->t != NULL && c->profile != NULL && strcmp(c->t->schema, c->profile) != 0)
		c->t = NULL; /* schema.name of another schema than the profile's */
	if (c->t != NULL && exact && strcmp(c->t->name, r->path_params[0]) != 0)
		c->t = NULL; /* PostgREST takes no schema.name: the profile says it */
	if (c->t == NULL)
		return tables_not_found(r, c, name);
	if (tables_single_gate(r, c->t) < 0)
		return -1;
	po.sc = r->schema;
	po.aggregates = r->conf->tables_aggregates;
	po.exact_names = exact;
	po.range = reading ? request_header(r, "Range") : NULL;
	if (query_parse_plan(r->arena, c->t, r->params, r->nparams, &po, &c->plan, &err) < 0)
		return response_error_detail(r, err.status, err.code, err.message, err.details,
		    err.hint);
	c->opts.max_rows = r->conf->tables_max_rows;
	return 0;
}

/* One row answers as one object, or as CSV when that was asked for. */
static void
one_row_body(struct tctx *c)
{
	if (c->opts.body != SQL_BODY_CSV)
		c->opts.body = SQL_BODY_OBJECT;
}

/* Rows answered as GeoJSON when Accept asks for it, by a read or by a
 * write that answers its rows (a FeatureCollection, as PostgREST's); a
 * write that answers none has no body, and no 406 either. */
static int
rows_media(struct request *r, struct tctx *c)
{
	if (c->opts.body == SQL_BODY_NONE)
		return 0;
	if (tables_geojson_media(r, c->t, &c->plan, &c->opts.geojson_fn) < 0)
		return -1;
	if (c->opts.geojson_fn != NULL)
		c->opts.body = SQL_BODY_GEOJSON;
	return 0;
}

static int
no_row(struct request *r, const struct tctx *c, const char *id)
{
	return response_error_detail(r, 404, "NOT_FOUND",
	    arena_printf(r->arena, "No row of %s has the key %s", c->t->url_name, id), NULL, NULL);
}

/* Runs q (rolled back with Prefer: tx=rollback); on success *n, *total
 * (NULL when not counted) and *body.  A read by key answers no row at all
 * when there is none. */
static struct db_result *
tables_run(struct request *r, const struct tctx *c, struct sql_query *q, bool read_only, long *n,
    const char **total)
{
	struct db_result *res = session_exec_tx(r, q->sql.data, q->nparams, q->values, read_only,
	    c->prefer.tx_rollback);

	if (res == NULL)
		return NULL;
	if (db_result_rows(res) == 0) {
		*n = 0;
		*total = NULL;
		return res;
	}
	*n = atol(db_result_value(res, 0, 1));
	*total = db_result_isnull(res, 0, 0) ? NULL : db_result_value(res, 0, 0);
	return res;
}

/* Accept: application/vnd.pgrst.plan: EXPLAIN of the statement q holds,
 * in the same one round trip, read-only whatever the method. */
static int
tables_explain(struct request *r, const struct tctx *c, const struct sql_query *q)
{
	struct db_result *res =
	    session_exec(r, tables_plan_sql(r, &c->pm, q->sql.data), q->nparams, q->values, true);

	if (res == NULL)
		return -1;
	tables_plan_respond(r, &c->pm, res);
	return 0;
}

/* The rows PostgreSQL rendered, in the media type asked for. */
static void
respond_body(struct request *r, const struct tctx *c, int status, struct db_result *res)
{
	if (db_result_rows(res) == 0 || db_result_isnull(res, 0, 2)) {
		r->resp.status = status;
		return;
	}
	response_json(r, status, db_result_value(res, 0, 2), db_result_length(res, 0, 2));
	if (c->opts.body == SQL_BODY_GEOJSON)
		r->resp.content_type = TABLES_GEOJSON_TYPE;
	else if (c->opts.body == SQL_BODY_CSV)
		r->resp.content_type = TABLES_CSV_TYPE;
}

/*
 * A counted HEAD answers 206 when the read holds only part of the rows and
 * 416 (PGRST103) when its offset lies beyond them, as PostgREST does; not
 * counted (the total unknown), 200.  GET keeps /api/v1's 200.
 */
static int
read_status(struct request *r, const struct tctx *c, const char *id, long n, const char *total,
    int *status)
{
	long all;

	*status = 200;
	if (total == NULL || id != NULL || c->singular || r->method != HTTP_HEAD)
		return 0;
	all = atol(total);
	if (c->plan.offset > all) {
		response_header(r, "Content-Range", arena_printf(r->arena, "*/%ld", all));
		return response_error_detail(r, 416, "PGRST103", "Requested range not satisfiable",
		    arena_printf(r->arena,
		        "An offset of %ld was requested, but there are only %ld rows.",
		        c->plan.offset, all),
		    NULL);
	}
	if (n < all)
		*status = 206;
	return 0;
}

int
tables_read(struct request *r, struct tctx *c, const char *id)
{
	struct sql_query q;

	sql_init(&q, r->arena);
	return tables_read_query(r, c, id, &q, true);
}

int
tables_read_query(struct request *r, struct tctx *c, const char *id, struct sql_query *q,
    bool read_only)
{
	struct db_result *res;
	const char *total;
	long n;
	int status;

	c->opts.count = c->prefer.count;
	c->opts.id = id;
	if (id != NULL)
		one_row_body(c);
	if (rows_media(r, c) < 0)
		return -1;
	sql_build_read(q, c->t, &c->plan, &c->opts);
	if (c->pm.wanted)
		return tables_explain(r, c, q);
	if ((res = tables_run(r, c, q, read_only, &n, &total)) == NULL)
		return -1;
	if (id != NULL && n == 0)
		return no_row(r, c, id);
	if (read_status(r, c, id, n, total, &status) < 0)
		return -1;
	if (n > 0)
		response_header(r, "Content-Range",
		    arena_printf(r->arena, "%ld-%ld/%s", c->plan.offset, c->plan.offset + n - 1,
		        total ? total : "*"));
	else
		response_header(r, "Content-Range",
		    arena_printf(r->arena, "*/%s", total ? total : "*"));
	tables_preference_applied(r, &c->prefer, false);
	respond_body(r, c, status, res);
	return 0;
}

/* A write's body, read and checked against the table. */
struct write_body {
	const char *json;
	int *cols; /* the columns its keys name, in order of appearance */
	int ncols;
	bool is_array;
	size_t nrows;
};

static int
unknown_column(struct request *r, const struct tctx *c, const char *name)
{
	return response_error_detail(r, 400, "PGRST204",
	    arena_printf(r->arena, "Could not find the '%s' column of '%s'", name, c->t->url_name),
	    NULL, NULL);
}

static bool
is_csv(const char *content_type)
{
	return content_type != NULL && strncasecmp(content_type, "text/csv", 8) == 0 &&
	    strchr(" ;", content_type[8]) != NULL; /* also its '\0' */
}

/* A CSV body (POST only): its header names the columns, each record a row. */
static int
tables_csv_body(struct request *r, struct tctx *c, const char *body, size_t len,
    struct write_body *b)
{
	struct csv_rows rows;
	struct csv_error e;

	if (csv_to_json(r->arena, body, len, &rows, &e) < 0)
		return response_error_detail(r, 400, "PGRST102",
		    arena_printf(r->arena, "Invalid CSV body: line %ld: %s", e.line, e.message),
		    NULL, NULL);
	b->cols = arena_calloc(r->arena, (size_t)rows.nnames, sizeof(*b->cols));
	for (int i = 0; i < rows.nnames; i++)
		if ((b->cols[i] = schema_column(c->t, rows.names[i])) < 0)
			return unknown_column(r, c, rows.names[i]);
	b->json = rows.json;
	b->ncols = rows.nnames;
	b->is_array = true;
	b->nrows = rows.nrows;
	return 0;
}

/*
 * Reads the JSON body: an object, or (when arrays are allowed) an array
 * of objects, or (then too) CSV.  Collects the columns named by its keys,
 * each checked against the table, in order of first appearance.
 */
static int
tables_body(struct request *r, struct tctx *c, bool allow_array, struct write_body *b)
{
	const char *body;
	size_t len;
	struct body_error e;
	struct json_object *root;
	int *out;
	int n = 0;
	size_t count;

	if (request_body(r, r->conf->max_body_size, &body, &len) < 0)
		return -1;
	if (allow_array && is_csv(request_header(r, "Content-Type")))
		return tables_csv_body(r, c, body, len, b);
	if ((root = json_body_parse(body, len, &e)) == NULL)
		return response_body_error(r, &e);
	b->is_array = json_object_is_type(root, json_type_array);
	if (!(b->is_array ? allow_array : json_object_is_type(root, json_type_object))) {
		json_object_put(root);
		response_error(r, 400, "INVALID_JSON",
		    allow_array ? "The body must be a JSON object or an array of objects"
		                : "The body must be a JSON object");
		return -1;
	}
	count = b->is_array ? json_object_array_length(root) : 1;
	out = arena_calloc(r->arena, (size_t)c->t->ncolumns + 1, sizeof(*out));
	for (size_t i = 0; i < count; i++) {
		struct json_object *o = b->is_array ? json_object_array_get_idx(root, i) : root;

		if (!json_object_is_type(o, json_type_object)) {
			json_object_put(root);
			response_error(r, 400, "INVALID_JSON",
			    "Element %zu of the array is not a JSON object", i);
			return -1;
		}
		json_object_object_foreach(o, key, val)
		{
			int col = schema_column(c->t, key);
			bool seen = false;

			if (col < 0) {
				unknown_column(r, c, key);
				json_object_put(root);
				return -1;
			}
			if (col == c->t->pk && !b->is_array)
				c->body_key =
				    val ? arena_strdup(r->arena, json_object_get_string(val)) : "";
			for (int k = 0; k < n; k++)
				seen |= out[k] == col;
			if (!seen)
				out[n++] = col;
		}
	}
	json_object_put(root);
	b->json = body;
	b->cols = out;
	b->ncols = n;
	b->nrows = count;
	return 0;
}

static int
method_not_allowed(struct request *r, const char *allow, const char *why)
{
	response_header(r, "Allow", allow);
	return response_error(r, 405, "METHOD_NOT_ALLOWED", "%s", why);
}

static int
refuse_without_filter(struct request *r, const struct tctx *c, const char *what)
{
	if (c->plan.nfilters > 0)
		return 0;
	return response_error(r, 400, "FILTER_REQUIRED",
	    "%s of every row needs at least one filter (use e.g. id=gt.0 to mean all rows)", what);
}

/*
 * The opening of every write: the table takes it (else 405 with Allow),
 * a write of many rows has a filter (unfiltered names it, or NULL when
 * none is needed), and its body.
 */
static int
tables_write_open(struct request *r, struct tctx *c, bool takes, const char *what,
    const char *unfiltered, bool allow_array, struct write_body *b)
{
	if (!takes)
		return method_not_allowed(r, "GET, HEAD, OPTIONS",
		    arena_printf(r->arena, "%s does not accept %s", c->t->url_name, what));
	if (unfiltered != NULL && refuse_without_filter(r, c, unfiltered) < 0)
		return -1;
	return tables_body(r, c, allow_array, b);
}

/* return=headers-only: the written rows' key columns only, for Location
 * (a table without a primary key has none: no rows at all then). */
static void
select_key_columns(struct request *r, struct tctx *c)
{
	int n = 0;

	c->opts.body = c->t->npk > 0 ? SQL_BODY_ARRAY : SQL_BODY_NONE;
	c->plan.select =
	    arena_calloc(r->arena, (size_t)c->t->ncolumns + 1, sizeof(*c->plan.select));
	for (int i = 0; i < c->t->ncolumns; i++)
		if (c->t->columns[i].pk) {
			c->plan.select[n].kind = SEL_COLUMN;
			c->plan.select[n++].ref.column = i;
		}
	c->plan.nselect = n;
	if (n == 0)
		c->plan.select[n++].kind = SEL_STAR;
}

static int
tables_insert(struct request *r, struct tctx *c)
{
	const char *total;
	struct write_body b;
	struct sql_query q;
	struct db_result *res;
	long n;

	if (tables_write_open(r, c, c->t->insertable, "inserts", NULL, true, &b) < 0)
		return -1;
	if (c->plan.ncolumns > 0) {
		b.cols = c->plan.columns;
		b.ncols = c->plan.ncolumns;
	}
	if (b.ncols == 0 && b.nrows != 1)
		return response_error(r, 400, "VALIDATION",
		    "Rows without any column can only be inserted one at a time");
	if (c->prefer.resolution != RESOLUTION_NONE && c->plan.non_conflict == 0 && c->t->npk == 0)
		return response_error(r, 400, "VALIDATION",
		    "Upsert needs on_conflict=columns: %s has no primary key", c->t->url_name);
	/* An object in gives an object back; an explicit return=representation
	 * (what PostgREST clients send) gives PostgREST's answer, an array. */
	if (c->prefer.ret == RETURN_MINIMAL && !c->singular)
		c->opts.body = SQL_BODY_NONE;
	else if (c->prefer.ret == RETURN_HEADERS_ONLY && !c->singular)
		select_key_columns(r, c);
	else if (!b.is_array && !c->prefer.ret_given)
		one_row_body(c);
	/* headers-only keeps a body of the key columns, for Location alone. */
	if (c->prefer.ret == RETURN_REPRESENTATION && rows_media(r, c) < 0)
		return -1;
	sql_init(&q, r->arena);
	if (sql_build_insert(&q, c->t, &c->plan, &c->opts, b.json, b.cols, b.ncols,
	        c->prefer.resolution, c->prefer.missing_default) < 0)
		return response_error(r, 400, "VALIDATION", "Nothing to upsert on");
	if (c->pm.wanted)
		return tables_explain(r, c, &q);
	if ((res = tables_run(r, c, &q, false, &n, &total)) == NULL)
		return -1;
	tables_preference_applied(r, &c->prefer, true);
	response_header(r, "Content-Range", arena_printf(r->arena, "*/%ld", n));
	if (c->prefer.ret != RETURN_REPRESENTATION && !c->singular) {
		const char *location =
		    c->prefer.ret == RETURN_HEADERS_ONLY && n == 1 && !db_result_isnull(res, 0, 2)
		    ? tables_location(r, db_result_value(res, 0, 2))
		    : NULL;

		if (location != NULL)
			response_header(r, "Location", location);
		r->resp.status = 201;
		return 0;
	}
	respond_body(r, c, 201, res);
	return 0;
}

/* The answer of a PATCH or DELETE: the rows (200) or nothing (204), and
 * with Prefer: count=... the number of rows affected as Content-Range
 * (star-slash-n). */
static int
write_answer(struct request *r, const struct tctx *c, struct db_result *res, long n, bool body)
{
	if (c->prefer.count != COUNT_NONE)
		response_header(r, "Content-Range", arena_printf(r->arena, "*/%ld", n));
	tables_preference_applied(r, &c->prefer, false);
	if (!body) {
		r->resp.status = 204;
		return 0;
	}
	respond_body(r, c, 200, res);
	return 0;
}

static int
tables_update(struct request *r, struct tctx *c, const char *id)
{
	const char *total;
	struct write_body b;
	struct sql_query q;
	struct db_result *res;
	long n;

	if (tables_write_open(r, c, c->t->updatable, "updates", id == NULL ? "An update" : NULL,
	        false, &b) < 0)
		return -1;
	if (b.ncols == 0)
		return response_error(r, 400, "VALIDATION", "The body names no column to update");
	c->opts.id = id;
	c->opts.max_affected = tables_max_affected(r, &c->prefer, false);
	if (c->prefer.ret != RETURN_REPRESENTATION && !c->singular)
		c->opts.body = SQL_BODY_NONE;
	else if (id != NULL)
		one_row_body(c);
	if (rows_media(r, c) < 0)
		return -1;
	sql_init(&q, r->arena);
	sql_build_update(&q, c->t, &c->plan, &c->opts, b.json, b.cols, b.ncols);
	if (c->pm.wanted)
		return tables_explain(r, c, &q);
	if ((res = tables_run(r, c, &q, false, &n, &total)) == NULL)
		return -1;
	if (id != NULL && n == 0)
		return no_row(r, c, id);
	return write_answer(r, c, res, n, c->opts.body != SQL_BODY_NONE);
}

static int
tables_delete(struct request *r, struct tctx *c, const char *id)
{
	struct sql_query q;
	struct db_result *res;
	const char *total;
	long n;
	bool want_body;

	if (!c->t->deletable)
		return method_not_allowed(r, "GET, HEAD, OPTIONS",
		    arena_printf(r->arena, "%s does not accept deletes", c->t->url_name));
	if (id == NULL && refuse_without_filter(r, c, "A delete") < 0)
		return -1;
	/* By id: 204 unless a representation is asked for explicitly. */
	want_body = c->singular ||
	    (c->prefer.ret == RETURN_REPRESENTATION && (id == NULL || c->prefer.ret_given));
	c->opts.id = id;
	c->opts.max_affected = tables_max_affected(r, &c->prefer, false);
	if (!want_body)
		c->opts.body = SQL_BODY_NONE;
	else if (id != NULL)
		one_row_body(c);
	if (rows_media(r, c) < 0)
		return -1;
	sql_init(&q, r->arena);
	sql_build_delete(&q, c->t, &c->plan, &c->opts);
	if (c->pm.wanted)
		return tables_explain(r, c, &q);
	if ((res = tables_run(r, c, &q, false, &n, &total)) == NULL)
		return -1;
	if (id != NULL && n == 0)
		return no_row(r, c, id);
	return write_answer(r, c, res, n, want_body);
}

static int
tables_put(struct request *r, struct tctx *c, const char *id, bool by_filter)
{
	const char *total;
	struct write_body b;
	struct sql_query q;
	struct db_result *res;
	long n;

	if (tables_write_open(r, c, c->t->insertable && c->t->updatable, "writes", NULL, false,
	        &b) < 0)
		return -1;
	c->opts.id = id;
	/* By a filter, as PostgREST: rows, an array unless one object is asked. */
	if (c->prefer.ret != RETURN_REPRESENTATION && !c->singular)
		c->opts.body = SQL_BODY_NONE;
	else if (!by_filter)
		one_row_body(c);
	if (rows_media(r, c) < 0)
		return -1;
	/* The key in the body, if any, must be the one in the URL. */
	if (c->body_key != NULL && strcmp(c->body_key, id) != 0)
		return response_error(r, 400, by_filter ? "PGRST115" : "VALIDATION",
		    "The body's %s does not match the key in the URL",
		    c->t->columns[c->t->pk].name);
	sql_init(&q, r->arena);
	sql_build_put(&q, c->t, &c->plan, &c->opts, b.json, b.cols, b.ncols);
	if (c->pm.wanted)
		return tables_explain(r, c, &q);
	if ((res = tables_run(r, c, &q, false, &n, &total)) == NULL)
		return -1;
	tables_preference_applied(r, &c->prefer, false);
	if (c->opts.body == SQL_BODY_NONE) {
		r->resp.status = 204;
		return 0;
	}
	respond_body(r, c, 200, res);
	return 0;
}

/*
 * PostgREST's PUT of a collection (/rest/v1): one row upserted by its key,
 * which the filters name, all of it and nothing else, with eq (PGRST105
 * otherwise); then the PUT of /{id}.
 */
static int
tables_put_filtered(struct request *r, struct tctx *c)
{
	const struct filter *f = c->plan.nfilters == 1 ? c->plan.filters[0] : NULL;

	if (c->t->pk < 0 || f == NULL || f->kind != FILTER_COND || f->negate || f->op != FOP_EQ ||
	    f->ref.column != c->t->pk || f->ref.npath > 0 || c->plan.limit >= 0)
		return response_error_detail(r, 405, "PGRST105",
		    "Filters must include all and only primary key columns with 'eq' operators",
		    NULL, NULL);
	c->plan.nfilters = 0;
	return tables_put(r, c, f->value, true);
}

int
tables_collection(struct request *r)
{
	struct tctx c;

	if (tables_begin(r, &c, r->method == HTTP_GET || r->method == HTTP_HEAD) < 0)
		return -1;
	switch (r->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		return tables_read(r, &c, NULL);
	case HTTP_POST:
		return tables_insert(r, &c);
	case HTTP_PATCH:
		return tables_update(r, &c, NULL);
	case HTTP_DELETE:
		return tables_delete(r, &c, NULL);
	case HTTP_PUT: /* routed on /rest/v1 only */
		return tables_put_filtered(r, &c);
	}
	return -1;
}

int
tables_item(struct request *r)
{
	struct tctx c;
	const char *id = r->path_params[1];

	if (tables_begin(r, &c, false) < 0)
		return -1;
	if (c.t->pk < 0)
		return response_error_detail(r, 404, "NOT_FOUND",
		    arena_printf(r->arena,
		        "%s has no single-column primary key, so no /{id} routes", c.t->url_name),
		    NULL, NULL);
	switch (r->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		return tables_read(r, &c, id);
	case HTTP_PUT:
		return tables_put(r, &c, id, false);
	case HTTP_PATCH:
		return tables_update(r, &c, id);
	case HTTP_DELETE:
		return tables_delete(r, &c, id);
	}
	return -1;
}
