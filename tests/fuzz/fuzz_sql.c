/*
 * fuzz_sql: query string -> plan -> SQL, for reads, deletes and updates.
 * Invariants, for every plan the grammar accepts:
 *   - the SQL lexes: every quoted identifier and literal is terminated;
 *   - every quoted identifier is one the schema cache made (a column, the
 *     schema or a table), or an output key or a cast's type name from the
 *     plan (select and embed aliases, embed names, JSON path keys), quoted;
 *   - nothing the client sent is spliced: with every value, list item,
 *     text-search config, id, alias and JSON path key replaced by a
 *     constant, at every level of embedding, the SQL text (identifiers
 *     aside) is byte for byte the same and binds as many values.
 * The first byte picks the statement (its remainder by NKINDS) and the
 * table (the quotient): items, or parents/children/links, a small schema
 * with a self-reference, a one-to-many and a many-to-many, whose tables
 * embed one another.
 */
#include "config.h"

#include <ctype.h>

#include "arena.h"
#include "fuzz.h"
#include "http.h"
#include "schema.h"
#include "tables/query_parse.h"
#include "tables/query_sql.h"
#include "../items_table.h"

#define FCOL(n, t, tn, cat, k) \
	{ \
		.name = n, .quoted = "\"" n "\"", .type = t, .typname = tn, .typcategory = cat, \
		.pk = k \
	}
static struct sc_column parents_cols[] = { FCOL("id", "integer", "int4", 'N', true),
	FCOL("name", "text", "text", 'S', false), FCOL("meta", "jsonb", "jsonb", 'U', false),
	FCOL("boss_id", "integer", "int4", 'N', false) };
static struct sc_column children_cols[] = { FCOL("id", "integer", "int4", 'N', true),
	FCOL("parent_id", "integer", "int4", 'N', false), FCOL("body", "text", "text", 'S', false),
	FCOL("doc", "json", "json", 'U', false) };
static struct sc_column links_cols[] = { FCOL("parent_id", "integer", "int4", 'N', true),
	FCOL("child_id", "integer", "int4", 'N', true) };
static const char *id_col[] = { "id", NULL }, *boss_col[] = { "boss_id", NULL },
                  *parent_col[] = { "parent_id", NULL }, *child_col[] = { "child_id", NULL };
static int c0[] = { 0 }, c1[] = { 1 }, c3[] = { 3 };
static struct sc_fk parents_fks[1], children_fks[1], links_fks[2];
static struct sc_table tables[4];
static struct schema_cache cache;

#define FTABLE(n, c, f) \
	(struct sc_table) \
	{ \
		.schema = "public", .name = n, .url_name = n, .url_plural = n, \
		.qualified = "\"public\".\"" n "\"", .kind = 'r', .columns = c, \
		.ncolumns = (int)(sizeof(c) / sizeof(c[0])), .pk = 0, .npk = 1, .fks = f, \
		.nfks = (int)(sizeof(f) / sizeof(f[0])) \
	}
#define FFK(n, col, r, rcol, ci, rci) \
	(struct sc_fk) \
	{ \
		.name = n, .columns = col, .ref_schema = "public", .ref_table = r, \
		.ref_columns = rcol, .ncolumns = 1, .cols = ci, .ref_cols = rci \
	}

static void
schema_init(void)
{
	if (cache.ntables > 0)
		return;
	tables[0] = table;
	tables[1] = FTABLE("parents", parents_cols, parents_fks);
	tables[2] = FTABLE("children", children_cols, children_fks);
	tables[3] = FTABLE("links", links_cols, links_fks);
	tables[3].npk = 2;
	tables[3].pk = -1;
	parents_fks[0] = FFK("parents_boss_id_fkey", boss_col, "parents", id_col, c3, c0);
	parents_fks[0].ref = &tables[1];
	children_fks[0] = FFK("children_parent_id_fkey", parent_col, "parents", id_col, c1, c0);
	children_fks[0].ref = &tables[1];
	links_fks[0] = FFK("links_parent_id_fkey", parent_col, "parents", id_col, c0, c0);
	links_fks[0].ref = &tables[1];
	links_fks[1] = FFK("links_child_id_fkey", child_col, "children", id_col, c1, c0);
	links_fks[1].ref = &tables[2];
	cache.tables = tables;
	cache.ntables = 4;
	cache.loaded = true;
}

/* The identifiers a plan may add to the SQL: output keys (aliases, embed
 * names, JSON path keys of selected columns) and casts' type names. */
struct idents {
	const char **v;
	int n, cap;
};

static void
allow(struct arena *a, struct idents *ids, const char *name)
{
	if (ids->n == ids->cap) {
		int cap = ids->cap ? ids->cap * 2 : 64;
		const char **v = arena_calloc(a, (size_t)cap, sizeof(*v));

		if (ids->n > 0)
			memcpy(v, ids->v, (size_t)ids->n * sizeof(*v));
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = schema_quote_ident(a, name);
}

static void
allow_cast(struct arena *a, struct idents *ids, const char *cast)
{
	char *s;

	if (cast == NULL)
		return;
	s = arena_strdup(a, cast);
	for (char *c = s; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	for (char *part = strtok(s, ".[]"); part != NULL; part = strtok(NULL, ".[]"))
		allow(a, ids, part);
}

static void
allow_plan(struct arena *a, struct idents *ids, const struct plan *p)
{
	for (int i = 0; i < p->nselect; i++) {
		const struct select_item *it = &p->select[i];

		if (it->alias != NULL)
			allow(a, ids, it->alias);
		for (int k = 0; k < it->ref.npath; k++)
			allow(a, ids, it->ref.path[k].key);
		allow_cast(a, ids, it->ref.cast);
		allow_cast(a, ids, it->agg_cast);
		if (it->kind == SEL_EMBED) {
			allow(a, ids, it->embed->name);
			allow_plan(a, ids, it->embed->sub);
		}
	}
}

static bool
cache_made(struct arena *a, const char *ident)
{
	/* The catalog's names of SQL's type keywords (int -> "int4"), and the
	 * aggregates' default keys. */
	static const char *const fixed[] = { "int4", "int2", "int8", "float4", "float8", "bool",
		"numeric", "bpchar", "timestamptz", "count", "sum", "avg", "min", "max" };

	if (strcmp(ident, "\"public\"") == 0)
		return true;
	for (int t = 0; t < cache.ntables; t++) {
		if (strcmp(ident, schema_quote_ident(a, tables[t].name)) == 0)
			return true;
		for (int c = 0; c < tables[t].ncolumns; c++)
			if (strcmp(ident, tables[t].columns[c].quoted) == 0)
				return true;
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(ident, schema_quote_ident(a, fixed[i])) == 0)
			return true;
	return false;
}

/* The SQL with each quoted identifier replaced by "" (aliases differ). */
static char *
skeleton(struct arena *a, const char *sql, const struct idents *ids)
{
	size_t n = strlen(sql), o = 0;
	char *out = arena_alloc(a, n + 1);

	for (size_t i = 0; i < n;) {
		if (sql[i] == '"') {
			size_t start = i++;
			bool known;
			char *ident;

			for (;; i++) {
				FUZZ_ASSERT(i < n, "unterminated identifier in %s", sql);
				if (sql[i] == '"') {
					if (sql[i + 1] == '"') {
						i++;
						continue;
					}
					break;
				}
			}
			i++;
			ident = arena_strndup(a, sql + start, i - start);
			known = cache_made(a, ident);
			for (int s = 0; s < ids->n && !known; s++)
				known = strcmp(ident, ids->v[s]) == 0;
			FUZZ_ASSERT(known, "identifier %s the cache did not make, in %s", ident,
			    sql);
			out[o++] = '"';
			out[o++] = '"';
		} else if (sql[i] == '\'') {
			out[o++] = sql[i++];
			for (;; i++) {
				FUZZ_ASSERT(i < n, "unterminated literal in %s", sql);
				out[o++] = sql[i];
				if (sql[i] == '\'') {
					if (sql[i + 1] == '\'') {
						out[o++] = sql[++i];
						continue;
					}
					break;
				}
			}
			i++;
		} else {
			out[o++] = sql[i++];
		}
	}
	out[o] = '\0';
	return out;
}

static void
blank_colref(struct colref *r)
{
	for (int i = 0; i < r->npath; i++)
		r->path[i].key = r->path[i].index ? "0" : "k";
}

static void
blank_filter(struct filter *f)
{
	if (f->kind == FILTER_COND) {
		blank_colref(&f->ref);
		if (f->value != NULL)
			f->value = "v";
		for (int i = 0; i < f->nlist; i++)
			f->list[i] = "v";
		if (f->fts_config != NULL)
			f->fts_config = "v";
		return;
	}
	for (int i = 0; i < f->nchildren; i++)
		blank_filter(f->children[i]);
}

static void
blank_plan(struct plan *p)
{
	for (int i = 0; i < p->nfilters; i++)
		blank_filter(p->filters[i]);
	for (int i = 0; i < p->norder; i++)
		blank_colref(&p->order[i].ref);
	for (int i = 0; i < p->nselect; i++) {
		struct select_item *it = &p->select[i];

		if (it->alias != NULL)
			it->alias = "a";
		blank_colref(&it->ref);
		if (it->kind == SEL_EMBED)
			blank_plan(it->embed->sub);
	}
}

enum kind { READ, READ_ONE, DELETE, UPDATE, NKINDS };

static int
build(struct arena *a, struct sql_query *q, enum kind k, const struct sc_table *t,
    const struct plan *p, const char *id)
{
	static const int wcols[] = { 1, 2 };
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .count = COUNT_EXACT, .max_rows = 100 };

	sql_init(q, a);
	switch (k) {
	case READ:
		return sql_build_read(q, t, p, &o);
	case READ_ONE:
		o.body = SQL_BODY_OBJECT;
		o.singular = true;
		o.id = id;
		return sql_build_read(q, t, p, &o);
	case DELETE:
		o.id = id;
		o.body = SQL_BODY_CSV;
		o.max_affected = 3;
		return sql_build_delete(q, t, p, &o);
	default:
		return sql_build_update(q, t, p, &o, "{\"name\":\"x\"}", wcols,
		    t->ncolumns > 2 ? 2 : 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct query_param *params;
	struct plan p;
	const char *bad = NULL, *id;
	struct query_error err;
	struct parse_opts o = { .aggregates = true, .sc = &cache };
	const struct sc_table *t;
	char *qs, *nl;
	size_t n;

	if (size < 1)
		return 0;
	schema_init();
	t = &tables[(data[0] / NKINDS) % cache.ntables];
	/* First byte: which statement and table; "query\nid": a second line
	 * is /{id}. */
	qs = fuzz_cstr(data + 1, size - 1);
	id = "1";
	if ((nl = strchr(qs, '\n')) != NULL) {
		*nl = '\0';
		id = nl + 1;
	}
	arena_init(&a, 4096);
	if (query_string_split(&a, qs, &params, &n, &bad) == 0 &&
	    query_parse_plan(&a, t, params, n, &o, &p, &err) == 0) {
		enum kind k = (enum kind)(data[0] % NKINDS);
		struct sql_query q1, q2;
		struct idents ids = { 0 };
		int rc1 = build(&a, &q1, k, t, &p, id), rc2;
		char *s1;

		if (rc1 == 0) {
			allow_plan(&a, &ids, &p);
			s1 = skeleton(&a, q1.sql.data, &ids);
			blank_plan(&p);
			ids.n = 0;
			allow_plan(&a, &ids, &p);
			rc2 = build(&a, &q2, k, t, &p, "v");
			FUZZ_ASSERT(rc2 == 0, "the constant plan failed to build");
			FUZZ_ASSERT(strcmp(s1, skeleton(&a, q2.sql.data, &ids)) == 0,
			    "client values changed the SQL text:\n%s\n%s", q1.sql.data,
			    q2.sql.data);
			FUZZ_ASSERT(q1.nparams == q2.nparams, "%d vs %d parameters", q1.nparams,
			    q2.nparams);
		}
	}
	arena_destroy(&a);
	free(qs);
	return 0;
}
