/*
 * tables/rpc.c - POST, GET and HEAD of /rpc/{function}, as PostgREST 12.
 *
 * The arguments are named by the keys of a JSON object body (POST) or by
 * the query parameters that name an argument (GET, HEAD: STABLE and
 * IMMUTABLE functions only); the overload is the one whose required
 * arguments are all given and whose arguments include every key.  They
 * reach SQL as one bound JSON parameter that json_to_record turns into
 * typed values, so nothing the client sends is spliced.  One statement,
 * one round trip: a result of rows (SETOF a table, RETURNS TABLE, OUT
 * arguments) is read like a table, through the query builder with the
 * call as its FROM item, so select, filters, order, limit, Range, counts
 * and embedding work on it; a scalar is answered as JSON, void as 204.
 * GET runs read-only, and so does POST of a function that is not VOLATILE.
 * In single mode a function is called only by the roles it was exposed to
 * (auth.expose_function, migration 0023).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "schema.h"
#include "session.h"
#include "tables/functions.h"
#include "tables/negotiate.h"
#include "tables/query_parse.h"
#include "tables/query_sql.h"
#include "tables/rpc_call.h"
#include "tables/tables.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "a, b" of names, sorted. */
static const char *
sorted_list(struct request *r, const char **names, int n)
{
	const char **copy = arena_calloc(r->arena, (size_t)n + 1, sizeof(*copy));
	struct strbuf sb;

	if (n > 0)
		memcpy(copy, names, (size_t)n * sizeof(*copy));
	qsort(copy, (size_t)n, sizeof(*copy), cmp_str);
	strbuf_init(&sb, r->arena, 64);
	strbuf_puts(&sb, "");
	for (int i = 0; i < n; i++)
		strbuf_printf(&sb, "%s%s", i ? ", " : "", copy[i]);
	return sb.data;
}

/* 404 PGRST202 in PostgREST's words. */
static int
rpc_not_found(struct request *r, const struct rpc_call *c)
{
	const char *fn = strchr(c->name, '.') != NULL
	    ? c->name
	    : arena_printf(r->arena, "%s.%s", c->fc->default_schema, c->name);
	const char *list = sorted_list(r, c->keys, c->nkeys), *message, *searched, *hint = NULL;

	if (c->single) {
		message = arena_printf(r->arena,
		    "Could not find the function %s in the schema cache", fn);
		searched = " with a single json/jsonb parameter";
	} else {
		const char *with = c->nkeys == 0
		    ? " without parameters"
		    : arena_printf(r->arena, " with parameter%s %s", c->nkeys > 1 ? "s" : "", list);

		message = c->nkeys == 0
		    ? arena_printf(r->arena,
		          "Could not find the function %s without parameters in the schema cache",
		          fn)
		    : arena_printf(r->arena,
		          "Could not find the function %s(%s) in the schema cache", fn, list);
		searched = c->post ? arena_printf(r->arena,
		                         "%s or with a single unnamed json/jsonb parameter", with)
		                   : with;
		if (c->count > 0) {
			const struct sc_function *f = &c->fc->fns[c->first];
			const char **names =
			    arena_calloc(r->arena, (size_t)f->nargs + 1, sizeof(*names));

			for (int i = 0; i < f->nargs; i++)
				names[i] = f->args[i].name;
			hint =
			    arena_printf(r->arena, "Perhaps you meant to call the function %s(%s)",
			        fn, sorted_list(r, names, f->nargs));
		}
	}
	return response_error_detail(r, 404, "PGRST202", message,
	    arena_printf(r->arena,
	        "Searched for the function %s%s, but no matches were found in the schema cache.",
	        fn, searched),
	    hint);
}

/* 300 PGRST203: several overloads take these arguments. */
static int
rpc_ambiguous(struct request *r, const struct sc_function **found, int n)
{
	struct strbuf sb;

	strbuf_init(&sb, r->arena, 256);
	strbuf_puts(&sb, "Could not choose the best candidate function between: ");
	for (int i = 0; i < n; i++) {
		strbuf_printf(&sb, "%s%s.%s(", i ? ", " : "", found[i]->schema, found[i]->name);
		for (int k = 0; k < found[i]->nargs; k++)
			strbuf_printf(&sb, "%s%s => %s", k ? ", " : "", found[i]->args[k].name,
			    found[i]->args[k].type);
		strbuf_putc(&sb, ')');
	}
	return response_error_detail(r, 300, "PGRST203", sb.data, NULL,
	    "Try renaming the parameters or the function itself in the database so function"
	    " overloading can be resolved");
}

/* The overload the keys call (PostgREST's findProc). */
static int
rpc_choose(struct request *r, struct rpc_call *c)
{
	const struct sc_function **found =
	    arena_calloc(r->arena, (size_t)c->count + 1, sizeof(*found));
	int n = rpc_candidates(c, found);

	if (n == 0 && c->not_object)
		return response_error(r, 400, "INVALID_JSON", "The body must be a JSON object");
	if (n == 0)
		return rpc_not_found(r, c);
	if (n > 1)
		return rpc_ambiguous(r, found, n);
	rpc_settle(c, found[0]);
	return 0;
}

/* The overloads of the name, with one reload of the caches on a miss (a
 * function created a moment ago), at most once a second. */
static int
rpc_lookup(struct request *r, struct rpc_call *c)
{
	static time_t last_miss_reload;

	if ((c->fc = functions_get(r)) == NULL)
		return response_db_unavailable(r);
	c->first = functions_find(c->fc, c->name, &c->count);
	if (c->count == 0 && time(NULL) != last_miss_reload) {
		last_miss_reload = time(NULL);
		if (schema_load(r->schema, r->db, r->conf->tables_schemas) < 0 ||
		    (c->fc = functions_get(r)) == NULL)
			return response_db_unavailable(r);
		c->first = functions_find(c->fc, c->name, &c->count);
	}
	/* /rest/v1 names a function as PostgREST does: the profile says its
	 * schema, never schema.name. */
	if (c->count > 0 && r->dialect == DIALECT_POSTGREST &&
	    strcmp(c->fc->fns[c->first].name, r->path_params[0]) != 0)
		c->count = 0;
	return 0;
}

/* POST: the keys of a JSON object body (the whole body goes as one
 * argument with params=single-object or to an unnamed json argument). */
static int
rpc_body_args(struct request *r, struct rpc_call *c)
{
	const char *body;
	size_t len;
	struct body_error e;
	struct json_object *root;
	int n = 0;

	if (request_body(r, r->conf->max_body_size, &body, &len) < 0)
		return -1;
	if (len == 0) {
		body = "{}";
		len = 2;
	}
	if ((root = json_body_parse(body, len, &e)) == NULL)
		return response_body_error(r, &e);
	c->args_json = body;
	c->not_object = !json_object_is_type(root, json_type_object);
	if (c->single || c->not_object) {
		json_object_put(root);
		return 0;
	}
	c->keys =
	    arena_calloc(r->arena, (size_t)json_object_object_length(root) + 1, sizeof(*c->keys));
	json_object_object_foreach(root, key, val)
	{
		(void)val;
		c->keys[n++] = arena_strdup(r->arena, key);
	}
	c->nkeys = n;
	json_object_put(root);
	return 0;
}

static bool
reserved_param(const char *key)
{
	static const char *const reserved[] = { "select", "order", "limit", "offset", "columns",
		"on_conflict", "or", "and", "not.or", "not.and", NULL };

	for (int i = 0; reserved[i] != NULL; i++)
		if (strcmp(key, reserved[i]) == 0)
			return true;
	return false;
}

/* The argument of any overload named key, or NULL. */
static const struct fn_arg *
overload_arg(const struct rpc_call *c, const char *key)
{
	for (int i = c->first; c->count > 0 && i < c->first + c->count; i++) {
		int k = rpc_arg_index(&c->fc->fns[i], key);

		if (k >= 0)
			return &c->fc->fns[i].args[k];
	}
	return NULL;
}

/* A parameter that shapes rows: reserved, an embedded resource's or the
 * Fluxbase grammar's (a dot), or a filter on a result column (maybe
 * through a JSON path). */
static bool
shapes_rows(struct request *r, const struct rpc_call *c, const char *key)
{
	const char *arrow = strstr(key, "->");
	const char *name =
	    arena_printf(r->arena, "%.*s", (int)(arrow ? (size_t)(arrow - key) : strlen(key)), key);
	bool found = false;

	if (reserved_param(key) || strchr(key, '.') != NULL)
		return true;
	for (int i = c->first; !found && i < c->first + c->count; i++)
		found = c->fc->fns[i].returns == FN_RETURNS_ROWS &&
		    schema_column(c->fc->fns[i].table, name) >= 0;
	return found;
}

/* GET, HEAD: the parameters that name an argument are arguments (a
 * VARIADIC one repeated makes an array), and so is any other that does
 * not shape the result's rows (PostgREST: 404 then). */
static void
rpc_query_args(struct request *r, struct rpc_call *c)
{
	struct json_object *args = json_object_new_object();

	c->keys = arena_calloc(r->arena, r->nparams + 1, sizeof(*c->keys));
	c->rest = arena_calloc(r->arena, r->nparams + 1, sizeof(*c->rest));
	for (size_t i = 0; i < r->nparams; i++) {
		const struct query_param *p = &r->params[i];
		const struct fn_arg *a = reserved_param(p->key) ? NULL : overload_arg(c, p->key);
		struct json_object *old;

		if (a == NULL && shapes_rows(r, c, p->key)) {
			c->rest[c->nrest++] = *p;
			continue;
		}
		if (!json_object_object_get_ex(args, p->key, &old))
			c->keys[c->nkeys++] = p->key;
		if (a != NULL && a->variadic) {
			if (old == NULL) {
				old = json_object_new_array();
				json_object_object_add(args, p->key, old);
			}
			json_object_array_add(old, json_object_new_string(p->value));
		} else {
			json_object_object_add(args, p->key, json_object_new_string(p->value));
		}
	}
	c->args_json = json_arena_text(r->arena, args);
	json_object_put(args);
}

/* A result of rows: read like a table whose FROM is the call. */
static int
rpc_rows(struct request *r, struct tctx *t, const struct rpc_call *c, bool read_only)
{
	struct parse_opts po = { .sc = r->schema,
		.aggregates = r->conf->tables_aggregates,
		.exact_names = r->dialect == DIALECT_POSTGREST };
	struct query_error err;
	struct sql_query q;
	const char *record, *call;

	t->t = c->fn->table;
	po.range = request_header(r, "Range");
	if (query_parse_plan(r->arena, t->t, c->post ? r->params : c->rest,
	        c->post ? r->nparams : c->nrest, &po, &t->plan, &err) < 0)
		return response_error_detail(r, err.status, err.code, err.message, err.details,
		    err.hint);
	sql_init(&q, r->arena);
	call = rpc_call_sql(r->arena, c, &q, &record);
	t->opts.from = record == NULL
	    ? call
	    : arena_printf(r->arena, "(SELECT _fb_f.* FROM %s CROSS JOIN LATERAL %s AS _fb_f)",
	          record, call);
	t->opts.max_rows = r->conf->tables_max_rows;
	/* max-affected with handling=strict: the rows a POST's call returns. */
	t->opts.max_affected = tables_max_affected(r, &t->prefer, false);
	/* One row (not SETOF) is an object, as PostgREST 12 answers it. */
	if (t->opts.body == SQL_BODY_ARRAY && !c->fn->retset)
		t->opts.body = SQL_BODY_OBJECT;
	return tables_read_query(r, t, NULL, &q, read_only);
}

/* A scalar (the JSON value), SETOF scalars (an array), or void (204). */
static int
rpc_value(struct request *r, const struct tctx *t, const struct rpc_call *c, bool read_only)
{
	struct sql_query q;
	struct db_result *res;
	const char *record, *call, *shape;

	sql_init(&q, r->arena);
	call = rpc_call_sql(r->arena, c, &q, &record);
	if (c->fn->returns == FN_RETURNS_VOID)
		shape = "pg_catalog.count(_fb_r.v) AS n, NULL::text AS body";
	else if (c->fn->retset)
		shape = "pg_catalog.count(*) AS n,"
		        " coalesce(pg_catalog.json_agg(_fb_r.v), '[]')::text AS body";
	else
		shape = "1::bigint AS n,"
		        " coalesce(pg_catalog.to_json(_fb_r.v)::text, 'null') AS body";
	strbuf_printf(&q.sql, "SELECT NULL::bigint AS total, %s FROM (SELECT %s AS v%s%s) AS _fb_r",
	    shape, call, record ? " FROM " : "", record ? record : "");
	if ((res = session_exec_tx(r, q.sql.data, q.nparams, q.values, read_only,
	         t->prefer.tx_rollback)) == NULL)
		return -1;
	tables_preference_applied(r, &t->prefer, false);
	if (c->fn->returns == FN_RETURNS_VOID || db_result_rows(res) == 0 ||
	    db_result_isnull(res, 0, 2)) {
		r->resp.status = 204;
		return 0;
	}
	response_json(r, 200, db_result_value(res, 0, 2), db_result_length(res, 0, 2));
	return 0;
}

int
tables_rpc(struct request *r)
{
	struct tctx t;
	struct rpc_call c;
	bool read_only;
	int role;

	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	c.name = r->path_params[0];
	c.post = r->method == HTTP_POST;
	if (tables_negotiate(r, &t, &c.name) < 0 || rpc_lookup(r, &c) < 0)
		return -1;
	c.single = c.post && t.prefer.params_single;
	if (c.post) {
		if (rpc_body_args(r, &c) < 0)
			return -1;
	} else {
		rpc_query_args(r, &c);
	}
	if (rpc_choose(r, &c) < 0)
		return -1;
	/* Single mode: the function would run as the login that owns every
	 * table, so only the roles it was exposed to may call it. */
	role = schema_role_index(r->role);
	if (CONF_SINGLE(r->conf) && role >= 0 && !c.fn->executable[role])
		return tables_not_exposed(r, "function",
		    arena_printf(r->arena, "%s.%s", c.fn->schema, c.fn->name),
		    "auth.expose_function");
	if (!c.post && c.fn->volatility == 'v') {
		response_header(r, "Allow", "POST");
		return response_error_detail(r, 405, "PGRST101",
		    arena_printf(r->arena, "Cannot use the %s method on RPC", r->method_name),
		    arena_printf(r->arena,
		        "%s.%s is VOLATILE: call it with POST (GET and HEAD call STABLE and"
		        " IMMUTABLE functions)",
		        c.fn->schema, c.fn->name),
		    NULL);
	}
	read_only = !c.post || c.fn->volatility != 'v';
	if (c.fn->returns == FN_RETURNS_ROWS)
		return rpc_rows(r, &t, &c, read_only);
	return rpc_value(r, &t, &c, read_only);
}
