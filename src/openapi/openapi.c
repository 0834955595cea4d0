/*
 * openapi/openapi.c - building and serving the documents: ours is the
 * static part, then a path per table and view the role may use (its row
 * schema a component) and a /rpc/{name} path per function it may execute
 * (POST, and GET for STABLE and IMMUTABLE ones); the tables part is also
 * /rest/v1's (openapi/supabase.c).  Each is built once per generation of
 * the schema cache (the function cache follows it) and role.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "openapi/openapi.h"
#include "schema.h"
#include "tables/functions.h"

int
openapi_role_index(const char *role)
{
	int i = schema_role_index(role);

	return i < 0 ? 0 : i;
}

struct json_object *
openapi_str(const char *s)
{
	return json_object_new_string(s);
}

#define jstr openapi_str

/* PostgreSQL types (by typname) JSON Schema knows; any other is a string. */
static const struct {
	const char *typname, *type, *format;
} known_types[] = {
	{ "int2", "integer", "int32" },
	{ "int4", "integer", "int32" },
	{ "int8", "integer", "int64" },
	{ "float4", "number", "float" },
	{ "float8", "number", "double" },
	{ "numeric", "number", NULL },
	{ "money", "number", NULL },
	{ "bool", "boolean", NULL },
	{ "uuid", "string", "uuid" },
	{ "date", "string", "date" },
	{ "timestamptz", "string", "date-time" },
	{ "timestamp", "string", "date-time" },
	{ "json", "object", NULL },
	{ "jsonb", "object", NULL },
	{ "bytea", "string", "byte" },
};

/* PostgreSQL type (by typname) to a JSON Schema. */
static struct json_object *
type_schema(const char *typname, const char **enum_values)
{
	struct json_object *s = json_object_new_object();
	const char *type = "string", *format = NULL;

	if (enum_values != NULL) {
		struct json_object *e = json_object_new_array();

		for (const char **v = enum_values; *v; v++)
			json_object_array_add(e, jstr(*v));
		json_object_object_add(s, "type", jstr("string"));
		json_object_object_add(s, "enum", e);
		return s;
	}
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcmp(typname, known_types[i].typname) == 0) {
			type = known_types[i].type;
			format = known_types[i].format;
		}
	json_object_object_add(s, "type", jstr(type));
	if (format != NULL)
		json_object_object_add(s, "format", jstr(format));
	return s;
}

static struct json_object *
array_of(struct json_object *items)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "type", jstr("array"));
	json_object_object_add(a, "items", items);
	return a;
}

/* The JSON Schema of a type (an array's of its elements'). */
static struct json_object *
typed_schema(const char *typname, char typcategory, const char *elemtype, const char **enum_values)
{
	if (typcategory == 'A' && elemtype != NULL)
		return array_of(type_schema(elemtype, NULL));
	return type_schema(typname, enum_values);
}

static struct json_object *
column_schema(const struct sc_table *t, const struct sc_column *c)
{
	struct json_object *s;
	char desc[1200] = "";

	s = typed_schema(c->typname, c->typcategory, c->elemtype, c->enum_values);
	if (!c->notnull)
		json_object_object_add(s, "nullable", json_object_new_boolean(1));
	if (c->pk)
		snprintf(desc, sizeof(desc), "Primary key. ");
	for (int i = 0; i < t->nfks; i++) {
		const struct sc_fk *fk = &t->fks[i];

		/* A table's key as seen through a view names the table only. */
		if (fk->derived && fk->ref != NULL &&
		    (fk->ref->kind == 'v' || fk->ref->kind == 'm'))
			continue;
		for (int k = 0; fk->columns && fk->columns[k]; k++)
			if (strcmp(fk->columns[k], c->name) == 0 && fk->ref_columns &&
			    fk->ref_columns[k])
				snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc),
				    "Foreign key to %s.%s.%s. ", fk->ref_schema, fk->ref_table,
				    fk->ref_columns[k]);
	}
	snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "PostgreSQL type: %s.", c->type);
	if (c->comment != NULL)
		snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), " %s", c->comment);
	json_object_object_add(s, "description", jstr(desc));
	if (c->generated)
		json_object_object_add(s, "readOnly", json_object_new_boolean(1));
	return s;
}

/* A name fit for components and operation ids. */
static void
safe_name(const char *in, char *out, size_t n)
{
	size_t i = 0;

	for (; *in && i + 1 < n; in++)
		out[i++] = isalnum((unsigned char)*in) || *in == '.' || *in == '-' || *in == '_'
		    ? *in
		    : '_';
	out[i] = '\0';
}

/* {"$ref": "#/components/<section>/<name>"} */
static struct json_object *
ref_to(const char *section, const char *name)
{
	struct json_object *p = json_object_new_object();
	char ref[400];

	snprintf(ref, sizeof(ref), "#/components/%s/%s", section, name);
	json_object_object_add(p, "$ref", jstr(ref));
	return p;
}

static struct json_object *
ref_param(const char *name)
{
	return ref_to("parameters", name);
}

static struct json_object *
ref_schema(const char *name)
{
	return ref_to("schemas", name);
}

static struct json_object *
error_responses(struct json_object *responses, const char *const *codes)
{
	for (; *codes; codes++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "$ref", jstr("#/components/responses/Error"));
		json_object_object_add(responses, *codes, r);
	}
	return responses;
}

static struct json_object *
json_response(const char *desc, struct json_object *schema)
{
	struct json_object *r = json_object_new_object(), *content = json_object_new_object(),
	                   *media = json_object_new_object();

	json_object_object_add(r, "description", jstr(desc));
	json_object_object_add(media, "schema", schema);
	json_object_object_add(content, "application/json", media);
	json_object_object_add(r, "content", content);
	return r;
}

static bool
reserved_param(const char *name)
{
	static const char *const reserved[] = { "select", "order", "limit", "offset", "or", "and",
		"on_conflict", "columns", "not.or", "not.and", NULL };

	for (int i = 0; reserved[i]; i++)
		if (strcmp(name, reserved[i]) == 0)
			return true;
	return false;
}

/* An operation on a table path. */
static struct json_object *
table_op(const struct sc_table *t, const char *summary, const char *opid, bool filters,
    bool shaping, struct json_object *body, struct json_object *responses)
{
	static const char *const errs[] = { "400", "401", "403", "404", "406", "409", NULL };
	struct json_object *op = json_object_new_object(), *params = json_object_new_array(),
	                   *tags = json_object_new_array();

	json_object_array_add(tags, jstr("tables"));
	json_object_object_add(op, "tags", tags);
	json_object_object_add(op, "summary", jstr(summary));
	json_object_object_add(op, "operationId", jstr(opid));
	if (shaping) {
		json_object_array_add(params, ref_param("select"));
		json_object_array_add(params, ref_param("order"));
		json_object_array_add(params, ref_param("limit"));
		json_object_array_add(params, ref_param("offset"));
		json_object_array_add(params, ref_param("Range"));
	}
	if (filters) {
		json_object_array_add(params, ref_param("or"));
		json_object_array_add(params, ref_param("and"));
		for (int i = 0; i < t->ncolumns; i++) {
			struct json_object *p;

			if (reserved_param(t->columns[i].name))
				continue;
			p = json_object_new_object();
			json_object_object_add(p, "name", jstr(t->columns[i].name));
			json_object_object_add(p, "in", jstr("query"));
			json_object_object_add(p, "description",
			    jstr(
			        "Filter: op.value (eq, neq, gt, gte, lt, lte, like, ilike, match, imatch,"
			        " in, is, isdistinct, fts, plfts, phfts, wfts, cs, cd, ov; not. negates)"));
			json_object_object_add(p, "schema", type_schema("text", NULL));
			json_object_array_add(params, p);
		}
	}
	json_object_array_add(params, ref_param("Prefer"));
	json_object_array_add(params, ref_param("Accept"));
	json_object_object_add(op, "parameters", params);
	if (body != NULL) {
		struct json_object *rb = json_object_new_object(),
		                   *content = json_object_new_object(),
		                   *media = json_object_new_object();

		json_object_object_add(media, "schema", body);
		json_object_object_add(content, "application/json", media);
		json_object_object_add(rb, "required", json_object_new_boolean(1));
		json_object_object_add(rb, "content", content);
		json_object_object_add(op, "requestBody", rb);
	}
	json_object_object_add(op, "responses", error_responses(responses, errs));
	return op;
}

static const char *
doc_name(const struct schema_cache *sc, const struct sc_table *t)
{
	/* The plural, unless another relation owns that exact name. */
	for (int i = 0; i < sc->ntables; i++)
		if (&sc->tables[i] != t && strcmp(sc->tables[i].url_name, t->url_plural) == 0)
			return t->url_name;
	return t->url_plural;
}

/* The component schema of t's rows, under cname. */
static void
add_table_schema(const struct sc_table *t, const char *cname, struct json_object *schemas)
{
	struct json_object *schema, *props, *required;

	schema = json_object_new_object();
	props = json_object_new_object();
	required = json_object_new_array();
	json_object_object_add(schema, "type", jstr("object"));
	if (t->comment != NULL)
		json_object_object_add(schema, "description", jstr(t->comment));
	for (int i = 0; i < t->ncolumns; i++) {
		const struct sc_column *c = &t->columns[i];

		json_object_object_add(props, c->name, column_schema(t, c));
		if (c->notnull && c->default_expr == NULL && !c->generated)
			json_object_array_add(required, jstr(c->name));
	}
	json_object_object_add(schema, "properties", props);
	if (json_object_array_length(required) > 0)
		json_object_object_add(schema, "required", required);
	else
		json_object_put(required);
	json_object_object_add(schemas, cname, schema);
}

/* {"<status>": the response}, with a JSON body of schema (NULL: none). */
static struct json_object *
responses_of(const char *status, const char *desc, struct json_object *schema)
{
	struct json_object *r = json_object_new_object(), *one;

	if (schema != NULL) {
		one = json_response(desc, schema);
	} else {
		one = json_object_new_object();
		json_object_object_add(one, "description", jstr(desc));
	}
	json_object_object_add(r, status, one);
	return r;
}

/* /tables/{name}: the operations role may use on the collection. */
static struct json_object *
table_collection_ops(const struct sc_table *t, unsigned priv, const char *cname)
{
	char opid[400], summary[700];
	struct json_object *coll = json_object_new_object();

	if (priv & PRIV_SELECT) {
		snprintf(opid, sizeof(opid), "get_%s", cname);
		snprintf(summary, sizeof(summary), "Read rows of %s", t->url_name);
		json_object_object_add(coll, "get",
		    table_op(t, summary, opid, true, true, NULL,
		        responses_of("200", "Rows", array_of(ref_schema(cname)))));
	}
	if ((priv & PRIV_INSERT) && t->insertable) {
		struct json_object *body = json_object_new_object(),
		                   *one_of = json_object_new_array(), *op, *params;

		json_object_array_add(one_of, ref_schema(cname));
		json_object_array_add(one_of, array_of(ref_schema(cname)));
		json_object_object_add(body, "oneOf", one_of);
		snprintf(opid, sizeof(opid), "post_%s", cname);
		snprintf(summary, sizeof(summary), "Insert (or upsert) rows into %s", t->url_name);
		op = table_op(t, summary, opid, false, false, body,
		    responses_of("201", "Inserted rows", array_of(ref_schema(cname))));
		params = json_object_object_get(op, "parameters");
		json_object_array_add(params, ref_param("on_conflict"));
		json_object_array_add(params, ref_param("columns"));
		json_object_object_add(coll, "post", op);
	}
	if ((priv & PRIV_UPDATE) && t->updatable) {
		snprintf(opid, sizeof(opid), "patch_%s", cname);
		snprintf(summary, sizeof(summary),
		    "Update the rows of %s that match the filters (at least one filter)",
		    t->url_name);
		json_object_object_add(coll, "patch",
		    table_op(t, summary, opid, true, false, ref_schema(cname),
		        responses_of("200", "Updated rows", array_of(ref_schema(cname)))));
	}
	if ((priv & PRIV_DELETE) && t->deletable) {
		snprintf(opid, sizeof(opid), "delete_%s", cname);
		snprintf(summary, sizeof(summary),
		    "Delete the rows of %s that match the filters (at least one filter)",
		    t->url_name);
		json_object_object_add(coll, "delete",
		    table_op(t, summary, opid, true, false, NULL,
		        responses_of("200", "Deleted rows", array_of(ref_schema(cname)))));
	}
	return coll;
}

/* /tables/{name}/{id}: the operations role may use on one row. */
static struct json_object *
table_item_ops(const struct sc_table *t, unsigned priv, const char *cname)
{
	char opid[400], summary[700];
	struct json_object *item = json_object_new_object(), *params = json_object_new_array();

	json_object_array_add(params, ref_param("id"));
	json_object_object_add(item, "parameters", params);
	if (priv & PRIV_SELECT) {
		snprintf(opid, sizeof(opid), "get_%s_by_id", cname);
		snprintf(summary, sizeof(summary), "Read one row of %s by its key", t->url_name);
		json_object_object_add(item, "get",
		    table_op(t, summary, opid, false, false, NULL,
		        responses_of("200", "The row", ref_schema(cname))));
	}
	if ((priv & PRIV_INSERT) && (priv & PRIV_UPDATE) && t->insertable && t->updatable) {
		snprintf(opid, sizeof(opid), "put_%s_by_id", cname);
		snprintf(summary, sizeof(summary),
		    "Replace one row of %s (absent columns take their default)", t->url_name);
		json_object_object_add(item, "put",
		    table_op(t, summary, opid, false, false, ref_schema(cname),
		        responses_of("200", "The row", ref_schema(cname))));
	}
	if ((priv & PRIV_UPDATE) && t->updatable) {
		snprintf(opid, sizeof(opid), "patch_%s_by_id", cname);
		snprintf(summary, sizeof(summary), "Update one row of %s", t->url_name);
		json_object_object_add(item, "patch",
		    table_op(t, summary, opid, false, false, ref_schema(cname),
		        responses_of("200", "The row", ref_schema(cname))));
	}
	if ((priv & PRIV_DELETE) && t->deletable) {
		snprintf(opid, sizeof(opid), "delete_%s_by_id", cname);
		snprintf(summary, sizeof(summary), "Delete one row of %s", t->url_name);
		json_object_object_add(item, "delete",
		    table_op(t, summary, opid, false, false, NULL,
		        responses_of("204", "Deleted", NULL)));
	}
	return item;
}

static void
add_table(const struct schema_cache *sc, const struct sc_table *t, int role, const char *prefix,
    bool postgrest, struct json_object *paths, struct json_object *schemas)
{
	unsigned priv = t->privileges[role];
	const char *name = postgrest ? t->name : doc_name(sc, t);
	struct json_object *coll;
	char cname[300], path[600];

	safe_name(t->url_name, cname, sizeof(cname));
	if (json_object_object_get_ex(schemas, cname, NULL))
		snprintf(cname + strlen(cname), sizeof(cname) - strlen(cname), "_%s", t->schema);
	add_table_schema(t, cname, schemas);
	snprintf(path, sizeof(path), "%s%s/%s", prefix, postgrest ? "" : "/tables", name);
	coll = table_collection_ops(t, priv, cname);
	json_object_object_add(paths, path, coll);
	if (t->pk >= 0 && postgrest && (priv & PRIV_INSERT) && (priv & PRIV_UPDATE) &&
	    t->insertable && t->updatable) {
		snprintf(path, sizeof(path), "put_%s", cname);
		json_object_object_add(coll, "put",
		    table_op(t, "Upsert one row, named by its key's eq filter", path, true, false,
		        ref_schema(cname),
		        responses_of("200", "The row", array_of(ref_schema(cname)))));
	}
	if (t->pk < 0 || postgrest)
		return;
	snprintf(path, sizeof(path), "%s/tables/%s/{id}", prefix, name);
	json_object_object_add(paths, path, table_item_ops(t, priv, cname));
}

/* What f answers: rows (an array, or one object) of the component
 * schema of its columns, a value, or SETOF values. */
static struct json_object *
rpc_result_schema(const struct sc_function *f, struct json_object *schemas)
{
	struct json_object *s;
	char cname[320];

	if (f->returns == FN_RETURNS_SCALAR) {
		s = typed_schema(f->rettypname, f->rettypcategory, f->retelemtype, NULL);
		return f->retset ? array_of(s) : s;
	}
	memcpy(cname, "rpc_", 5);
	safe_name(f->url_name, cname + 4, sizeof(cname) - 4);
	if (!json_object_object_get_ex(schemas, cname, NULL))
		add_table_schema(f->table, cname, schemas);
	s = ref_schema(cname);
	return f->retset ? array_of(s) : s;
}

/* The body of a POST: an object of the named arguments (any JSON for the
 * one unnamed json argument). */
static struct json_object *
rpc_args_schema(const struct sc_function *f)
{
	struct json_object *s = json_object_new_object(), *props = json_object_new_object(),
	                   *required = json_object_new_array();

	json_object_object_add(s, "type", jstr("object"));
	for (int i = 0; i < f->nargs; i++) {
		const struct fn_arg *a = &f->args[i];

		if (a->name[0] == '\0')
			continue;
		json_object_object_add(props, a->name,
		    typed_schema(a->typname, a->typcategory, a->elemtype, NULL));
		if (!a->has_default)
			json_object_array_add(required, jstr(a->name));
	}
	json_object_object_add(s, "properties", props);
	if (json_object_array_length(required) > 0)
		json_object_object_add(s, "required", required);
	else
		json_object_put(required);
	return s;
}

/* An operation on /rpc/{name}: POST with a body, or GET with the
 * arguments as query parameters; rows take what a table read takes. */
static struct json_object *
rpc_op(const struct sc_function *f, bool get, struct json_object *schemas)
{
	bool rows = f->returns == FN_RETURNS_ROWS;
	struct json_object *op, *params, *tags = json_object_new_array(), *responses;
	char opid[320], summary[700];

	snprintf(summary, sizeof(summary), "%s%s", f->comment ? "" : "Call ",
	    f->comment ? f->comment : f->url_name);
	memcpy(opid, "rpc_", 5);
	safe_name(f->url_name, opid + 4, sizeof(opid) - 8);
	strcat(opid, get ? "_get" : "");
	responses = f->returns == FN_RETURNS_VOID
	    ? responses_of("204", "Done: the function returns void", NULL)
	    : responses_of("200", "Result", rpc_result_schema(f, schemas));
	op = table_op(f->table, summary, opid, rows, rows, get ? NULL : rpc_args_schema(f),
	    responses);
	json_object_array_add(tags, jstr("rpc"));
	json_object_object_add(op, "tags", tags);
	params = json_object_object_get(op, "parameters");
	for (int i = 0; get && i < f->nargs; i++) {
		const struct fn_arg *a = &f->args[i];
		struct json_object *p;

		if (a->name[0] == '\0' || reserved_param(a->name))
			continue;
		/* An argument named as a result column: the argument it is. */
		for (size_t k = 0; k < json_object_array_length(params); k++)
			if (json_object_object_get_ex(json_object_array_get_idx(params, k), "name",
			        &p) &&
			    strcmp(json_object_get_string(p), a->name) == 0)
				json_object_array_del_idx(params, k--, 1);
		p = json_object_new_object();
		json_object_object_add(p, "name", jstr(a->name));
		json_object_object_add(p, "in", jstr("query"));
		json_object_object_add(p, "required", json_object_new_boolean(!a->has_default));
		json_object_object_add(p, "schema",
		    typed_schema(a->typname, a->typcategory, a->elemtype, NULL));
		json_object_array_add(params, p);
	}
	return op;
}

/* /rpc/{name} for the functions role may execute: POST (the first such
 * overload's arguments) and GET (the first STABLE or IMMUTABLE one's). */
static void
add_functions(const struct fn_cache *fc, int role, const char *prefix, bool postgrest,
    struct json_object *paths, struct json_object *schemas)
{
	for (int i = 0, n; fc != NULL && i < fc->nfns; i += n) {
		const struct sc_function *post = NULL, *get = NULL;
		struct json_object *item;
		char path[400];

		for (n = 0;
		     i + n < fc->nfns && strcmp(fc->fns[i + n].url_name, fc->fns[i].url_name) == 0;
		     n++) {
			const struct sc_function *f = &fc->fns[i + n];

			if (f->executable[role] && post == NULL)
				post = f;
			if (f->executable[role] && get == NULL && f->volatility != 'v')
				get = f;
		}
		if (post == NULL || (postgrest && strcmp(post->url_name, post->name) != 0))
			continue;
		item = json_object_new_object();
		json_object_object_add(item, "post", rpc_op(post, false, schemas));
		if (get != NULL)
			json_object_object_add(item, "get", rpc_op(get, true, schemas));
		snprintf(path, sizeof(path), "%s/rpc/%s", prefix, fc->fns[i].url_name);
		json_object_object_add(paths, path, item);
	}
}

void
openapi_add_relations(const struct schema_cache *sc, const struct fn_cache *fc, int role,
    const char *prefix, bool postgrest, struct json_object *paths, struct json_object *schemas)
{
	for (int i = 0; sc != NULL && i < sc->ntables; i++) {
		const struct sc_table *t = &sc->tables[i];

		/* PostgREST documents the default schema (the profile's, were it asked). */
		if (t->privileges[role] != 0 && (!postgrest || strcmp(t->url_name, t->name) == 0))
			add_table(sc, t, role, prefix, postgrest, paths, schemas);
	}
	add_functions(fc, role, prefix, postgrest, paths, schemas);
}

char *
openapi_build(const struct schema_cache *sc, const struct fn_cache *fc, int role, size_t *len)
{
	struct json_object *root = json_tokener_parse(openapi_static_json), *paths, *components,
	                   *schemas, *info;

	if (root == NULL) {
		log_err("%s: the embedded document does not parse", __func__);
		return NULL;
	}
	if (json_object_object_get_ex(root, "info", &info))
		json_object_object_add(info, "version", jstr(PACKAGE_VERSION));
	json_object_object_get_ex(root, "paths", &paths);
	json_object_object_get_ex(root, "components", &components);
	json_object_object_get_ex(components, "schemas", &schemas);
	openapi_add_relations(sc, fc, role, "", false, paths, schemas);
	return openapi_unclosed(root, len);
}

char *
openapi_unclosed(struct json_object *root, size_t *len)
{
	const char *text = json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(text);
	/* Without the final '}': "servers" is appended per request. */
	char *out = n > 1 ? malloc(n) : NULL;

	if (out != NULL) {
		memcpy(out, text, n - 1);
		out[n - 1] = '\0';
		*len = n - 1;
	}
	json_object_put(root);
	return out;
}
