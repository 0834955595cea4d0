/*
 * fuzz_query: the query-string splitter and the tables grammar (filters,
 * select, order, limit/offset, Range, on_conflict, columns, Prefer) on a
 * table described by hand.  A plan that parses refers only to columns the
 * table has; an error always names what was wrong.
 */
#include "config.h"

#include "arena.h"
#include "fuzz.h"
#include "http.h"
#include "tables/query_parse.h"
#include "../items_table.h"

static void
check_filter(const struct filter *f, int depth)
{
	FUZZ_ASSERT(depth <= QUERY_MAX_DEPTH + 1, "depth %d", depth);
	if (f->kind == FILTER_COND) {
		FUZZ_ASSERT(f->ref.column >= 0 && f->ref.column < table.ncolumns, "column %d",
		    f->ref.column);
		if (f->op == FOP_IN)
			FUZZ_ASSERT(f->nlist >= 0 && (f->nlist == 0 || f->list != NULL), "in list");
		return;
	}
	for (int i = 0; i < f->nchildren; i++)
		check_filter(f->children[i], depth + 1);
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
	struct parse_opts o = { .aggregates = true };
	char *qs = fuzz_cstr(data, size), *nl;
	size_t n;

	/* "query\nrange": a second line is the Range header. */
	if ((nl = strchr(qs, '\n')) != NULL) {
		*nl = '\0';
		range = nl + 1;
	}
	arena_init(&a, 4096);
	if (query_string_split(&a, qs, &params, &n, &bad) == 0) {
		o.range = range;
		if (query_parse_plan(&a, &table, params, n, &o, &p, &err) == 0) {
			FUZZ_ASSERT(p.nfilters <= QUERY_MAX_FILTERS, "%d filters", p.nfilters);
			for (int i = 0; i < p.nfilters; i++)
				check_filter(p.filters[i], 1);
			for (int i = 0; i < p.nselect; i++)
				FUZZ_ASSERT(p.select[i].kind != SEL_COLUMN ||
				        (p.select[i].ref.column >= 0 &&
				            p.select[i].ref.column < table.ncolumns),
				    "select column %d", p.select[i].ref.column);
			for (int i = 0; i < p.norder; i++)
				FUZZ_ASSERT(p.order[i].ref.column >= 0 &&
				        p.order[i].ref.column < table.ncolumns,
				    "order column %d", p.order[i].ref.column);
			for (int i = 0; i < p.ncolumns; i++)
				FUZZ_ASSERT(p.columns[i] >= 0 && p.columns[i] < table.ncolumns,
				    "columns");
			for (int i = 0; i < p.non_conflict; i++)
				FUZZ_ASSERT(p.on_conflict[i] >= 0 &&
				        p.on_conflict[i] < table.ncolumns,
				    "on_conflict");
			FUZZ_ASSERT(p.limit >= -1 && p.offset >= 0, "limit %ld offset %ld", p.limit,
			    p.offset);
		} else {
			FUZZ_ASSERT(err.message != NULL && err.message[0] != '\0' &&
			        err.code != NULL,
			    "an error without a message");
		}
	}
	query_parse_prefer(qs, &pr);
	arena_destroy(&a);
	free(qs);
	return 0;
}
