/*
 * fuzz_query: the query-string splitter and the tables grammar (filters,
 * select with JSON paths, casts, aggregates and embedded resources,
 * order, limit/offset, embedded resources' parameters, Range,
 * on_conflict, columns, Prefer) on a table described by hand, in a small
 * schema cache built here: items (a self-referencing key on age), notes
 * -> items, tags, item_tags (primary key item_id, tag_id) -> items and
 * tags.  A plan that parses refers only to columns of the table in its
 * scope, at every level; every embed has a target, a sub plan and a
 * bounded depth; an error always has a code and names what was wrong.
 */
#include "config.h"

#include "arena.h"
#include "fuzz.h"
#include "http.h"
#include "tables/query_parse.h"
#include "../items_table.h"

static struct sc_column note_cols[] = {
	{ .name = "id", .quoted = "\"id\"", .pk = true },
	{ .name = "item_id", .quoted = "\"item_id\"" },
	{ .name = "body", .quoted = "\"body\"" },
	{ .name = "meta", .quoted = "\"meta\"" },
};
static struct sc_column tag_cols[] = {
	{ .name = "id", .quoted = "\"id\"", .pk = true },
	{ .name = "name", .quoted = "\"name\"" },
};
static struct sc_column item_tag_cols[] = {
	{ .name = "item_id", .quoted = "\"item_id\"", .pk = true },
	{ .name = "tag_id", .quoted = "\"tag_id\"", .pk = true },
};
static const char *c_id[] = { "id", NULL }, *c_age[] = { "age", NULL },
                  *c_item_id[] = { "item_id", NULL }, *c_tag_id[] = { "tag_id", NULL };
static int i0[] = { 0 }, i1[] = { 1 }, i2[] = { 2 };
static struct sc_table tables[4];
static struct sc_fk item_fks[1], note_fks[1], item_tag_fks[2];
static struct schema_cache sc = { .tables = tables, .ntables = 4, .loaded = true };

static void
fk(struct sc_fk *f, const char *name, const char **keys, int *idx, const struct sc_table *ref)
{
	*f = (struct sc_fk){ .name = name,
		.columns = keys,
		.ref_schema = "public",
		.ref_table = ref->name,
		.ref_columns = c_id,
		.ncolumns = 1,
		.cols = idx,
		.ref = ref,
		.ref_cols = i0 };
}

static void
table_init(struct sc_table *t, const char *name, struct sc_column *columns, int n)
{
	*t = (struct sc_table){ .schema = "public",
		.name = name,
		.url_name = name,
		.url_plural = name,
		.qualified = name,
		.kind = 'r',
		.columns = columns,
		.ncolumns = n,
		.pk = 0,
		.npk = 1 };
}

static void
schema_init(void)
{
	if (tables[0].name != NULL)
		return;
	tables[0] = table;
	table_init(&tables[1], "notes", note_cols, 4);
	table_init(&tables[2], "tags", tag_cols, 2);
	table_init(&tables[3], "item_tags", item_tag_cols, 2);
	fk(&item_fks[0], "items_age_fkey", c_age, i2, &tables[0]);
	fk(&note_fks[0], "notes_item_id_fkey", c_item_id, i1, &tables[0]);
	fk(&item_tag_fks[0], "item_tags_item_id_fkey", c_item_id, i0, &tables[0]);
	fk(&item_tag_fks[1], "item_tags_tag_id_fkey", c_tag_id, i1, &tables[2]);
	tables[0].fks = item_fks;
	tables[0].nfks = 1;
	tables[1].fks = note_fks;
	tables[1].nfks = 1;
	tables[3].fks = item_tag_fks;
	tables[3].nfks = 2;
	tables[3].npk = 2;
	tables[3].pk = -1;
}

static void
check_colref(const struct colref *r, const struct sc_table *t)
{
	FUZZ_ASSERT(r->column >= 0 && r->column < t->ncolumns, "column %d of %s", r->column,
	    t->name);
	FUZZ_ASSERT(r->npath >= 0 && (r->npath == 0 || r->path != NULL), "path");
	for (int i = 0; i < r->npath; i++)
		FUZZ_ASSERT(r->path[i].key != NULL && r->path[i].key[0] != '\0', "empty key");
}

static void
check_filter(const struct filter *f, const struct sc_table *t, int depth)
{
	FUZZ_ASSERT(depth <= QUERY_MAX_DEPTH + 1, "depth %d", depth);
	if (f->kind == FILTER_COND) {
		check_colref(&f->ref, t);
		FUZZ_ASSERT(f->ref.cast == NULL, "a cast in a filter");
		if (f->op == FOP_IN)
			FUZZ_ASSERT(f->nlist >= 0 && (f->nlist == 0 || f->list != NULL), "in list");
		return;
	}
	for (int i = 0; i < f->nchildren; i++)
		check_filter(f->children[i], t, depth + 1);
}

static void
check_plan(const struct plan *p, const struct sc_table *t, int level)
{
	bool embeds = false;

	FUZZ_ASSERT(level <= QUERY_MAX_DEPTH, "embedded %d deep", level);
	FUZZ_ASSERT(p->nfilters <= QUERY_MAX_FILTERS, "%d filters", p->nfilters);
	for (int i = 0; i < p->nfilters; i++)
		check_filter(p->filters[i], t, 1);
	for (int i = 0; i < p->nselect; i++) {
		const struct select_item *s = &p->select[i];

		if (s->kind == SEL_COLUMN)
			check_colref(&s->ref, t);
		FUZZ_ASSERT(s->agg == AGG_NONE || p->aggregated, "aggregate not flagged");
		if (s->kind != SEL_EMBED)
			continue;
		embeds = true;
		FUZZ_ASSERT(s->embed != NULL && s->embed->rel.target != NULL &&
		        s->embed->sub != NULL,
		    "an embed without its target");
		FUZZ_ASSERT(!s->embed->spread || REL_TO_ONE(&s->embed->rel), "to-many spread");
		FUZZ_ASSERT(s->embed->rel.kind == REL_MANY_TO_MANY || s->embed->rel.fk != NULL,
		    "no key");
		check_plan(s->embed->sub, s->embed->rel.target, level + 1);
	}
	FUZZ_ASSERT(!(embeds && p->aggregated), "aggregates beside embeds");
	for (int i = 0; i < p->norder; i++) {
		check_colref(&p->order[i].ref, t);
		FUZZ_ASSERT(p->order[i].ref.cast == NULL, "a cast in order");
	}
	for (int i = 0; i < p->ncolumns; i++)
		FUZZ_ASSERT(p->columns[i] >= 0 && p->columns[i] < t->ncolumns, "columns");
	for (int i = 0; i < p->non_conflict; i++)
		FUZZ_ASSERT(p->on_conflict[i] >= 0 && p->on_conflict[i] < t->ncolumns,
		    "on_conflict");
	FUZZ_ASSERT(p->limit >= -1 && p->offset >= 0, "limit %ld offset %ld", p->limit, p->offset);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct query_param *params;
	struct plan p;
	struct prefer pr;
	const char *bad = NULL, *range = NULL;
	struct query_error err;
	struct parse_opts o = { .aggregates = true, .sc = &sc };
	char *qs = fuzz_cstr(data, size), *nl;
	size_t n;

	schema_init();
	/* "query\nrange": a second line is the Range header. */
	if ((nl = strchr(qs, '\n')) != NULL) {
		*nl = '\0';
		range = nl + 1;
	}
	/* A leading '!' turns aggregates off. */
	o.aggregates = qs[0] != '!';
	arena_init(&a, 4096);
	if (query_string_split(&a, qs + !o.aggregates, &params, &n, &bad) == 0) {
		o.range = range;
		if (query_parse_plan(&a, &tables[0], params, n, &o, &p, &err) == 0)
			check_plan(&p, &tables[0], 0);
		else
			FUZZ_ASSERT(err.message != NULL && err.message[0] != '\0' &&
			        err.code != NULL && (err.status == 400 || err.status == 300),
			    "an error without a message");
	}
	query_parse_prefer(qs, &pr);
	arena_destroy(&a);
	free(qs);
	return 0;
}
