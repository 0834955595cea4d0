/*
 * fuzz_sql: query string -> plan -> SQL, for reads, deletes and updates.
 * Invariants, for every plan the grammar accepts:
 *   - the SQL lexes: every quoted identifier and literal is terminated;
 *   - every quoted identifier is one the schema cache made (a column, the
 *     schema or the table) or a select alias, quoted;
 *   - nothing the client sent is spliced: with every value, list item,
 *     text-search config, id and alias replaced by a constant, the SQL text
 *     (aliases aside) is byte for byte the same and binds as many values.
 */
#include "config.h"

#include "arena.h"
#include "fuzz.h"
#include "http.h"
#include "schema.h"
#include "tables/query_parse.h"
#include "tables/query_sql.h"
#include "../items_table.h"

/* The SQL with each quoted identifier replaced by "" (aliases differ). */
static char *
skeleton(struct arena *a, const char *sql, const struct plan *p)
{
	size_t n = strlen(sql), o = 0;
	char *out = arena_alloc(a, n + 1);

	for (size_t i = 0; i < n;) {
		if (sql[i] == '"') {
			size_t start = i++;
			bool known = false;
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
			for (int c = 0; c < table.ncolumns && !known; c++)
				known = strcmp(ident, table.columns[c].quoted) == 0;
			known |=
			    strcmp(ident, "\"public\"") == 0 || strcmp(ident, "\"items\"") == 0;
			for (int s = 0; s < p->nselect && !known; s++)
				known = p->select[s].alias != NULL &&
				    strcmp(ident, schema_quote_ident(a, p->select[s].alias)) == 0;
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
blank_filter(struct filter *f)
{
	if (f->kind == FILTER_COND) {
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
	for (int i = 0; i < p->nselect; i++)
		if (p->select[i].alias != NULL)
			p->select[i].alias = "a";
}

enum kind { READ, READ_ONE, DELETE, UPDATE, NKINDS };

static int
build(struct arena *a, struct sql_query *q, enum kind k, const struct plan *p, const char *id)
{
	static const int wcols[] = { 1, 2 };
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .count = COUNT_EXACT, .max_rows = 100 };

	sql_init(q, a);
	switch (k) {
	case READ:
		return sql_build_read(q, &table, p, &o);
	case READ_ONE:
		o.body = SQL_BODY_OBJECT;
		o.singular = true;
		o.id = id;
		return sql_build_read(q, &table, p, &o);
	case DELETE:
		o.id = id;
		return sql_build_delete(q, &table, p, &o);
	default:
		return sql_build_update(q, &table, p, &o, "{\"name\":\"x\"}", wcols, 2);
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
	struct parse_opts o = { .aggregates = true };
	char *qs, *nl;
	size_t n;

	if (size < 1)
		return 0;
	/* First byte: which statement; "query\nid": a second line is /{id}. */
	qs = fuzz_cstr(data + 1, size - 1);
	id = "1";
	if ((nl = strchr(qs, '\n')) != NULL) {
		*nl = '\0';
		id = nl + 1;
	}
	arena_init(&a, 4096);
	if (query_string_split(&a, qs, &params, &n, &bad) == 0 &&
	    query_parse_plan(&a, &table, params, n, &o, &p, &err) == 0) {
		enum kind k = (enum kind)(data[0] % NKINDS);
		struct sql_query q1, q2;
		int rc1 = build(&a, &q1, k, &p, id), rc2;
		char *s1;

		if (rc1 == 0) {
			s1 = skeleton(&a, q1.sql.data, &p);
			blank_plan(&p);
			rc2 = build(&a, &q2, k, &p, "v");
			FUZZ_ASSERT(rc2 == 0, "the constant plan failed to build");
			FUZZ_ASSERT(strcmp(s1, skeleton(&a, q2.sql.data, &p)) == 0,
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
