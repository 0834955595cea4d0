/*
 * tables/functions.c - the function cache (functions.h says when it loads
 * and what it leaves out).
 *
 * One catalog query renders every function of the exposed schemas as
 * JSON (PostgreSQL splits the [tables] schemas list, so the first one,
 * the default, names functions without a schema prefix); json-c reads it
 * into the cache's arena.  Input arguments come from proallargtypes /
 * proargmodes (IN, INOUT, VARIADIC); OUT, INOUT and TABLE arguments make
 * the result a row, as PostgREST has it, even when there is one.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "schema.h"
#include "tables/functions.h"

static const char functions_sql[] =
    "WITH s AS (SELECT pg_catalog.regexp_split_to_array(pg_catalog.btrim($1, ' ,'),"
    "  '[ ,]+') AS names),"
    " procs AS ("
    " SELECT p.oid, n.nspname AS schema, p.proname AS name,"
    "  pg_catalog.array_position(s.names, n.nspname::text) AS schema_pos"
    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace, s"
    " WHERE n.nspname = ANY(s.names) AND p.prokind = 'f'"
    "  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
    "   WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid"
    "   AND d.deptype = 'e'))"
    "SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object("
    " 'schema', f.schema, 'name', f.name,"
    " 'url_name', CASE WHEN f.schema_pos = 1 THEN f.name ELSE f.schema || '.' || f.name END,"
    " 'retset', p.proretset, 'volatility', p.provolatile::text,"
    " 'ndefaults', p.pronargdefaults, 'comment', pg_catalog.obj_description(p.oid, 'pg_proc'),"
    " 'rettype', pg_catalog.format_type(p.prorettype, NULL), 'rettypname', rt.typname,"
    " 'rettyptype', rt.typtype::text, 'rettypcategory', rt.typcategory::text,"
    " 'retelemtype', ret.typname, 'retrel_schema', rn.nspname, 'retrel_name', rc.relname,"
    " 'args', (SELECT pg_catalog.json_agg(pg_catalog.json_build_object("
    "   'name', coalesce(a.name, ''), 'mode', coalesce(a.mode, 'i'),"
    "   'type', pg_catalog.format_type(a.typ, NULL), 'typname', t.typname,"
    "   'typtype', t.typtype::text, 'typcategory', t.typcategory::text,"
    "   'elemtype', et.typname) ORDER BY a.i)"
    "  FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargnames,"
    "   p.proargmodes::text[]) WITH ORDINALITY AS a(typ, name, mode, i)"
    "  JOIN pg_catalog.pg_type t ON t.oid = a.typ"
    "  LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'),"
    " 'columns', (SELECT pg_catalog.json_agg(pg_catalog.json_build_object("
    "   'name', at.attname, 'mode', 'o', 'type', pg_catalog.format_type(at.atttypid,"
    "   at.atttypmod), 'typname', t.typname, 'typtype', t.typtype::text,"
    "   'typcategory', t.typcategory::text, 'elemtype', et.typname) ORDER BY at.attnum)"
    "  FROM pg_catalog.pg_attribute at JOIN pg_catalog.pg_type t ON t.oid = at.atttypid"
    "  LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'"
    "  WHERE at.attrelid = rt.typrelid AND at.attnum > 0 AND NOT at.attisdropped),"
    " 'executable', (SELECT pg_catalog.json_agg(fluxbase.may(g.role, p.oid, 'execute')"
    "   ORDER BY g.i) FROM unnest($2::text[]) WITH ORDINALITY g(role, i))"
    ") ORDER BY f.schema_pos, f.name, p.oid), '[]')::text"
    " FROM procs f JOIN pg_catalog.pg_proc p ON p.oid = f.oid"
    " JOIN pg_catalog.pg_type rt ON rt.oid = p.prorettype"
    " LEFT JOIN pg_catalog.pg_type ret ON ret.oid = rt.typelem AND rt.typcategory = 'A'"
    " LEFT JOIN pg_catalog.pg_class rc ON rc.oid = rt.typrelid"
    " LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace";

static char
jchar(struct json_object *o, const char *key, char dflt)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return dflt;
	s = json_object_get_string(v);
	return s != NULL && s[0] != '\0' ? s[0] : dflt;
}

static struct json_object *
jarray(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* A column of a function's own result table, filled as schema.c does. */
static void
fill_column(struct arena *a, struct sc_column *c, struct json_object *o)
{
	c->name = schema_json_str(a, o, "name");
	c->quoted = schema_quote_ident(a, c->name);
	c->type = schema_json_str(a, o, "type");
	c->typname = schema_json_str(a, o, "typname");
	c->typcategory = jchar(o, "typcategory", 'U');
	c->elemtype = schema_json_str(a, o, "elemtype");
}

/* The table of a result made of OUT / TABLE columns (mode o, b, t) or of
 * a composite type's attributes (all of cols). */
static const struct sc_table *
result_table(struct arena *a, struct sc_function *f, struct json_object *cols, bool out_only)
{
	struct sc_table *t = arena_calloc(a, 1, sizeof(*t));
	size_t n = json_object_array_length(cols);

	t->schema = f->schema;
	t->name = f->name;
	t->url_name = f->url_name;
	t->url_plural = f->url_name;
	t->qualified = f->qualified;
	t->kind = 'r';
	t->pk = -1;
	t->columns = arena_calloc(a, n + 1, sizeof(*t->columns));
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(cols, i);

		if (out_only && strchr("obt", jchar(o, "mode", 'i')) == NULL)
			continue;
		fill_column(a, &t->columns[t->ncolumns++], o);
	}
	for (int i = 0; i < SCHEMA_NROLES; i++)
		t->privileges[i] = PRIV_SELECT;
	f->own_table = true;
	return t;
}

static const struct sc_table *
cached_table(const struct schema_cache *sc, const char *schema, const char *name)
{
	for (int i = 0; schema != NULL && name != NULL && i < sc->ntables; i++)
		if (strcmp(sc->tables[i].schema, schema) == 0 &&
		    strcmp(sc->tables[i].name, name) == 0)
			return &sc->tables[i];
	return NULL;
}

/* The input arguments; false when one cannot come from JSON (a
 * pseudo-type such as anyelement or internal). */
static bool
fill_args(struct arena *a, struct sc_function *f, struct json_object *args, int ndefaults,
    bool *has_out)
{
	size_t n = args ? json_object_array_length(args) : 0;

	f->args = arena_calloc(a, n + 1, sizeof(*f->args));
	*has_out = false;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(args, i);
		char mode = jchar(o, "mode", 'i');
		struct fn_arg *arg;

		if (mode == 'o' || mode == 'b' || mode == 't')
			*has_out = true;
		if (mode == 'o' || mode == 't')
			continue;
		if (jchar(o, "typtype", 'b') == 'p')
			return false;
		arg = &f->args[f->nargs++];
		arg->name = schema_json_str(a, o, "name");
		arg->quoted = schema_quote_ident(a, arg->name);
		arg->type = schema_json_str(a, o, "type");
		arg->typname = schema_json_str(a, o, "typname");
		arg->typcategory = jchar(o, "typcategory", 'U');
		arg->elemtype = schema_json_str(a, o, "elemtype");
		arg->variadic = mode == 'v';
	}
	/* The defaults are those of the last ndefaults inputs. */
	for (int i = f->nargs - ndefaults; i < f->nargs; i++)
		if (i >= 0)
			f->args[i].has_default = true;
	return true;
}

/* false: a function left out (see functions.h). */
static bool
fill_function(struct arena *a, const struct schema_cache *sc, struct sc_function *f,
    struct json_object *o)
{
	struct json_object *ex, *args = jarray(o, "args"), *cols = jarray(o, "columns");
	char rettyptype = jchar(o, "rettyptype", 'b');
	bool has_out;

	f->schema = schema_json_str(a, o, "schema");
	f->name = schema_json_str(a, o, "name");
	f->url_name = schema_json_str(a, o, "url_name");
	f->qualified = arena_printf(a, "%s.%s", schema_quote_ident(a, f->schema),
	    schema_quote_ident(a, f->name));
	f->retset = schema_json_bool(o, "retset");
	f->volatility = jchar(o, "volatility", 'v');
	f->comment = schema_json_str(a, o, "comment");
	f->rettype = schema_json_str(a, o, "rettype");
	f->rettypname = schema_json_str(a, o, "rettypname");
	f->rettypcategory = jchar(o, "rettypcategory", 'U');
	f->retelemtype = schema_json_str(a, o, "retelemtype");
	if (!fill_args(a, f, args, json_object_get_int(json_object_object_get(o, "ndefaults")),
	        &has_out))
		return false;
	if (has_out) {
		f->returns = FN_RETURNS_ROWS;
		f->table = result_table(a, f, args, true);
	} else if (strcmp(f->rettypname, "void") == 0) {
		f->returns = FN_RETURNS_VOID;
	} else if (rettyptype == 'c') {
		f->returns = FN_RETURNS_ROWS;
		f->table = cached_table(sc, schema_json_str(a, o, "retrel_schema"),
		    schema_json_str(a, o, "retrel_name"));
		if (f->table == NULL && cols != NULL)
			f->table = result_table(a, f, cols, false);
		if (f->table == NULL)
			return false;
	} else if (rettyptype == 'p' && strcmp(f->rettypname, "record") != 0) {
		return false; /* trigger, event_trigger, internal, anyelement... */
	} else {
		f->returns = FN_RETURNS_SCALAR;
	}
	if ((ex = jarray(o, "executable")) != NULL)
		for (size_t i = 0; i < SCHEMA_NROLES && i < json_object_array_length(ex); i++)
			f->executable[i] =
			    json_object_get_boolean(json_object_array_get_idx(ex, i));
	return true;
}

int
functions_load(struct fn_cache *fc, struct db *db, const struct schema_cache *sc,
    const char *schemas)
{
	struct arena tmp;
	struct strbuf roles;
	struct json_object *root;
	struct db_result *res;
	const char *values[2];
	int n;

	arena_init(&tmp, 1024);
	strbuf_init(&roles, &tmp, 64);
	strbuf_put_array_literal(&roles, schema_roles, SCHEMA_NROLES);
	values[0] = schemas;
	values[1] = roles.data;
	res = db_exec(db, functions_sql, 2, values);
	arena_destroy(&tmp);
	if (db_result_status(res) != DB_OK) {
		log_err("%s: cannot read the catalogs: %s", __func__, db_result_message(res));
		db_result_free(res);
		return -1;
	}
	root = json_tokener_parse(db_result_value(res, 0, 0));
	db_result_free(res);
	if (root == NULL || !json_object_is_type(root, json_type_array)) {
		log_err("%s: unreadable catalog answer", __func__);
		json_object_put(root);
		return -1;
	}
	functions_free(fc);
	arena_init(&fc->arena, 16 * 1024);
	n = (int)json_object_array_length(root);
	fc->fns = arena_calloc(&fc->arena, (size_t)n + 1, sizeof(*fc->fns));
	for (int i = 0; i < n; i++)
		if (fill_function(&fc->arena, sc, &fc->fns[fc->nfns],
		        json_object_array_get_idx(root, (size_t)i)))
			fc->nfns++;
		else
			memset(&fc->fns[fc->nfns], 0, sizeof(fc->fns[0]));
	json_object_put(root);
	{
		size_t len = strcspn(schemas + strspn(schemas, " ,"), " ,");

		fc->default_schema =
		    arena_printf(&fc->arena, "%.*s", (int)len, schemas + strspn(schemas, " ,"));
	}
	fc->generation = sc->generation;
	fc->loaded = true;
	log_debug("functions: loaded %d functions (generation %u)", fc->nfns, fc->generation);
	return 0;
}

void
functions_free(struct fn_cache *fc)
{
	if (fc->loaded)
		arena_destroy(&fc->arena);
	fc->loaded = false;
	fc->fns = NULL;
	fc->nfns = 0;
}

const struct fn_cache *
functions_get(struct request *r)
{
	static struct fn_cache cache;

	if (schema_ensure(r->schema, r->db, r->conf->tables_schemas) < 0)
		return NULL;
	if ((!cache.loaded || cache.generation != r->schema->generation) &&
	    functions_load(&cache, r->db, r->schema, r->conf->tables_schemas) < 0)
		return NULL;
	return &cache;
}

int
functions_find(const struct fn_cache *fc, const char *url_name, int *count)
{
	for (int i = 0; i < fc->nfns; i++) {
		if (strcmp(fc->fns[i].url_name, url_name) != 0)
			continue;
		*count = 1;
		while (i + *count < fc->nfns && strcmp(fc->fns[i + *count].url_name, url_name) == 0)
			(*count)++;
		return i;
	}
	*count = 0;
	return -1;
}
