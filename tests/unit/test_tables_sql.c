/*
 * test_tables_sql.c - the SQL builder's depth: JSON paths, casts, embedded
 * resources (to-one, to-many, many-to-many, nested, spread, !inner),
 * aggregates, CSV, max-affected and a function as the FROM item.
 *
 * Plans are built by hand against a schema described by hand (users,
 * profiles, posts with two keys to users, comments, tags through
 * post_tags), so the builder is tested apart from the grammar.  Each test
 * checks the statement's shape and that every value the client sent is a
 * bound parameter: none appears in the SQL text.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "arena.h"
#include "schema.h"
#include "suites.h"
#include "tables/query_parse.h"
#include "tables/query_sql.h"

static struct arena a;

#define COL(n, t, tn, cat) \
	{ \
		.name = n, .quoted = "\"" n "\"", .type = t, .typname = tn, .typcategory = cat \
	}
#define INT(n) COL(n, "integer", "int4", 'N')
#define TEXT(n) COL(n, "text", "text", 'S')

enum { U_ID, U_NAME, U_MANAGER };
enum { PR_USER, PR_BIO };
enum { P_ID, P_TITLE, P_AUTHOR, P_EDITOR, P_META, P_DOC, P_AMOUNT, P_STATUS };
enum { C_ID, C_POST, C_USER, C_BODY, C_APPROVED };
enum { PT_POST, PT_TAG };

static struct sc_column users_cols[] = { INT("id"), TEXT("name"), INT("manager_id") };
static struct sc_column profiles_cols[] = { INT("user_id"), TEXT("bio") };
static struct sc_column posts_cols[] = { INT("id"), TEXT("title"), INT("author_id"),
	INT("editor_id"), COL("meta", "jsonb", "jsonb", 'U'), COL("doc", "json", "json", 'U'),
	COL("amount", "numeric", "numeric", 'N'), TEXT("status") };
static struct sc_column comments_cols[] = { INT("id"), INT("post_id"), INT("user_id"), TEXT("body"),
	COL("approved", "boolean", "bool", 'B') };
static struct sc_column tags_cols[] = { INT("id"), TEXT("name") };
static struct sc_column post_tags_cols[] = { INT("post_id"), INT("tag_id") };

#define TABLE(n, c) \
	{ \
		.schema = "public", .name = n, .url_name = n, .qualified = "\"public\".\"" n "\"", \
		.kind = 'r', .columns = c, .ncolumns = (int)(sizeof(c) / sizeof(c[0])), .pk = 0, \
		.npk = 1 \
	}

static struct sc_table users = TABLE("users", users_cols);
static struct sc_table profiles = TABLE("profiles", profiles_cols);
static struct sc_table posts = TABLE("posts", posts_cols);
static struct sc_table comments = TABLE("comments", comments_cols);
static struct sc_table tags = TABLE("tags", tags_cols);
static struct sc_table post_tags = TABLE("post_tags", post_tags_cols);

static int col0[] = { 0 }, col1[] = { 1 }, col2[] = { 2 }, col3[] = { 3 };
#define FK(n, c, r, rc, u) \
	{ \
		.name = n, .ncolumns = 1, .cols = c, .ref = r, .ref_cols = rc, .unique = u \
	}
static struct sc_fk fk_manager = FK("users_manager_id_fkey", col2, &users, col0, false);
static struct sc_fk fk_profile = FK("profiles_user_id_fkey", col0, &users, col0, true);
static struct sc_fk fk_author = FK("posts_author_id_fkey", col2, &users, col0, false);
static struct sc_fk fk_editor = FK("posts_editor_id_fkey", col3, &users, col0, false);
static struct sc_fk fk_comment_post = FK("comments_post_id_fkey", col1, &posts, col0, false);
static struct sc_fk fk_comment_user = FK("comments_user_id_fkey", col2, &users, col0, false);
static struct sc_fk fk_pt_post = FK("post_tags_post_id_fkey", col0, &posts, col0, false);
static struct sc_fk fk_pt_tag = FK("post_tags_tag_id_fkey", col1, &tags, col0, false);

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

/* A plan with room for 16 select items and 8 filters. */
static struct plan *
new_plan(void)
{
	struct plan *p = arena_calloc(&a, 1, sizeof(*p));

	p->limit = -1;
	p->select = arena_calloc(&a, 16, sizeof(*p->select));
	p->filters = arena_calloc(&a, 8, sizeof(*p->filters));
	return p;
}

static struct select_item *
add_item(struct plan *p, enum select_kind kind, const char *alias)
{
	struct select_item *it = &p->select[p->nselect++];

	it->kind = kind;
	it->alias = alias;
	return it;
}

static struct colref *
add_col(struct plan *p, int col, const char *alias)
{
	struct select_item *it = add_item(p, SEL_COLUMN, alias);

	it->ref.column = col;
	return &it->ref;
}

/* ref's path: "->key", "->>key", "->0" steps, NULL-terminated. */
static void
set_path(struct colref *ref, const char *const *steps)
{
	int n = 0;

	while (steps[n] != NULL)
		n++;
	ref->path = arena_calloc(&a, (size_t)n, sizeof(*ref->path));
	ref->npath = n;
	for (int i = 0; i < n; i++) {
		bool text = strncmp(steps[i], "->>", 3) == 0;

		ref->path[i].text = text;
		ref->path[i].key = steps[i] + (text ? 3 : 2);
		ref->path[i].index = ref->path[i].key[0] == '-' ||
		    (ref->path[i].key[0] >= '0' && ref->path[i].key[0] <= '9');
	}
}

static struct filter *
add_filter(struct plan *p, int col, enum filter_op op, const char *value)
{
	struct filter *f = arena_calloc(&a, 1, sizeof(*f));

	f->kind = FILTER_COND;
	f->ref.column = col;
	f->op = op;
	f->value = value;
	p->filters[p->nfilters++] = f;
	return f;
}

static struct embed *
add_embed(struct plan *p, const char *name, const char *alias, enum rel_kind kind,
    const struct sc_table *target, const struct sc_fk *fk, bool fk_on_parent)
{
	struct embed *e = arena_calloc(&a, 1, sizeof(*e));

	add_item(p, SEL_EMBED, alias)->embed = e;
	e->name = name;
	e->rel.kind = kind;
	e->rel.target = target;
	e->rel.fk = fk;
	e->rel.fk_on_parent = fk_on_parent;
	e->sub = new_plan();
	return e;
}

static const char *
build_read(const struct sc_table *t, const struct plan *p, struct sql_opts *o, struct sql_query *q)
{
	sql_init(q, &a);
	ck_assert_int_eq(sql_build_read(q, t, p, o), 0);
	return q->sql.data;
}

#define HAS(sql, s) ck_assert_msg(strstr(sql, s) != NULL, "no %s in %s", s, sql)
#define HASNT(sql, s) ck_assert_msg(strstr(sql, s) == NULL, "%s in %s", s, sql)

static int
occurrences(const char *sql, const char *s)
{
	int n = 0;

	for (const char *at = sql; (at = strstr(at, s)) != NULL; at += strlen(s))
		n++;
	return n;
}

/* Every value is bound: none in the text, each among the parameters. */
static void
assert_bound(const struct sql_query *q, const char *const *values, int n)
{
	for (int i = 0; i < n; i++) {
		bool found = false;

		ck_assert_msg(strstr(q->sql.data, values[i]) == NULL, "%s spliced into %s",
		    values[i], q->sql.data);
		for (int k = 0; k < q->nparams && !found; k++)
			found = strcmp(q->values[k], values[i]) == 0;
		ck_assert_msg(found, "%s not bound", values[i]);
	}
}

START_TEST(test_paths_and_casts)
{
	struct plan *p = new_plan();
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .max_rows = 100 };
	static const char *const keys[] = { "col'or", "si\"ze", "t; ags" };
	const char *sql;
	struct colref *r;

	set_path(add_col(p, P_META, NULL), (const char *[]){ "->col'or", NULL });
	set_path(add_col(p, P_META, "sz"), (const char *[]){ "->>si\"ze", NULL });
	set_path(add_col(p, P_META, NULL), (const char *[]){ "->t; ags", "->0", NULL });
	add_col(p, P_AMOUNT, NULL)->cast = "text";
	r = add_col(p, P_META, NULL);
	set_path(r, (const char *[]){ "->>si\"ze", NULL });
	r->cast = "INT";
	add_col(p, P_ID, NULL)->cast = "bigint[]";
	add_col(p, P_STATUS, NULL)->cast = "public.mood";
	add_col(p, P_ID, NULL)->cast = "double";
	set_path(add_col(p, P_TITLE, "t"), (const char *[]){ "->>0", NULL });
	sql = build_read(&posts, p, &o, &q);
	/* The keys are bound; the last one names the output too, quoted. */
	for (int i = 0; i < 3; i++) {
		bool found = false;

		for (int k = 0; k < q.nparams; k++)
			found |= strcmp(q.values[k], keys[i]) == 0;
		ck_assert_msg(found, "%s not bound", keys[i]);
	}
	HASNT(sql, "si\"ze");
	/* Keys as text, indexes as int, both bound; the default key is the
	 * path's last key, an index's the one before it. */
	HAS(sql, "_fb_t.\"meta\"->$1::text AS \"col'or\"");
	HAS(sql, "_fb_t.\"meta\"->>$2::text AS \"sz\"");
	HAS(sql, "_fb_t.\"meta\"->$3::text->$4::int AS \"t; ags\"");
	ck_assert_str_eq(q.values[3], "0");
	/* A cast: the catalog's name, quoted; of a path, the whole path. */
	HAS(sql, "_fb_t.\"amount\"::\"text\", ");
	HAS(sql, "(_fb_t.\"meta\"->>$5::text)::\"int4\" AS \"si\"\"ze\"");
	HAS(sql, "_fb_t.\"id\"::\"int8\"[]");
	HAS(sql, "_fb_t.\"status\"::\"public\".\"mood\"");
	HAS(sql, "_fb_t.\"id\"::\"float8\"");
	/* A path into a value that is not JSON (an array, a composite) reads
	 * its JSON. */
	HAS(sql, "pg_catalog.to_jsonb(_fb_t.\"title\")->>$6::int AS \"t\"");
}
END_TEST

START_TEST(test_path_filters_and_order)
{
	struct plan *p = new_plan();
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .max_rows = 100 };
	static const char *const values[] = { "red'; --", "{\"x\": 1}", "b%'" };
	static const char *list[] = { "x'y", "z" };
	struct filter *f;
	const char *sql;

	set_path(&add_filter(p, P_META, FOP_EQ, "red'; --")->ref,
	    (const char *[]){ "->>k1", NULL });
	set_path(&add_filter(p, P_DOC, FOP_EQ, "{\"x\": 1}")->ref,
	    (const char *[]){ "->k2", NULL });
	set_path(&add_filter(p, P_META, FOP_LIKE, "b%'")->ref, (const char *[]){ "->k3", NULL });
	f = add_filter(p, P_META, FOP_IN, NULL);
	set_path(&f->ref, (const char *[]){ "->>k4", NULL });
	f->list = list;
	f->nlist = 2;
	p->order = arena_calloc(&a, 1, sizeof(*p->order));
	p->norder = 1;
	p->order[0].desc = true;
	p->order[0].ref.column = P_META;
	set_path(&p->order[0].ref, (const char *[]){ "->>k5", NULL });
	p->select = NULL;
	sql = build_read(&posts, p, &o, &q);
	assert_bound(&q, values, 3);
	/* ->> compares as text; -> as jsonb (json made jsonb: it has no =). */
	HAS(sql, "(_fb_t.\"meta\"->>$1::text = $2)");
	HAS(sql, "((_fb_t.\"doc\"->$3::text)::jsonb = $4)");
	HAS(sql, "((_fb_t.\"meta\"->$5::text)::text LIKE $6)");
	HAS(sql, "(_fb_t.\"meta\"->>$7::text = ANY($8::text[]))");
	HAS(sql, "ORDER BY _fb_t.\"meta\"->>$9::text DESC");
	HASNT(sql, "x'y");
}
END_TEST

START_TEST(test_embed_to_one_and_to_many)
{
	struct plan *p = new_plan();
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .max_rows = 100 };
	static const char *const values[] = { "t'rue" };
	struct embed *author, *cs;
	const char *sql;

	add_col(p, P_ID, NULL);
	author = add_embed(p, "users", "author", REL_MANY_TO_ONE, &users, &fk_author, true);
	add_col(author->sub, U_NAME, NULL);
	cs = add_embed(p, "comments", NULL, REL_ONE_TO_MANY, &comments, &fk_comment_post, false);
	add_col(cs->sub, C_ID, NULL);
	add_col(cs->sub, C_BODY, "text");
	add_filter(cs->sub, C_APPROVED, FOP_EQ, "t'rue");
	cs->sub->order = arena_calloc(&a, 1, sizeof(*cs->sub->order));
	cs->sub->norder = 1;
	cs->sub->order[0].ref.column = C_ID;
	cs->sub->order[0].desc = true;
	cs->sub->limit = 3;
	cs->sub->offset = 1;
	sql = build_read(&posts, p, &o, &q);
	assert_bound(&q, values, 1);
	/* Many-to-one: an object or null, tied to the parent's key; a plain
	 * embed is a scalar subquery in the select list. */
	HAS(sql,
	    "SELECT _fb_t.\"id\", (SELECT pg_catalog.row_to_json(_fb_x2.*) AS j FROM (SELECT"
	    " _fb_t1.\"name\" FROM \"public\".\"users\" AS _fb_t1 WHERE _fb_t1.\"id\" ="
	    " _fb_t.\"author_id\" LIMIT 1) AS _fb_x2) AS \"author\", ");
	/* One-to-many: an array in the embed's order, its filters, its page. */
	HAS(sql,
	    "coalesce((SELECT pg_catalog.json_agg(_fb_x4.*) AS j FROM (SELECT _fb_t3.\"id\","
	    " _fb_t3.\"body\" AS \"text\" FROM \"public\".\"comments\" AS _fb_t3 WHERE"
	    " _fb_t3.\"post_id\" = _fb_t.\"id\" AND (_fb_t3.\"approved\" = $1) ORDER BY"
	    " _fb_t3.\"id\" DESC LIMIT 3 OFFSET 1) AS _fb_x4), '[]') AS \"comments\" FROM"
	    " \"public\".\"posts\" AS _fb_t LIMIT 100");
	HASNT(sql, "LATERAL");
}
END_TEST

START_TEST(test_embed_many_to_many_and_one_to_one)
{
	struct plan *p = new_plan();
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .max_rows = 100 };
	struct embed *e;
	const char *sql;

	add_item(p, SEL_STAR, NULL);
	e = add_embed(p, "tags", NULL, REL_MANY_TO_MANY, &tags, NULL, false);
	e->rel.junction = &post_tags;
	e->rel.junction_parent = &fk_pt_post;
	e->rel.junction_target = &fk_pt_tag;
	add_col(e->sub, 1, NULL);
	e = add_embed(p, "users", "editor", REL_MANY_TO_ONE, &users, &fk_editor, true);
	e->sub->select = NULL;
	sql = build_read(&posts, p, &o, &q);
	/* The target joined with the junction, whose other key is the parent's. */
	HAS(sql,
	    "_fb_t.*, coalesce((SELECT pg_catalog.json_agg(_fb_x2.*) AS j FROM (SELECT"
	    " _fb_t1.\"name\" FROM \"public\".\"tags\" AS _fb_t1 JOIN \"public\".\"post_tags\""
	    " AS _fb_j3 ON _fb_j3.\"tag_id\" = _fb_t1.\"id\" WHERE _fb_j3.\"post_id\" ="
	    " _fb_t.\"id\") AS _fb_x2), '[]') AS \"tags\", ");
	/* The second key to users, chosen by the hint, joins on its column. */
	HAS(sql,
	    "(SELECT _fb_t4.* FROM \"public\".\"users\" AS _fb_t4 WHERE _fb_t4.\"id\" ="
	    " _fb_t.\"editor_id\" LIMIT 1) AS _fb_x5) AS \"editor\"");

	/* One-to-one from the referenced side: the key is the target's; a
	 * self-reference: the parent's own table under another alias. */
	p = new_plan();
	add_col(p, U_ID, NULL);
	e = add_embed(p, "profiles", NULL, REL_ONE_TO_ONE, &profiles, &fk_profile, false);
	add_col(e->sub, PR_BIO, NULL);
	e->inner = true;
	e = add_embed(p, "users", "manager", REL_MANY_TO_ONE, &users, &fk_manager, true);
	add_col(e->sub, U_NAME, NULL);
	sql = build_read(&users, p, &o, &q);
	/* !inner on a to-one: a lateral join that drops users without one. */
	HAS(sql,
	    "SELECT _fb_t.\"id\", _fb_e1.j AS \"profiles\", (SELECT"
	    " pg_catalog.row_to_json(_fb_x5.*) AS j FROM (SELECT _fb_t4.\"name\" FROM"
	    " \"public\".\"users\" AS _fb_t4 WHERE _fb_t4.\"id\" = _fb_t.\"manager_id\" LIMIT 1)"
	    " AS _fb_x5) AS \"manager\" FROM \"public\".\"users\" AS _fb_t JOIN LATERAL (SELECT"
	    " pg_catalog.row_to_json(_fb_x3.*) AS j FROM (SELECT _fb_t2.\"bio\" FROM"
	    " \"public\".\"profiles\" AS _fb_t2 WHERE _fb_t2.\"user_id\" = _fb_t.\"id\" LIMIT 1)"
	    " AS _fb_x3) AS _fb_e1 ON true LIMIT 100");
}
END_TEST

START_TEST(test_embed_inner_nested_and_counts)
{
	struct plan *p = new_plan();
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .max_rows = 100, .count = COUNT_PLANNED };
	static const char *const values[] = { "a'nn" };
	struct embed *cs, *u;
	const char *sql;

	add_col(p, P_TITLE, NULL);
	cs = add_embed(p, "comments", NULL, REL_ONE_TO_MANY, &comments, &fk_comment_post, false);
	cs->inner = true;
	add_col(cs->sub, C_BODY, NULL);
	u = add_embed(cs->sub, "users", NULL, REL_MANY_TO_ONE, &users, &fk_comment_user, true);
	u->inner = true;
	add_col(u->sub, U_NAME, NULL);
	add_filter(u->sub, U_NAME, FOP_EQ, "a'nn");
	sql = build_read(&posts, p, &o, &q);
	assert_bound(&q, values, 1);
	/* The count: parents, existence of an inner match, exact (no plan). */
	HAS(sql,
	    "(SELECT pg_catalog.count(*) FROM \"public\".\"posts\" AS _fb_t JOIN LATERAL"
	    " (SELECT 1 FROM \"public\".\"comments\" AS _fb_t2 JOIN LATERAL (SELECT 1 FROM"
	    " \"public\".\"users\" AS _fb_t4 WHERE _fb_t4.\"id\" = _fb_t2.\"user_id\" AND"
	    " (_fb_t4.\"name\" = $1) LIMIT 1) AS _fb_e3 ON true WHERE _fb_t2.\"post_id\" ="
	    " _fb_t.\"id\" LIMIT 1) AS _fb_e1 ON true)");
	HASNT(sql, "plan_rows");
	/* The read: a to-many !inner drops parents whose array is empty, a
	 * to-one !inner is a plain join; the nested level has its own aliases. */
	HAS(sql, "_fb_t JOIN LATERAL (SELECT pg_catalog.json_agg(");
	HAS(sql, ") AS _fb_e5 ON _fb_e5.j IS NOT NULL");
	HAS(sql,
	    "SELECT _fb_t6.\"body\", _fb_e8.j AS \"users\" FROM \"public\".\"comments\" AS"
	    " _fb_t6 JOIN LATERAL (SELECT pg_catalog.row_to_json(_fb_x10.*) AS j FROM (SELECT"
	    " _fb_t9.\"name\" FROM \"public\".\"users\" AS _fb_t9 WHERE _fb_t9.\"id\" ="
	    " _fb_t6.\"user_id\" AND (_fb_t9.\"name\" = $2) LIMIT 1) AS _fb_x10) AS _fb_e8 ON"
	    " true WHERE _fb_t6.\"post_id\" = _fb_t.\"id\"");
	ck_assert_int_eq(occurrences(sql, "\"comments\" AS"), 2);

	/* Without an inner embed, planned stays planned. */
	cs->inner = false;
	sql = build_read(&posts, p, &o, &q);
	HAS(sql, "plan_rows");
}
END_TEST

START_TEST(test_embed_spread_and_hidden)
{
	struct plan *p = new_plan();
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .max_rows = 100 };
	struct embed *e;
	const char *sql;

	add_col(p, P_TITLE, NULL);
	e = add_embed(p, "users", NULL, REL_MANY_TO_ONE, &users, &fk_author, true);
	e->spread = true;
	add_col(e->sub, U_NAME, "author_name");
	e = add_embed(p, "comments", NULL, REL_ONE_TO_MANY, &comments, &fk_comment_post, false);
	e->hidden = true;
	e->inner = true;
	add_filter(e->sub, C_APPROVED, FOP_IS, NULL)->is = IS_TRUE;
	e = add_embed(p, "tags", NULL, REL_ONE_TO_MANY, &tags, &fk_comment_post, false);
	e->hidden = true;
	sql = build_read(&posts, p, &o, &q);
	/* A spread's columns are the parent's; a hidden embed outputs nothing,
	 * and filters parents only with !inner. */
	HAS(sql,
	    "SELECT _fb_t.\"title\", _fb_e1.* FROM \"public\".\"posts\" AS _fb_t LEFT JOIN"
	    " LATERAL (SELECT _fb_t2.\"name\" AS \"author_name\" FROM \"public\".\"users\" AS"
	    " _fb_t2 WHERE _fb_t2.\"id\" = _fb_t.\"author_id\" LIMIT 1) AS _fb_e1 ON true"
	    " JOIN LATERAL (SELECT 1 FROM \"public\".\"comments\" AS _fb_t4 WHERE"
	    " _fb_t4.\"post_id\" = _fb_t.\"id\" AND (_fb_t4.\"approved\" IS TRUE) LIMIT 1) AS"
	    " _fb_e3 ON true LIMIT 100");
	HASNT(sql, "tags");
}
END_TEST

START_TEST(test_aggregates)
{
	struct plan *p = new_plan();
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_ARRAY, .max_rows = 100 };
	struct select_item *it;
	struct embed *e;
	const char *sql;

	p->aggregated = true;
	add_col(p, P_STATUS, NULL);
	add_item(p, SEL_COUNT, NULL);
	it = add_item(p, SEL_COLUMN, NULL);
	it->ref.column = P_AMOUNT;
	it->agg = AGG_SUM;
	it = add_item(p, SEL_COLUMN, "top");
	it->ref.column = P_AMOUNT;
	it->agg = AGG_MAX;
	it->agg_cast = "int";
	set_path(add_col(p, P_META, NULL), (const char *[]){ "->>color", NULL });
	e = add_embed(p, "users", "author", REL_MANY_TO_ONE, &users, &fk_author, true);
	add_col(e->sub, U_NAME, NULL);
	p->order = arena_calloc(&a, 2, sizeof(*p->order));
	p->norder = 2;
	p->order[0].ref.column = P_META;
	set_path(&p->order[0].ref, (const char *[]){ "->>color", NULL });
	p->order[1].ref.column = P_STATUS;
	sql = build_read(&posts, p, &o, &q);
	HAS(sql,
	    "SELECT _fb_t.\"status\", pg_catalog.count(*) AS \"count\","
	    " pg_catalog.sum(_fb_t.\"amount\") AS \"sum\", (pg_catalog.max(_fb_t.\"amount\"))"
	    "::\"int4\" AS \"top\", _fb_t.\"meta\"->>$1::text AS \"color\","
	    " (_fb_e1.j::text)::json AS \"author\" FROM");
	/* Grouped by the plain items' ordinals, an embed by its text; ordered
	 * by a grouped path's ordinal (its key bound once). */
	HAS(sql, "ON true GROUP BY 1, 5, _fb_e1.j::text ORDER BY 5 ASC, 1 ASC LIMIT 100");
	ck_assert_int_eq(q.nparams, 1);

	/* count() alone: no grouping. */
	p = new_plan();
	p->aggregated = true;
	add_item(p, SEL_COUNT, "n");
	sql = build_read(&posts, p, &o, &q);
	HAS(sql, "SELECT pg_catalog.count(*) AS \"n\" FROM \"public\".\"posts\" AS _fb_t LIMIT");
	HASNT(sql, "GROUP BY");
}
END_TEST

START_TEST(test_csv_max_affected_and_from)
{
	struct plan *p = new_plan();
	struct sql_query q;
	struct sql_opts o = { .body = SQL_BODY_CSV, .max_rows = 100, .count = COUNT_ESTIMATED };
	struct embed *e;
	const char *sql;

	add_col(p, P_ID, NULL);
	sql = build_read(&posts, p, &o, &q);
	HAS(sql, "fluxbase.csv_header(pg_catalog.row_to_json(_fb_h.*))");
	HAS(sql,
	    "pg_catalog.string_agg(fluxbase.csv_line(pg_catalog.row_to_json(_fb_src.*)),"
	    " pg_catalog.chr(10))");

	/* A function's rows: its call is the FROM item, the count exact. */
	o.from = "\"public\".\"posts_by\"($1)";
	sql_init(&q, &a);
	sql_param(&q, "7");
	ck_assert_int_eq(sql_build_read(&q, &posts, p, &o), 0);
	sql = q.sql.data;
	HAS(sql, "(SELECT pg_catalog.count(*) FROM \"public\".\"posts_by\"($1) AS _fb_t)");
	HAS(sql, "FROM \"public\".\"posts_by\"($1) AS _fb_t LIMIT 100");
	HASNT(sql, "plan_rows");
	HASNT(sql, "\"public\".\"posts\"");

	/* Writes: max-affected checked on the rows written; embeds joined to
	 * them. */
	o.from = NULL;
	o.body = SQL_BODY_ARRAY;
	o.max_affected = 5;
	o.singular = true;
	p = new_plan();
	add_col(p, P_TITLE, NULL);
	e = add_embed(p, "users", "author", REL_MANY_TO_ONE, &users, &fk_author, true);
	add_col(e->sub, U_NAME, NULL);
	add_filter(p, P_ID, FOP_GT, "1");
	sql_init(&q, &a);
	ck_assert_int_eq(sql_build_delete(&q, &posts, p, &o), 0);
	sql = q.sql.data;
	HAS(sql, "fluxbase.assert_singular(fluxbase.assert_max_affected(pg_catalog.count(*), 5))");
	HAS(sql,
	    "WHERE (_fb_t.\"id\" > $1) RETURNING _fb_t.*), _fb_src AS (SELECT _fb_w.\"title\","
	    " (SELECT pg_catalog.row_to_json(_fb_x2.*) AS j FROM (SELECT _fb_t1.\"name\" FROM"
	    " \"public\".\"users\" AS _fb_t1 WHERE _fb_t1.\"id\" = _fb_w.\"author_id\" LIMIT 1)"
	    " AS _fb_x2) AS \"author\" FROM _fb_w)");
}
END_TEST

Suite *
tables_sql_suite(void)
{
	Suite *s = suite_create("tables_sql");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_paths_and_casts);
	tcase_add_test(tc, test_path_filters_and_order);
	tcase_add_test(tc, test_embed_to_one_and_to_many);
	tcase_add_test(tc, test_embed_many_to_many_and_one_to_one);
	tcase_add_test(tc, test_embed_inner_nested_and_counts);
	tcase_add_test(tc, test_embed_spread_and_hidden);
	tcase_add_test(tc, test_aggregates);
	tcase_add_test(tc, test_csv_max_affected_and_from);
	suite_add_tcase(s, tc);
	return s;
}
