/* The tables grammar and SQL builder, on a table described by hand. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "http.h"
#include "schema.h"
#include "suites.h"
#include "tables/query_parse.h"
#include "tables/query_sql.h"

static struct arena a;
#include "../items_table.h"

static void
setup(void)
{
	arena_init(&a, 8192);
}

static void
teardown(void)
{
	arena_destroy(&a);
}

/* Parses "k=v&k2=v2" through the real query-string splitter. */
static int
plan_of(const char *qs, const char *range, struct plan *p, const char **err)
{
	struct query_param *params;
	size_t n;
	const char *bad;
	struct parse_opts o = { .range = range, .aggregates = true };
	struct query_error e;
	int rc;

	ck_assert_int_eq(query_string_split(&a, qs, &params, &n, &bad), 0);
	rc = query_parse_plan(&a, &table, params, n, &o, p, &e);
	*err = rc < 0 ? e.message : NULL;
	return rc;
}

static struct filter *
only_filter(const char *qs)
{
	struct plan p;
	const char *err = NULL;

	ck_assert_msg(plan_of(qs, NULL, &p, &err) == 0, "%s: %s", qs, err);
	ck_assert_int_eq(p.nfilters, 1);
	return p.filters[0];
}

START_TEST(test_both_spellings)
{
	static const char *same[] = { "age.gt=5", "age=gt.5" };
	struct filter *f;

	for (int i = 0; i < 2; i++) {
		f = only_filter(same[i]);
		ck_assert_int_eq(f->kind, FILTER_COND);
		ck_assert_int_eq(f->ref.column, 2);
		ck_assert_int_eq(f->op, FOP_GT);
		ck_assert_str_eq(f->value, "5");
		ck_assert(!f->negate);
	}
	f = only_filter("name.is.null");
	ck_assert_int_eq(f->op, FOP_IS);
	ck_assert_int_eq(f->is, IS_NULL);
	f = only_filter("name=not.eq.a.b");
	ck_assert(f->negate);
	ck_assert_str_eq(f->value, "a.b");
	f = only_filter("name.not.like=a*b*");
	ck_assert(f->negate);
	ck_assert_int_eq(f->op, FOP_LIKE);
	ck_assert_str_eq(f->value, "a%b%");
	f = only_filter("doc=fts(english).cat%20%26%20dog");
	ck_assert_int_eq(f->op, FOP_FTS);
	ck_assert_str_eq(f->fts_config, "english");
	ck_assert_str_eq(f->value, "cat & dog");
	f = only_filter("age=is.not_null");
	ck_assert_int_eq(f->is, IS_NOT_NULL);
}
END_TEST

START_TEST(test_every_operator)
{
	static const struct {
		const char *qs;
		enum filter_op op;
	} cases[] = {
		{ "age=eq.1", FOP_EQ },
		{ "age=neq.1", FOP_NEQ },
		{ "age=gt.1", FOP_GT },
		{ "age=gte.1", FOP_GTE },
		{ "age=lt.1", FOP_LT },
		{ "age=lte.1", FOP_LTE },
		{ "name=like.a*", FOP_LIKE },
		{ "name=ilike.a*", FOP_ILIKE },
		{ "name=match.^a", FOP_MATCH },
		{ "name=imatch.^a", FOP_IMATCH },
		{ "age=in.(1,2)", FOP_IN },
		{ "age=is.true", FOP_IS },
		{ "age=isdistinct.1", FOP_ISDISTINCT },
		{ "doc=fts.a", FOP_FTS },
		{ "doc=plfts.a", FOP_PLFTS },
		{ "doc=phfts.a", FOP_PHFTS },
		{ "doc=wfts.a", FOP_WFTS },
		{ "tags=cs.{a}", FOP_CS },
		{ "tags=cd.{a}", FOP_CD },
		{ "tags=ov.{a}", FOP_OV },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_int_eq(only_filter(cases[i].qs)->op, cases[i].op);
}
END_TEST

START_TEST(test_in_lists_and_quotes)
{
	struct filter *f = only_filter("name=in.(a,%22b,c%22,%22d%5C%22e%22,f.g:h)");

	ck_assert_int_eq(f->nlist, 4);
	ck_assert_str_eq(f->list[0], "a");
	ck_assert_str_eq(f->list[1], "b,c");
	ck_assert_str_eq(f->list[2], "d\"e");
	ck_assert_str_eq(f->list[3], "f.g:h");
	f = only_filter("name=in.()");
	ck_assert_int_eq(f->nlist, 0);
}
END_TEST

START_TEST(test_groups)
{
	struct filter *g = only_filter(
	    "or=(age.lt.18,and(name.eq.%22x,(y)%22,age.gt.5),not.or(name.is.null,tags.cs.{a}))");

	ck_assert_int_eq(g->kind, FILTER_OR);
	ck_assert_int_eq(g->nchildren, 3);
	ck_assert_int_eq(g->children[0]->op, FOP_LT);
	ck_assert_int_eq(g->children[1]->kind, FILTER_AND);
	ck_assert_str_eq(g->children[1]->children[0]->value, "x,(y)");
	ck_assert_int_eq(g->children[2]->kind, FILTER_OR);
	ck_assert(g->children[2]->negate);
	g = only_filter("not.and=(age.gte.1,age.lte.9)");
	ck_assert_int_eq(g->kind, FILTER_AND);
	ck_assert(g->negate);
}
END_TEST

START_TEST(test_select_order_limit_range)
{
	struct plan p;
	const char *err = NULL;

	ck_assert_int_eq(plan_of("select=id,n:name,*&order=age.desc.nullslast,name&limit=5"
	                         "&offset=10&on_conflict=name&columns=name,age",
	                     NULL, &p, &err),
	    0);
	ck_assert_int_eq(p.nselect, 3);
	ck_assert_str_eq(p.select[1].alias, "n");
	ck_assert_int_eq(p.select[1].ref.column, 1);
	ck_assert_int_eq(p.select[2].kind, SEL_STAR);
	ck_assert_int_eq(p.norder, 2);
	ck_assert(p.order[0].desc);
	ck_assert_int_eq(p.order[0].nulls, NULLS_LAST);
	ck_assert_int_eq(p.limit, 5);
	ck_assert_int_eq(p.offset, 10);
	ck_assert_int_eq(p.non_conflict, 1);
	ck_assert_int_eq(p.ncolumns, 2);
	/* postgrest-js quotes column names. */
	ck_assert_int_eq(plan_of("columns=%22name%22,%22age%22&select=%22id%22,n:%22name%22", NULL,
	                     &p, &err),
	    0);
	ck_assert_int_eq(p.ncolumns, 2);
	ck_assert_int_eq(p.columns[1], 2);
	ck_assert_int_eq(p.select[1].ref.column, 1);
	ck_assert_int_eq(plan_of("", "0-9", &p, &err), 0);
	ck_assert_int_eq(p.limit, 10);
	ck_assert_int_eq(plan_of("limit=3", "items=20-29", &p, &err), 0);
	ck_assert_int_eq(p.limit, 3);
	ck_assert_int_eq(p.offset, 20);
}
END_TEST

START_TEST(test_errors_name_the_piece)
{
	static const struct {
		const char *qs;
		const char *needle;
	} bad[] = {
		{ "nme=eq.1", "\"nme\"" },
		{ "name=eqq.1", "\"eqq\"" },
		{ "name.eqq=1", "\"eqq\"" },
		{ "age=in.1,2", "in.(a,b)" },
		{ "age=is.maybe", "is" },
		{ "or=age.eq.1", "parentheses" },
		{ "or=(age.eq.1", "parentheses" },
		{ "or=(nope.eq.1)", "\"nope\"" },
		{ "select=nope", "\"nope\"" },
		{ "select=rel(*)", "Embedding" },
		{ "select=id::1text", "type" },
		{ "order=id::text", "Casts" },
		{ "order=age.sideways", "sideways" },
		{ "limit=-1", "limit" },
		{ "offset=x", "offset" },
		{ "name", "Malformed" },
		{ "name=eq", "Missing operator" },
		{ "name=like(english).x", "config" },
		{ "or=(age.eq.%22x)", "quotes" },
		{ "columns=id,zzz", "\"zzz\"" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct plan p;
		const char *err = NULL;

		ck_assert_msg(plan_of(bad[i].qs, NULL, &p, &err) == -1, "accepted %s", bad[i].qs);
		ck_assert_msg(strstr(err, bad[i].needle) != NULL, "%s -> %s", bad[i].qs, err);
	}
	{
		struct plan p;
		const char *err = NULL;

		ck_assert_int_eq(plan_of("", "abc", &p, &err), -1);
		ck_assert_int_eq(plan_of("", "9-1", &p, &err), -1);
	}
}
END_TEST

START_TEST(test_nesting_is_bounded)
{
	struct strbuf sb;
	struct plan p;
	const char *err = NULL;

	strbuf_init(&sb, &a, 256);
	strbuf_puts(&sb, "or=(");
	for (int i = 0; i < 20; i++)
		strbuf_puts(&sb, "and(");
	strbuf_puts(&sb, "age.eq.1");
	for (int i = 0; i < 20; i++)
		strbuf_putc(&sb, ')');
	strbuf_putc(&sb, ')');
	ck_assert_int_eq(plan_of(sb.data, NULL, &p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "deeply"));
}
END_TEST

START_TEST(test_prefer)
{
	struct prefer p;

	query_parse_prefer("return=minimal, count=exact,resolution=merge-duplicates;"
	                   " missing=default, tx=rollback",
	    &p);
	ck_assert_int_eq(p.ret, RETURN_MINIMAL);
	ck_assert(p.ret_given);
	ck_assert_int_eq(p.count, COUNT_EXACT);
	ck_assert_int_eq(p.resolution, RESOLUTION_MERGE);
	ck_assert(p.missing_default);
	query_parse_prefer(NULL, &p);
	ck_assert_int_eq(p.ret, RETURN_REPRESENTATION);
	ck_assert_int_eq(p.count, COUNT_NONE);
}
END_TEST

/* What the client sent never appears in the SQL text: only $n. */
static void
assert_values_bound(const struct sql_query *q, const char *const *hostile, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_msg(strstr(q->sql.data, hostile[i]) == NULL, "%s spliced into %s",
		    hostile[i], q->sql.data);
}

START_TEST(test_sql_read)
{
	struct plan p;
	const char *err = NULL;
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .count = COUNT_EXACT, .max_rows = 100 };
	static const char *const hostile[] = { "x'; DROP TABLE items; --", "1 OR 1=1" };

	ck_assert_int_eq(
	    plan_of(
	        "name=eq.x%27;%20DROP%20TABLE%20items;%20--&age=in.(1%20OR%201=1,2)"
	        "&or=(name.like.a*,tags.cs.{a})&select=n:name,age&we%22ird=eq.1&order=age.desc&limit=500",
	        NULL, &p, &err),
	    0);
	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_read(&q, &table, &p, &o), 0);
	assert_values_bound(&q, hostile, 2);
	ck_assert_ptr_nonnull(strstr(q.sql.data, "_fb_t.\"name\" = $"));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "_fb_t.\"age\" = ANY($"));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "::integer[])"));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "_fb_t.\"we\"\"ird\""));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "AS \"n\""));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "ORDER BY _fb_t.\"age\" DESC"));
	/* max_rows caps the limit. */
	ck_assert_ptr_nonnull(strstr(q.sql.data, "LIMIT 100"));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "pg_catalog.count(*)"));
	/* The count and the page each bind their own copies of the values. */
	ck_assert_int_eq(q.nparams, 10);
	ck_assert_str_eq(q.values[0], "x'; DROP TABLE items; --");
	ck_assert_str_eq(q.values[1], "{\"1 OR 1=1\",\"2\"}");
}
END_TEST

START_TEST(test_sql_writes)
{
	struct plan p;
	const char *err = NULL;
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .max_rows = 100 };
	int wcols[] = { 1, 2 };

	ck_assert_int_eq(plan_of("", NULL, &p, &err), 0);
	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_insert(&q, &table, &p, &o, "[{\"name\":\"a\"}]", wcols, 2,
	                     RESOLUTION_MERGE, true),
	    0);
	ck_assert_ptr_nonnull(
	    strstr(q.sql.data, "INSERT INTO \"public\".\"items\" AS _fb_t (\"name\", \"age\")"));
	ck_assert_ptr_nonnull(
	    strstr(q.sql.data, "ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\""));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "jsonb_populate_record"));
	ck_assert_str_eq(q.values[0], "[{\"name\":\"a\"}]");

	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_insert(&q, &table, &p, &o, "{}", wcols, 2, RESOLUTION_IGNORE,
	                     false),
	    0);
	ck_assert_ptr_nonnull(strstr(q.sql.data, "DO NOTHING"));

	ck_assert_int_eq(plan_of("age=lt.3", NULL, &p, &err), 0);
	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_update(&q, &table, &p, &o, "{\"name\":\"b\"}", wcols, 1), 0);
	ck_assert_ptr_nonnull(strstr(q.sql.data,
	    "UPDATE \"public\".\"items\" AS _fb_t SET (\"name\") = (SELECT r.\"name\""));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "WHERE (_fb_t.\"age\" < $2)"));

	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_delete(&q, &table, &p, &o), 0);
	ck_assert_ptr_nonnull(
	    strstr(q.sql.data, "DELETE FROM \"public\".\"items\" AS _fb_t WHERE"));

	o.id = "7";
	o.body = SQL_BODY_OBJECT;
	ck_assert_int_eq(plan_of("", NULL, &p, &err), 0);
	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_put(&q, &table, &p, &o, "{\"name\":\"c\"}", wcols, 1), 0);
	ck_assert_ptr_nonnull(
	    strstr(q.sql.data, "VALUES ($2, (SELECT \"name\" FROM _fb_r), DEFAULT"));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "max(pg_catalog.row_to_json(_fb_src.*)::text)"));

	/* A read by key: the row itself, no aggregate; singular keeps the check. */
	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_read(&q, &table, &p, &o), 0);
	ck_assert_ptr_nonnull(strstr(q.sql.data,
	    "SELECT NULL::bigint AS total, 1::bigint AS n,"
	    " pg_catalog.row_to_json(_fb_src.*)::text AS body FROM (SELECT "));
	ck_assert_ptr_nonnull(strstr(q.sql.data, "WHERE _fb_t.\"id\" = $1"));
	ck_assert_ptr_null(strstr(q.sql.data, "count("));
	o.singular = true;
	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_read(&q, &table, &p, &o), 0);
	ck_assert_ptr_nonnull(strstr(q.sql.data, "fluxbase.assert_singular(pg_catalog.count(*))"));
	o.singular = false;
}
END_TEST

/* The insert of columns name and age from body, as the builder writes it. */
static const char *
insert_sql(const struct plan *p, const struct sql_opts *o, const char *body,
    enum prefer_resolution resolution)
{
	static const int wcols[] = { 1, 2 };
	struct sql_query q;

	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_insert(&q, &table, p, o, body, wcols, 2, resolution, false), 0);
	return q.sql.data;
}

/* One object inserted and answered as the row (or not at all): the
 * insert's RETURNING is the answer, no CTE, no aggregate; anything that
 * needs the rows written again keeps the CTE. */
START_TEST(test_sql_one_object_insert)
{
	static const char cte[] = "WITH _fb_w AS (INSERT";
	struct plan p;
	const char *err = NULL;
	struct sql_opts o = { .body = SQL_BODY_OBJECT, .max_rows = 100 };
	static const struct {
		enum sql_body body;
		const char *returning;
	} bodies[] = {
		{ SQL_BODY_OBJECT, "pg_catalog.row_to_json(_fb_t.*)::text AS body" },
		{ SQL_BODY_ARRAY, "'[' || pg_catalog.row_to_json(_fb_t.*)::text || ']' AS body" },
		{ SQL_BODY_NONE, "NULL::text AS body" },
	};

	ck_assert_int_eq(plan_of("", NULL, &p, &err), 0);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		o.body = bodies[i].body;
		ck_assert_str_eq(insert_sql(&p, &o, " {\"name\":\"a\"}", RESOLUTION_NONE),
		    arena_printf(&a,
		        "INSERT INTO \"public\".\"items\" AS _fb_t (\"name\", \"age\") SELECT"
		        " r.\"name\", r.\"age\" FROM (SELECT $1::jsonb AS j) e,"
		        " pg_catalog.jsonb_populate_record(NULL::\"public\".\"items\", e.j) r"
		        " RETURNING NULL::bigint AS total, 1::bigint AS n, %s",
		        bodies[i].returning));
	}
	/* A conflict to resolve, rows counted or limited, CSV, an array body
	 * or a select list: the rows written go through the CTE as before. */
	o.body = SQL_BODY_OBJECT;
	ck_assert_int_eq(strncmp(insert_sql(&p, &o, "{}", RESOLUTION_IGNORE), cte, strlen(cte)), 0);
	o.singular = true;
	ck_assert_ptr_nonnull(
	    strstr(insert_sql(&p, &o, "{}", RESOLUTION_NONE), "fluxbase.assert_singular("));
	o.singular = false;
	o.max_affected = 1;
	ck_assert_ptr_nonnull(
	    strstr(insert_sql(&p, &o, "{}", RESOLUTION_NONE), "fluxbase.assert_max_affected("));
	o.max_affected = 0;
	o.body = SQL_BODY_CSV;
	ck_assert_int_eq(strncmp(insert_sql(&p, &o, "{}", RESOLUTION_NONE), cte, strlen(cte)), 0);
	o.body = SQL_BODY_OBJECT;
	ck_assert_int_eq(strncmp(insert_sql(&p, &o, "[{}]", RESOLUTION_NONE), "WITH _fb_body AS",
	                     16),
	    0);
	ck_assert_int_eq(plan_of("select=id,name", NULL, &p, &err), 0);
	ck_assert_int_eq(strncmp(insert_sql(&p, &o, "{}", RESOLUTION_NONE), cte, strlen(cte)), 0);
}
END_TEST

START_TEST(test_plural_and_quote)
{
	static const char *const pairs[][2] = {
		{ "product", "products" },
		{ "category", "categories" },
		{ "key", "keys" },
		{ "box", "boxes" },
		{ "match", "matches" },
		{ "wish", "wishes" },
		{ "person", "people" },
		{ "products", "products" },
		{ "people", "people" },
		{ "status", "statuses" },
		{ "address", "addresses" },
		{ "user_person", "user_people" },
		{ "child", "children" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		ck_assert_str_eq(schema_plural(&a, pairs[i][0]), pairs[i][1]);
	ck_assert_str_eq(schema_quote_ident(&a, "a\"b"), "\"a\"\"b\"");
}
END_TEST

Suite *
tables_suite(void)
{
	Suite *s = suite_create("tables");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_both_spellings);
	tcase_add_test(tc, test_every_operator);
	tcase_add_test(tc, test_in_lists_and_quotes);
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_select_order_limit_range);
	tcase_add_test(tc, test_errors_name_the_piece);
	tcase_add_test(tc, test_nesting_is_bounded);
	tcase_add_test(tc, test_prefer);
	tcase_add_test(tc, test_sql_read);
	tcase_add_test(tc, test_sql_writes);
	tcase_add_test(tc, test_sql_one_object_insert);
	tcase_add_test(tc, test_plural_and_quote);
	suite_add_tcase(s, tc);
	return s;
}
