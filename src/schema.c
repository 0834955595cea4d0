/*
 * schema.c - the schema cache, built from one catalog query whose JSON
 * PostgreSQL renders and json-c reads.
 *
 * Views take part in relationships as PostgREST's do: a view column that
 * plainly reads a table's column stands for it, so a table's foreign key
 * whose columns a view shows is also the view's, and a key referencing
 * columns a view shows also references the view.  The exact column map
 * comes from each view's rewrite rule (ev_action's target entries carry
 * resorigtbl/resorigcol; no other catalog maps view columns to their
 * sources), parsed in the same query; see SCHEMA_VIEW_COLUMNS_SQL.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "db.h"
#include "log.h"
#include "schema.h"

const char *const schema_roles[SCHEMA_NROLES] = { "anon", "authenticated", "service_role" };

int
schema_role_index(const char *role)
{
	for (int i = 0; role != NULL && i < SCHEMA_NROLES; i++)
		if (strcmp(role, schema_roles[i]) == 0)
			return i;
	return -1;
}

/*
 * The columns of every view (and materialized view) traced to a column of
 * a table: the view's rewrite rule (pg_rewrite.ev_action, a node tree)
 * holds a TargetEntry per view column whose resorigtbl/resorigcol name the
 * column it plainly reads (0 for an expression).  No catalog maps a view's
 * column to its source otherwise (pg_depend says which columns the rule
 * reads, not which view column each becomes).  The rule's text is split
 * at each " :resno "; a piece whose start sits at brace depth 2 is one of
 * the top-level query's target entries (nested queries' entries are
 * deeper; escaped braces in names are dropped before counting).  Entries
 * naming a view are followed down to a table, views on views up to 8
 * levels.  A base column read twice keeps the view's first column.
 */
#define SCHEMA_VIEW_COLUMNS_SQL \
	"vdefs AS (" \
	" SELECT rw.ev_class AS view, rw.ev_action::text AS def" \
	" FROM pg_rewrite rw JOIN pg_class c ON c.oid = rw.ev_class" \
	" JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE c.relkind IN ('v', 'm') AND rw.rulename = '_RETURN'" \
	"  AND n.nspname NOT IN ('pg_catalog', 'information_schema'))," \
	"vparts AS (" \
	" SELECT d.view, p.i, p.part," \
	"  coalesce(sum(length(replace(p.part, '}', '')) - length(replace(p.part, '{', '')))" \
	"   OVER (PARTITION BY d.view ORDER BY p.i" \
	"    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS depth" \
	" FROM vdefs d, string_to_table(CASE WHEN strpos(d.def, chr(92)) = 0 THEN d.def" \
	"   ELSE replace(replace(replace(d.def, repeat(chr(92), 2), ''), chr(92) || '{', '')," \
	"    chr(92) || '}', '') END, ' :resno ') WITH ORDINALITY p(part, i))," \
	"vsrc AS (" \
	" SELECT view, substring(part FROM '^[0-9]+')::int2 AS att," \
	"  substring(part FROM ':resorigtbl ([0-9]+)')::oid AS base," \
	"  substring(part FROM ':resorigcol ([0-9]+)')::int2 AS base_att" \
	" FROM vparts WHERE i > 1 AND depth = 2)," \
	"vtrace AS (" \
	" SELECT s.view, s.att, s.base, s.base_att, 1 AS hops" \
	" FROM vsrc s JOIN rels r ON r.oid = s.view WHERE s.base <> 0" \
	" UNION ALL" \
	" SELECT t.view, t.att, s.base, s.base_att, t.hops + 1" \
	" FROM vtrace t JOIN vsrc s ON s.view = t.base AND s.att = t.base_att" \
	" WHERE s.base <> 0 AND t.hops < 8)," \
	"vcols AS (" \
	" SELECT DISTINCT ON (t.view, t.base, t.base_att) t.view, t.att, t.base, t.base_att" \
	" FROM vtrace t JOIN pg_class b ON b.oid = t.base AND b.relkind NOT IN ('v', 'm')" \
	" ORDER BY t.view, t.base, t.base_att, t.att),"

/*
 * Each declared foreign key (not a partition's copy) has two ends: its
 * table's columns and the referenced table's.  A cached view whose traced
 * columns cover an end is one more end of that key.  Every pair of a
 * referencing end and a referenced end is a key of the referencing
 * relation, under the constraint's name (PostgREST's view relationships:
 * table to view, view to table, view to view); the declared pair first.
 * unique is the declared key's: the base table's rows are the view's.
 */
#define SCHEMA_FKS_SQL \
	"fkeys AS (" \
	" SELECT co.oid, co.conname, co.conrelid, co.conkey, co.confrelid, co.confkey" \
	" FROM pg_constraint co WHERE co.contype = 'f' AND co.conparentid = 0)," \
	"ends AS (" \
	" SELECT k.oid AS con, false AS ref, k.conrelid AS rel, k.conkey AS atts FROM fkeys k" \
	" UNION ALL" \
	" SELECT k.oid, true, k.confrelid, k.confkey FROM fkeys k" \
	" UNION ALL" \
	" SELECT k.oid, s.ref, v.view, array_agg(v.att ORDER BY e.i)" \
	" FROM fkeys k CROSS JOIN (VALUES (false), (true)) s(ref)" \
	" CROSS JOIN LATERAL unnest(CASE WHEN s.ref THEN k.confkey ELSE k.conkey END)" \
	"  WITH ORDINALITY e(n, i)" \
	" JOIN vcols v ON v.base = CASE WHEN s.ref THEN k.confrelid ELSE k.conrelid END" \
	"  AND v.base_att = e.n" \
	" GROUP BY k.oid, s.ref, v.view HAVING count(*) = max(cardinality(k.conkey)))," \
	"fks AS (" \
	" SELECT src.rel, json_agg(json_build_object(" \
	"  'name', k.conname, 'derived', src.rel <> k.conrelid OR dst.rel <> k.confrelid," \
	"  'unique', EXISTS (SELECT 1 FROM pg_index ui WHERE ui.indrelid = k.conrelid" \
	"    AND ui.indisunique AND ui.indpred IS NULL AND ui.indexprs IS NULL" \
	"    AND (SELECT array_agg(x ORDER BY x) FROM unnest(ui.indkey::int2[]) x)" \
	"     = (SELECT array_agg(y ORDER BY y) FROM unnest(k.conkey) y))," \
	"  'columns', (SELECT json_agg(a.attname ORDER BY e.i) FROM unnest(src.atts)" \
	"    WITH ORDINALITY e(n, i) JOIN pg_attribute a ON a.attrelid = src.rel" \
	"    AND a.attnum = e.n)," \
	"  'ref_schema', fn.nspname, 'ref_table', fc.relname," \
	"  'ref_columns', (SELECT json_agg(a.attname ORDER BY e.i) FROM unnest(dst.atts)" \
	"    WITH ORDINALITY e(n, i) JOIN pg_attribute a ON a.attrelid = dst.rel" \
	"    AND a.attnum = e.n))" \
	"  ORDER BY src.rel <> k.conrelid OR dst.rel <> k.confrelid, k.conname, fn.nspname," \
	"   fc.relname) AS fks" \
	" FROM ends src JOIN fkeys k ON k.oid = src.con" \
	" JOIN ends dst ON dst.con = src.con AND dst.ref" \
	" JOIN pg_class fc ON fc.oid = dst.rel JOIN pg_namespace fn ON fn.oid = fc.relnamespace" \
	" WHERE NOT src.ref AND src.rel IN (SELECT oid FROM rels)" \
	" GROUP BY src.rel)"

static const char schema_sql[] =
    "WITH RECURSIVE rels AS ("
    " SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,"
    "  obj_description(c.oid, 'pg_class') AS comment,"
    "  pg_relation_is_updatable(c.oid::regclass, true) AS upd,"
    "  array_position($1::text[], n.nspname::text) AS schema_pos"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r','v','m','f','p')"
    "  AND NOT c.relispartition)," SCHEMA_VIEW_COLUMNS_SQL SCHEMA_FKS_SQL
    " SELECT coalesce(json_agg(json_build_object("
    " 'schema', r.schema, 'name', r.name, 'kind', r.kind, 'comment', r.comment,"
    " 'insertable', (r.upd & 8) = 8, 'updatable', (r.upd & 4) = 4,"
    " 'deletable', (r.upd & 16) = 16,"
    " 'privileges', (SELECT json_agg((CASE WHEN fluxbase.may(g.role, r.oid, 'select')"
    "   THEN 1 ELSE 0 END) + (CASE WHEN fluxbase.may(g.role, r.oid, 'insert') THEN 2"
    "   ELSE 0 END) + (CASE WHEN fluxbase.may(g.role, r.oid, 'update') THEN 4 ELSE 0"
    "   END) + (CASE WHEN fluxbase.may(g.role, r.oid, 'delete') THEN 8 ELSE 0 END)"
    "   ORDER BY g.i) FROM unnest($2::text[]) WITH ORDINALITY g(role, i)),"
    " 'unprotected', $3 AND NOT fluxbase.rls_protected(r.oid),"
    " 'columns', (SELECT json_agg(json_build_object("
    "   'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),"
    "   'typname', t.typname, 'typcategory', t.typcategory, 'elemtype', et.typname,"
    "   'notnull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid),"
    "   'generated', a.attidentity = 'a' OR a.attgenerated <> '',"
    "   'updatable', pg_column_is_updatable(r.oid::regclass, a.attnum, true),"
    "   'comment', col_description(r.oid, a.attnum),"
    "   'enum', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)"
    "            FROM pg_enum e WHERE e.enumtypid = a.atttypid)"
    "  ) ORDER BY a.attnum)"
    "  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
    "  LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'"
    "  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    "  WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped),"
    " 'pk', (SELECT json_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum))"
    "  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
    "   AND a.attnum = ANY(i.indkey)"
    "  WHERE i.indrelid = r.oid AND i.indisprimary),"
    " 'fks', f.fks"
    ") ORDER BY r.schema_pos, r.name), '[]')::text,"
    " CASE WHEN $4 THEN fluxbase.schema_fingerprint($1) END"
    " FROM rels r LEFT JOIN fks f ON f.rel = r.oid";

char *
schema_quote_ident(struct arena *a, const char *name)
{
	struct strbuf sb;

	strbuf_init(&sb, a, strlen(name) + 3);
	strbuf_putc(&sb, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			strbuf_putc(&sb, '"');
		strbuf_putc(&sb, *p);
	}
	strbuf_putc(&sb, '"');
	return sb.data;
}

const char *
schema_rls_hint(struct arena *a, const struct sc_table *t)
{
	if (t->kind == 'v')
		return arena_printf(a,
		    "Every table the view %s.%s reads needs it: SELECT auth.expose('<table>',"
		    " 'authenticated', 'select') for each (it forces row-level security)",
		    t->schema, t->name);
	if (t->kind != 'r' && t->kind != 'p')
		return "Materialized views and foreign tables have no row-level security: expose a"
		       " view over a protected table instead";
	return arena_printf(a,
	    "SELECT auth.expose('%s.%s', 'authenticated', 'select') (it forces row-level"
	    " security; add your own policies to filter rows), or ALTER TABLE %s ENABLE ROW"
	    " LEVEL SECURITY, FORCE ROW LEVEL SECURITY",
	    t->schema, t->name, t->qualified);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *const irregular[][2] = {
	{ "person", "people" },
	{ "child", "children" },
	{ "man", "men" },
	{ "woman", "women" },
	{ "mouse", "mice" },
	{ "goose", "geese" },
	{ "tooth", "teeth" },
	{ "foot", "feet" },
	{ "ox", "oxen" },
	{ "datum", "data" },
	{ "medium", "media" },
	{ "index", "indices" },
};

const char *
schema_plural(struct arena *a, const char *name)
{
	size_t n = strlen(name);
	char last = n ? (char)tolower((unsigned char)name[n - 1]) : '\0';
	char before = n > 1 ? (char)tolower((unsigned char)name[n - 2]) : '\0';

	for (size_t i = 0; i < sizeof(irregular) / sizeof(irregular[0]); i++) {
		if (strcmp(name, irregular[i][0]) == 0)
			return irregular[i][1];
		if (strcmp(name, irregular[i][1]) == 0)
			return name;
		/* user_person -> user_people */
		if (ends_with(name, irregular[i][0]) && n > strlen(irregular[i][0]) &&
		    strchr("_.", name[n - strlen(irregular[i][0]) - 1]) != NULL)
			return arena_printf(a, "%.*s%s", (int)(n - strlen(irregular[i][0])), name,
			    irregular[i][1]);
	}
	if (n == 0)
		return name;
	/* Already plural: ends in s but not in ss, us or is (status, axis). */
	if (last == 's' && before != 's' && before != 'u' && before != 'i')
		return name;
	if (last == 's' || last == 'x' || last == 'z' || ends_with(name, "ch") ||
	    ends_with(name, "sh"))
		return arena_printf(a, "%ses", name);
	if (last == 'y' && before != '\0' && strchr("aeiou", before) == NULL)
		return arena_printf(a, "%.*sies", (int)(n - 1), name);
	return arena_printf(a, "%ss", name);
}

const char *
schema_json_str(struct arena *a, struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return arena_strdup(a, json_object_get_string(v));
}

bool
schema_json_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v != NULL && json_object_get_boolean(v);
}

const char **
schema_json_strs(struct arena *a, struct json_object *o, const char *key)
{
	struct json_object *v;
	const char **out;
	size_t n;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	n = json_object_array_length(v);
	out = arena_calloc(a, n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = arena_strdup(a, json_object_get_string(json_object_array_get_idx(v, i)));
	return out;
}

/* A table's foreign keys, their columns' indexes in it (ref waits for schema_link_fks). */
static void
schema_fill_fks(struct arena *a, struct sc_table *t, struct json_object *o)
{
	struct json_object *fks;

	if (json_object_object_get_ex(o, "fks", &fks) && fks != NULL) {
		t->nfks = (int)json_object_array_length(fks);
		t->fks = arena_calloc(a, (size_t)t->nfks, sizeof(*t->fks));
		for (int i = 0; i < t->nfks; i++) {
			struct json_object *f = json_object_array_get_idx(fks, (size_t)i);
			struct sc_fk *fk = &t->fks[i];

			fk->name = schema_json_str(a, f, "name");
			fk->unique = schema_json_bool(f, "unique");
			fk->derived = schema_json_bool(f, "derived");
			fk->columns = schema_json_strs(a, f, "columns");
			fk->ref_schema = schema_json_str(a, f, "ref_schema");
			fk->ref_table = schema_json_str(a, f, "ref_table");
			fk->ref_columns = schema_json_strs(a, f, "ref_columns");
			fk->ncolumns = 0;
			while (fk->columns != NULL && fk->columns[fk->ncolumns] != NULL)
				fk->ncolumns++;
			fk->cols = arena_calloc(a, (size_t)fk->ncolumns + 1, sizeof(*fk->cols));
			for (int k = 0; k < fk->ncolumns; k++)
				fk->cols[k] = schema_column(t, fk->columns[k]);
		}
	}
}

static void
schema_fill_table(struct schema_cache *sc, struct sc_table *t, struct json_object *o,
    const char *default_schema)
{
	struct arena *a = &sc->arena;
	struct json_object *cols;
	const char **pk;
	const char *kind;

	t->schema = schema_json_str(a, o, "schema");
	t->name = schema_json_str(a, o, "name");
	kind = schema_json_str(a, o, "kind");
	t->kind = kind ? kind[0] : 'r';
	t->comment = schema_json_str(a, o, "comment");
	t->insertable = schema_json_bool(o, "insertable");
	t->updatable = schema_json_bool(o, "updatable");
	t->deletable = schema_json_bool(o, "deletable");
	t->unprotected = schema_json_bool(o, "unprotected");
	t->qualified = arena_printf(a, "%s.%s", schema_quote_ident(a, t->schema),
	    schema_quote_ident(a, t->name));
	if (strcmp(t->schema, default_schema) == 0)
		t->url_name = t->name;
	else
		t->url_name = arena_printf(a, "%s.%s", t->schema, t->name);

	t->url_plural = schema_plural(a, t->url_name);
	{
		struct json_object *privs;

		if (json_object_object_get_ex(o, "privileges", &privs) && privs != NULL)
			for (size_t i = 0; i < 3 && i < json_object_array_length(privs); i++)
				t->privileges[i] = (unsigned char)json_object_get_int(
				    json_object_array_get_idx(privs, i));
	}
	t->pk = -1;
	pk = schema_json_strs(a, o, "pk");
	t->npk = 0;
	while (pk != NULL && pk[t->npk] != NULL)
		t->npk++;

	if (json_object_object_get_ex(o, "columns", &cols) && cols != NULL) {
		t->ncolumns = (int)json_object_array_length(cols);
		t->columns = arena_calloc(a, (size_t)t->ncolumns, sizeof(*t->columns));
		for (int i = 0; i < t->ncolumns; i++) {
			struct json_object *c = json_object_array_get_idx(cols, (size_t)i);
			struct sc_column *col = &t->columns[i];
			const char *cat;

			col->name = schema_json_str(a, c, "name");
			col->quoted = schema_quote_ident(a, col->name);
			col->type = schema_json_str(a, c, "type");
			col->typname = schema_json_str(a, c, "typname");
			cat = schema_json_str(a, c, "typcategory");
			col->typcategory = cat ? cat[0] : 'U';
			col->elemtype = schema_json_str(a, c, "elemtype");
			col->notnull = schema_json_bool(c, "notnull");
			col->default_expr = schema_json_str(a, c, "default");
			col->generated = schema_json_bool(c, "generated");
			col->updatable = schema_json_bool(c, "updatable");
			col->comment = schema_json_str(a, c, "comment");
			col->enum_values = schema_json_strs(a, c, "enum");
			for (int k = 0; k < t->npk; k++)
				if (strcmp(pk[k], col->name) == 0)
					col->pk = true;
			if (t->npk == 1 && strcmp(pk[0], col->name) == 0)
				t->pk = i;
		}
	}
	schema_fill_fks(a, t, o);
}

/*
 * Once every table is loaded: each foreign key's referenced table when it
 * is in the cache, with the referenced columns' indexes.  A key whose
 * columns cannot all be found (never expected) keeps ref NULL, so no
 * relationship is built on it.
 */
static void
schema_link_fks(struct schema_cache *sc)
{
	for (int i = 0; i < sc->ntables; i++) {
		struct sc_table *t = &sc->tables[i];

		for (int j = 0; j < t->nfks; j++) {
			struct sc_fk *fk = &t->fks[j];
			const struct sc_table *ref = NULL;
			bool ok = fk->ref_schema != NULL && fk->ref_table != NULL &&
			    fk->ref_columns != NULL;

			for (int k = 0; ok && ref == NULL && k < sc->ntables; k++)
				if (strcmp(sc->tables[k].schema, fk->ref_schema) == 0 &&
				    strcmp(sc->tables[k].name, fk->ref_table) == 0)
					ref = &sc->tables[k];
			if (ref == NULL)
				continue;
			fk->ref_cols = arena_calloc(&sc->arena, (size_t)fk->ncolumns + 1,
			    sizeof(*fk->ref_cols));
			for (int k = 0; k < fk->ncolumns; k++) {
				ok = ok && fk->cols[k] >= 0 && fk->ref_columns[k] != NULL;
				fk->ref_cols[k] = ok ? schema_column(ref, fk->ref_columns[k]) : -1;
				ok = ok && fk->ref_cols[k] >= 0;
			}
			fk->ref = ok && fk->ncolumns > 0 ? ref : NULL;
		}
	}
}

/* The exposed schemas ("a, b") as one text[] literal; the first is the
 * default one (NULL when there is none). */
static const char *
schemas_literal(struct arena *a, const char *schemas, const char **default_schema)
{
	struct strbuf arr;
	char *list = arena_strdup(a, schemas), *save = NULL;
	char **names = arena_calloc(a, strlen(schemas) / 2 + 1, sizeof(*names));
	int nnames = 0;

	for (char *s = strtok_r(list, ", ", &save); s != NULL; s = strtok_r(NULL, ", ", &save))
		names[nnames++] = s;
	*default_schema = nnames > 0 ? names[0] : NULL;
	strbuf_init(&arr, a, 64);
	strbuf_put_array_literal(&arr, (const char *const *)names, nnames);
	return arr.data;
}

/* Schema changes are polled for where no NOTIFY announces them: single
 * mode (no event triggers) and behind a pooler (no LISTEN). */
static bool
schema_polls(const struct schema_cache *sc, const struct db *db)
{
	return (sc->single || db_pooled(db)) && sc->poll > 0;
}

/* The catalogs' fingerprint now, or "" when it cannot be read. */
static void
schema_fingerprint_read(struct db *db, const char *schemas_lit, char *out, size_t n)
{
	const char *values[1] = { schemas_lit };
	struct db_result *res =
	    db_exec(db, "SELECT fluxbase.schema_fingerprint($1::text[])", 1, values);

	snprintf(out, n, "%s",
	    db_result_status(res) == DB_OK && db_result_rows(res) == 1 &&
	            !db_result_isnull(res, 0, 0)
	        ? db_result_value(res, 0, 0)
	        : "");
	db_result_free(res);
}

int
schema_load(struct schema_cache *sc, struct db *db, const char *schemas)
{
	struct arena tmp;
	struct strbuf roles;
	struct json_object *root;
	struct db_result *res;
	const char *values[4], *default_schema;
	int n;

	arena_init(&tmp, 1024);
	values[0] = schemas_literal(&tmp, schemas, &default_schema);
	strbuf_init(&roles, &tmp, 64);
	strbuf_put_array_literal(&roles, schema_roles, SCHEMA_NROLES);
	values[1] = roles.data;
	values[2] = sc->single ? "true" : "false";
	/* The fingerprint polling compares against, read with the catalogs
	 * (one snapshot). */
	values[3] = schema_polls(sc, db) ? "true" : "false";

	res = db_exec(db, schema_sql, 4, values);
	if (db_result_status(res) != DB_OK) {
		log_err("%s: cannot read the catalogs: %s", __func__, db_result_message(res));
		db_result_free(res);
		arena_destroy(&tmp);
		return -1;
	}
	root = json_tokener_parse(db_result_value(res, 0, 0));
	snprintf(sc->fingerprint, sizeof(sc->fingerprint), "%s",
	    db_result_isnull(res, 0, 1) ? "" : db_result_value(res, 0, 1));
	sc->polled = time(NULL);
	db_result_free(res);
	if (root == NULL || !json_object_is_type(root, json_type_array)) {
		log_err("%s: unreadable catalog answer", __func__);
		json_object_put(root);
		arena_destroy(&tmp);
		return -1;
	}

	if (sc->loaded)
		arena_destroy(&sc->arena);
	arena_init(&sc->arena, 64 * 1024);
	n = (int)json_object_array_length(root);
	sc->tables = arena_calloc(&sc->arena, (size_t)(n > 0 ? n : 1), sizeof(*sc->tables));
	sc->ntables = n;
	sc->default_schema = arena_strdup(&sc->arena, default_schema ? default_schema : "public");
	for (int i = 0; i < n; i++)
		schema_fill_table(sc, &sc->tables[i], json_object_array_get_idx(root, (size_t)i),
		    default_schema ? default_schema : "public");
	json_object_put(root);
	arena_destroy(&tmp);
	schema_link_fks(sc);

	/* Two tables on one URL name: the exact name wins; say so once. */
	for (int i = 0; i < n; i++) {
		const char *pl = sc->tables[i].url_plural;

		for (int j = 0; j < n; j++)
			if (i != j && strcmp(pl, sc->tables[j].url_name) == 0 &&
			    strcmp(pl, sc->tables[i].url_name) != 0)
				log_warn(
				    "schema: /tables/%s names both %s and %s; the exact name wins",
				    pl, sc->tables[j].qualified, sc->tables[i].qualified);
	}
	sc->loaded = true;
	sc->stale = false;
	sc->generation++;
	log_debug("schema: loaded %d tables and views (generation %u)", n, sc->generation);
	return 0;
}

/* Single mode, or behind a pooler (no NOTIFY comes), every poll seconds:
 * has the catalogs' fingerprint moved since the last load?  A failed
 * check says no: the request's own statement meets the database's
 * trouble. */
static bool
schema_changed(struct schema_cache *sc, struct db *db, const char *schemas)
{
	struct arena tmp;
	const char *dflt;
	char now[sizeof(sc->fingerprint)];

	if (!schema_polls(sc, db) || time(NULL) < sc->polled + sc->poll)
		return false;
	sc->polled = time(NULL);
	arena_init(&tmp, 256);
	schema_fingerprint_read(db, schemas_literal(&tmp, schemas, &dflt), now, sizeof(now));
	arena_destroy(&tmp);
	return now[0] != '\0' && strcmp(now, sc->fingerprint) != 0;
}

int
schema_ensure(struct schema_cache *sc, struct db *db, const char *schemas)
{
	if (sc->loaded && !sc->stale && !schema_changed(sc, db, schemas))
		return 0;
	return schema_load(sc, db, schemas);
}

void
schema_free(struct schema_cache *sc)
{
	if (sc->loaded)
		arena_destroy(&sc->arena);
	sc->loaded = false;
	sc->tables = NULL;
	sc->ntables = 0;
	sc->default_schema = NULL;
}

const struct sc_table *
schema_find_exact(const struct schema_cache *sc, const char *url_name)
{
	for (int i = 0; i < sc->ntables; i++)
		if (strcmp(sc->tables[i].url_name, url_name) == 0)
			return &sc->tables[i];
	return NULL;
}

const struct sc_table *
schema_find(const struct schema_cache *sc, const char *url_name)
{
	const struct sc_table *t = schema_find_exact(sc, url_name);

	if (t != NULL)
		return t;
	for (int i = 0; i < sc->ntables; i++)
		if (strcmp(sc->tables[i].url_plural, url_name) == 0)
			return &sc->tables[i];
	return NULL;
}

int
schema_column(const struct sc_table *t, const char *name)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return i;
	return -1;
}
