/*
 * Embedding, JSON paths, casts and aggregates through nginx, against the
 * fixture's users/posts/comments/tags/post_tags/employees/profiles schema
 * (fixture.sql), a view over posts, and their row-level security policies.
 *
 * Each check is one row of a table: who asks (anon, alice, bob or the
 * service role), the path, maybe a request header, and what a user sees —
 * the status and the exact body (compared as JSON, so key order and
 * number spelling do not matter, array order does), or the error code, or
 * a response header.  Bodies are written with ' for " to stay readable.
 * Embedded arrays are ordered explicitly wherever they hold more than one
 * row (PostgREST promises no order otherwise).  Expected values follow the
 * contract of issue 19 and PostgREST 12 where it is silent (self
 * references: employees(...) is the one-to-many side).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "suites.h"
#include "tables_client.h"

enum who { ANON, ALICE_T, BOB_T, SVC };

struct ecase {
	enum who who;
	const char *path;
	const char *header; /* a request header, or NULL */
	long status;
	const char *body; /* the exact JSON (' for "), or NULL */
	const char *code; /* the error's code, or NULL */
	const char *resp_header; /* "Name: value" expected in the answer, or NULL */
};

static const char *
token_of(enum who w)
{
	tokens();
	switch (w) {
	case ALICE_T:
		return alice;
	case BOB_T:
		return bob;
	case SVC:
		return service;
	default:
		return NULL;
	}
}

static struct json_object *
parse_quoted(const char *s)
{
	char *copy = strdup(s);
	struct json_object *o;

	for (char *p = copy; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	o = json_tokener_parse(copy);
	ck_assert_msg(o != NULL, "bad expected JSON in the test: %s", s);
	free(copy);
	return o;
}

static void
run_case(const struct ecase *c)
{
	const char *extra[2] = { c->header, NULL };
	struct http_resp r;

	call(&r, "GET", c->path, token_of(c->who), NULL, extra);
	ck_assert_msg(r.status == c->status, "GET %s (as %d): status %ld, wanted %ld: %s", c->path,
	    (int)c->who, r.status, c->status, r.body);
	if (c->body != NULL) {
		struct json_object *want = parse_quoted(c->body), *got = json_tokener_parse(r.body);

		ck_assert_msg(got != NULL && json_object_equal(want, got),
		    "GET %s (as %d):\n  got    %s\n  wanted %s", c->path, (int)c->who, r.body,
		    json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN));
		json_object_put(want);
		json_object_put(got);
	}
	if (c->code != NULL) {
		struct json_object *o = json_body(&r);

		ck_assert_msg(strcmp(jstr(o, "code"), c->code) == 0,
		    "GET %s: code %s, wanted %s: %s", c->path, jstr(o, "code"), c->code, r.body);
		json_object_put(o);
	}
	if (c->resp_header != NULL) {
		char name[64];
		size_t n = strcspn(c->resp_header, ":");

		snprintf(name, sizeof(name), "%.*s", (int)n, c->resp_header);
		expect_header(&r, name, c->resp_header + n + 2);
	}
	http_resp_free(&r);
}

static void
run_cases(const struct ecase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_case(&cases[i]);
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

/* Every kind of relationship, its shape and what is empty. */
static const struct ecase kinds[] = {
	/* many-to-one: an object, or null when the key is null */
	{ SVC, "/tables/comments?select=id,users(name)&id=lte.2&order=id", NULL, 200,
	    "[{'id':1,'users':{'name':'Bob'}},{'id':2,'users':{'name':'Carol'}}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,editor:users!editor_id(name)&id=in.(1,2)&order=id", NULL,
	    200, "[{'id':1,'editor':{'name':'Bob'}},{'id':2,'editor':null}]", NULL, NULL },
	/* one-to-many: an array, empty when nothing matches */
	{ SVC, "/tables/posts?select=id,comments(id)&comments.order=id&id=in.(1,4)&order=id", NULL,
	    200, "[{'id':1,'comments':[{'id':1},{'id':2},{'id':3}]},{'id':4,'comments':[]}]", NULL,
	    NULL },
	/* many-to-many through post_tags, both ways */
	{ SVC, "/tables/posts?select=id,tags(name)&tags.order=name&id=in.(1,4)&order=id", NULL, 200,
	    "[{'id':1,'tags':[{'name':'news'},{'name':'secret'},{'name':'tech'}]},{'id':4,'tags':[]}]",
	    NULL, NULL },
	{ SVC, "/tables/tags?select=name,posts(id)&posts.order=id&id=eq.2", NULL, 200,
	    "[{'name':'tech','posts':[{'id':1},{'id':2}]}]", NULL, NULL },
	/* one-to-one (profiles.user_id is unique): an object either way */
	{ SVC, "/tables/users?select=name,profiles(bio)&order=id", NULL, 200,
	    "[{'name':'Alice','profiles':{'bio':'Alice writes'}},{'name':'Bob','profiles':{'bio':'Bob "
	    "reads'}},{'name':'Carol','profiles':null},{'name':'Dave','profiles':{'bio':'Dave "
	    "hides'}}]",
	    NULL, NULL },
	{ SVC, "/tables/profiles?select=bio,users(name)&user_id=eq.2", NULL, 200,
	    "[{'bio':'Bob reads','users':{'name':'Bob'}}]", NULL, NULL },
	/* a self-reference: employees(...) is the one-to-many side */
	{ SVC, "/tables/employees?select=name,reports:employees(name)&reports.order=id&id=eq.2",
	    NULL, 200, "[{'name':'Frank','reports':[{'name':'Heidi'},{'name':'Ivan'}]}]", NULL,
	    NULL },
	/* ... and the key's column as the target is the many-to-one side */
	{ SVC, "/tables/employees?select=name,manager:manager_id(name)&id=in.(1,4)&order=id", NULL,
	    200, "[{'name':'Eve','manager':null},{'name':'Heidi','manager':{'name':'Frank'}}]",
	    NULL, NULL },
	/* by key: one object */
	{ SVC, "/tables/posts/3?select=id,comments(body)", NULL, 200,
	    "{'id':3,'comments':[{'body':'Great'}]}", NULL, NULL },
};

START_TEST(test_relationship_kinds)
{
	RUN(kinds);
}
END_TEST

/* Aliases, nesting, *, renames and casts inside, hints, errors. */
static const struct ecase shapes[] = {
	{ SVC, "/tables/comments?select=id,writer:users(who:name)&id=eq.1", NULL, 200,
	    "[{'id':1,'writer':{'who':'Bob'}}]", NULL, NULL },
	{ SVC,
	    "/tables/users?select=name,posts!author_id(title,comments(body,users(name)))&id=eq.1"
	    "&posts.order=id&posts.comments.order=id",
	    NULL, 200,
	    "[{'name':'Alice','posts':[{'title':'Hello','comments':[{'body':'Nice','users':{'name':"
	    "'Bob'}},{'body':'Spam','users':{'name':'Carol'}},{'body':'Thanks','users':{'name':"
	    "'Alice'}}]},{'title':'Second','comments':[{'body':'Pending','users':{'name':'Bob'}}]}]}]",
	    NULL, NULL },
	{ SVC, "/tables/posts?select=id,tags(*)&id=eq.2", NULL, 200,
	    "[{'id':2,'tags':[{'id':2,'name':'tech'}]}]", NULL, NULL },
	{ SVC, "/tables/tags?select=*,posts(id)&id=eq.3", NULL, 200,
	    "[{'id':3,'name':'life','posts':[{'id':3}]}]", NULL, NULL },
	{ SVC, "/tables/comments?select=id,posts(heading:title,price::text,p:price::int)&id=eq.5",
	    NULL, 200, "[{'id':5,'posts':{'heading':'By Bob','price':'5.25','p':5}}]", NULL, NULL },
	/* disambiguation by constraint and by column */
	{ SVC,
	    "/tables/posts?select=id,author:users!posts_author_id_fkey(name),"
	    "editor:users!editor_id(name)&id=eq.3",
	    NULL, 200, "[{'id':3,'author':{'name':'Bob'},'editor':{'name':'Alice'}}]", NULL, NULL },
	{ SVC, "/tables/posts?select=title,users!author_id(name)&id=eq.2", NULL, 200,
	    "[{'title':'Second','users':{'name':'Alice'}}]", NULL, NULL },
	/* no relationship at all, or with a table that does not exist */
	{ SVC, "/tables/tags?select=id,employees(name)", NULL, 400, NULL, "PGRST200", NULL },
	{ SVC, "/tables/posts?select=id,nosuch(name)", NULL, 400, NULL, "PGRST200", NULL },
	{ SVC, "/tables/posts?select=id,users!nosuch_fkey(name)", NULL, 400, NULL, "PGRST200",
	    NULL },
	/* a cast's type is an identifier, maybe with [] */
	{ SVC, "/tables/posts?select=id,price::te;xt", NULL, 400, NULL, "PGRST100", NULL },
	{ SVC, "/tables/products?select=t:tags::varchar[]&name=eq.apple", NULL, 200,
	    "[{'t':['fruit','red']}]", NULL, NULL },
};

START_TEST(test_shapes_and_hints)
{
	RUN(shapes);
}
END_TEST

START_TEST(test_ambiguous_is_300)
{
	struct http_resp r;
	struct json_object *o, *d;
	const char *details, *hint;

	tokens();
	call(&r, "GET", "/tables/posts?select=id,users(name)", service, NULL, NULL);
	assert_error(&r, 300, "PGRST201");
	o = json_body(&r);
	ck_assert(json_object_object_get_ex(o, "details", &d));
	/* PostgREST lists the candidates as objects; either way both show. */
	details = json_object_to_json_string(d);
	ck_assert_msg(strstr(details, "posts_author_id_fkey") &&
	        strstr(details, "posts_editor_id_fkey"),
	    "%s", r.body);
	hint = jstr(o, "hint");
	ck_assert_msg(hint != NULL && strstr(hint, "users!posts_author_id_fkey") &&
	        strstr(hint, "users!posts_editor_id_fkey"),
	    "%s", r.body);
	json_object_put(o);
	http_resp_free(&r);
	/* An alias does not disambiguate. */
	call(&r, "GET", "/tables/posts?select=id,author:users(name)", service, NULL, NULL);
	assert_error(&r, 300, "PGRST201");
	http_resp_free(&r);
}
END_TEST

/* !inner, !left and the embedded resource's own filters, order, limit. */
static const struct ecase inner[] = {
	{ SVC, "/tables/posts?select=id,comments!inner(id)&comments.order=id&order=id", NULL, 200,
	    "[{'id':1,'comments':[{'id':1},{'id':2},{'id':3}]},{'id':2,'comments':[{'id':4}]},"
	    "{'id':3,'comments':[{'id':5}]},{'id':5,'comments':[{'id':6}]}]",
	    NULL, NULL },
	{ SVC, "/tables/posts?select=id,comments!inner(id)&comments.approved=eq.false&order=id",
	    NULL, 200, "[{'id':1,'comments':[{'id':2}]},{'id':2,'comments':[{'id':4}]}]", NULL,
	    NULL },
	{ SVC, "/tables/posts?select=id,comments(id)&comments.approved=eq.false&order=id", NULL,
	    200,
	    "[{'id':1,'comments':[{'id':2}]},{'id':2,'comments':[{'id':4}]},{'id':3,'comments':[]},"
	    "{'id':4,'comments':[]},{'id':5,'comments':[]}]",
	    NULL, NULL },
	{ SVC, "/tables/posts?select=id,comments!left(id)&id=eq.4", NULL, 200,
	    "[{'id':4,'comments':[]}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,tags!inner(name)&tags.name.eq=tech&order=id", NULL, 200,
	    "[{'id':1,'tags':[{'name':'tech'}]},{'id':2,'tags':[{'name':'tech'}]}]", NULL, NULL },
	{ SVC,
	    "/tables/posts?select=id,author:users!author_id!inner(name)&author.name=eq.Bob&order=id",
	    NULL, 200, "[{'id':3,'author':{'name':'Bob'}},{'id':5,'author':{'name':'Bob'}}]", NULL,
	    NULL },
	/* an embed with nothing selected only filters */
	{ SVC, "/tables/posts?select=id,comments!inner()&comments.body=eq.Great", NULL, 200,
	    "[{'id':3}]", NULL, NULL },
	/* both grammars of an embedded filter */
	{ SVC,
	    "/tables/posts?select=id,comments(id)&comments.approved=eq.true&comments.order=id&id=eq.1",
	    NULL, 200, "[{'id':1,'comments':[{'id':1},{'id':3}]}]", NULL, NULL },
	{ SVC,
	    "/tables/posts?select=id,comments(id)&comments.approved.eq=true&comments.order=id&id=eq.1",
	    NULL, 200, "[{'id':1,'comments':[{'id':1},{'id':3}]}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,comments(id)&comments.order=created_at.desc&id=eq.1", NULL,
	    200, "[{'id':1,'comments':[{'id':3},{'id':2},{'id':1}]}]", NULL, NULL },
	{ SVC,
	    "/tables/posts?select=id,comments(id)&comments.order=id.desc&comments.limit=1&id=eq.1",
	    NULL, 200, "[{'id':1,'comments':[{'id':3}]}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,comments(id)&comments.order=id&comments.offset=1&id=eq.1",
	    NULL, 200, "[{'id':1,'comments':[{'id':2},{'id':3}]}]", NULL, NULL },
	{ SVC,
	    "/tables/posts?select=id,comments(id)&comments.or=(id.eq.1,body.eq.Thanks)"
	    "&comments.order=id&id=eq.1",
	    NULL, 200, "[{'id':1,'comments':[{'id':1},{'id':3}]}]", NULL, NULL },
	/* a filter on an embedded column that does not exist */
	{ SVC, "/tables/posts?select=id,comments(id)&comments.nope=eq.1", NULL, 400, NULL,
	    "PGRST100", NULL },
	/* spread: a to-one embed's keys in the parent */
	{ SVC, "/tables/comments?select=id,...users(name)&id=eq.1", NULL, 200,
	    "[{'id':1,'name':'Bob'}]", NULL, NULL },
	{ SVC,
	    "/tables/comments?select=id,...posts(post:title,...users!author_id(author:name))&id=eq.5",
	    NULL, 200, "[{'id':5,'post':'By Bob','author':'Bob'}]", NULL, NULL },
};

START_TEST(test_inner_filters_spread)
{
	RUN(inner);
}
END_TEST

/* JSON paths in select, filters and order; casts. */
static const struct ecase paths[] = {
	{ SVC, "/tables/posts?select=id,meta->color,size:meta->>size&id=eq.1", NULL, 200,
	    "[{'id':1,'color':'red','size':'M'}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,first:meta->tags->0,w:meta->dims->>w,d:meta->dims&id=eq.1",
	    NULL, 200, "[{'id':1,'first':'a','w':'10','d':{'w':10,'h':20}}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,last:meta->tags->-1&id=eq.1", NULL, 200,
	    "[{'id':1,'last':'b'}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,meta->>color&id=eq.4", NULL, 200, "[{'id':4,'color':null}]",
	    NULL, NULL },
	{ SVC, "/tables/posts?select=id&meta->>color=eq.red&order=id", NULL, 200,
	    "[{'id':1},{'id':3}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id&meta->>color.eq=red&order=id", NULL, 200,
	    "[{'id':1},{'id':3}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id&meta->tags->>0=eq.c", NULL, 200, "[{'id':2}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id&order=meta->>size.desc&id=lte.3", NULL, 200,
	    "[{'id':3},{'id':1},{'id':2}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,price::text&id=eq.2", NULL, 200,
	    "[{'id':2,'price':'20.50'}]", NULL, NULL },
	/* a JSON path in an embedded resource */
	{ SVC, "/tables/comments?select=id,posts(color:meta->>color)&id=eq.4", NULL, 200,
	    "[{'id':4,'posts':{'color':'blue'}}]", NULL, NULL },
	{ SVC, "/tables/posts?select=id,meta->nope;x", NULL, 400, NULL, "PGRST100", NULL },
};

START_TEST(test_json_paths_and_casts)
{
	RUN(paths);
}
END_TEST

/* Aggregates, grouping, and counts with embedding. */
static const struct ecase aggs[] = {
	{ SVC, "/tables/posts?select=count()", NULL, 200, "[{'count':5}]", NULL, NULL },
	{ ANON, "/tables/posts?select=count()", NULL, 200, "[{'count':4}]", NULL, NULL },
	{ SVC, "/tables/posts?select=author_id,count()&order=author_id", NULL, 200,
	    "[{'author_id':1,'count':2},{'author_id':2,'count':2},{'author_id':4,'count':1}]", NULL,
	    NULL },
	{ SVC, "/tables/posts?select=price.sum(),price.avg()&id=in.(1,2)", NULL, 200,
	    "[{'sum':30.50,'avg':15.25}]", NULL, NULL },
	{ SVC, "/tables/posts?select=editor_id.count()", NULL, 200, "[{'count':2}]", NULL, NULL },
	{ SVC, "/tables/posts?select=total:price.sum()::text&id=in.(1,2)", NULL, 200,
	    "[{'total':'30.50'}]", NULL, NULL },
	{ SVC, "/tables/comments?select=approved,count()&order=approved", NULL, 200,
	    "[{'approved':false,'count':2},{'approved':true,'count':4}]", NULL, NULL },
	{ ANON, "/tables/comments?select=approved,count()&order=approved", NULL, 200,
	    "[{'approved':true,'count':4}]", NULL, NULL },
	{ BOB_T, "/tables/comments?select=approved,count()&order=approved", NULL, 200,
	    "[{'approved':false,'count':1},{'approved':true,'count':4}]", NULL, NULL },
	{ SVC, "/tables/posts?select=price.max(),price.min()", NULL, 200,
	    "[{'max':20.50,'min':1.00}]", NULL, NULL },
	/* counts count the parents */
	{ SVC, "/tables/posts?select=id,comments(id)", "Prefer: count=exact", 200, NULL, NULL,
	    "Content-Range: 0-4/5" },
	{ ANON, "/tables/posts?select=id,comments(id)", "Prefer: count=exact", 200, NULL, NULL,
	    "Content-Range: 0-3/4" },
	{ SVC, "/tables/posts?select=id,comments!inner(id)&comments.approved=eq.false",
	    "Prefer: count=exact", 200, NULL, NULL, "Content-Range: 0-1/2" },
	{ SVC, "/tables/posts?select=id,comments(id)&limit=2&order=id", "Prefer: count=exact", 200,
	    NULL, NULL, "Content-Range: 0-1/5" },
};

START_TEST(test_aggregates_and_counts)
{
	RUN(aggs);
}
END_TEST

/* The same embedded requests as each caller: every table's policies. */
#define RLS_PATH \
	"/tables/posts?select=id,author:users!author_id(name),comments(body)&comments.order=id&order=id"
static const struct ecase rls[] = {
	{ ANON, RLS_PATH, NULL, 200,
	    "[{'id':1,'author':{'name':'Alice'},'comments':[{'body':'Nice'},{'body':'Thanks'}]},"
	    "{'id':2,'author':{'name':'Alice'},'comments':[]},"
	    "{'id':3,'author':{'name':'Bob'},'comments':[{'body':'Great'}]},"
	    "{'id':4,'author':null,'comments':[]}]",
	    NULL, NULL },
	{ ALICE_T, RLS_PATH, NULL, 200,
	    "[{'id':1,'author':{'name':'Alice'},'comments':[{'body':'Nice'},{'body':'Thanks'}]},"
	    "{'id':2,'author':{'name':'Alice'},'comments':[]},"
	    "{'id':3,'author':{'name':'Bob'},'comments':[{'body':'Great'}]},"
	    "{'id':4,'author':{'name':'Dave'},'comments':[]}]",
	    NULL, NULL },
	{ BOB_T, RLS_PATH, NULL, 200,
	    "[{'id':1,'author':{'name':'Alice'},'comments':[{'body':'Nice'},{'body':'Thanks'}]},"
	    "{'id':2,'author':{'name':'Alice'},'comments':[{'body':'Pending'}]},"
	    "{'id':3,'author':{'name':'Bob'},'comments':[{'body':'Great'}]},"
	    "{'id':4,'author':{'name':'Dave'},'comments':[]},"
	    "{'id':5,'author':{'name':'Bob'},'comments':[{'body':'On a draft'}]}]",
	    NULL, NULL },
	{ SVC, RLS_PATH, NULL, 200,
	    "[{'id':1,'author':{'name':'Alice'},'comments':[{'body':'Nice'},{'body':'Spam'},{'body':"
	    "'Thanks'}]},{'id':2,'author':{'name':'Alice'},'comments':[{'body':'Pending'}]},"
	    "{'id':3,'author':{'name':'Bob'},'comments':[{'body':'Great'}]},"
	    "{'id':4,'author':{'name':'Dave'},'comments':[]},"
	    "{'id':5,'author':{'name':'Bob'},'comments':[{'body':'On a draft'}]}]",
	    NULL, NULL },
	/* !inner on a hidden user drops the post for anon only */
	{ ANON, "/tables/posts?select=id,users!author_id!inner(name)&id=in.(3,4)&order=id", NULL,
	    200, "[{'id':3,'users':{'name':'Bob'}}]", NULL, NULL },
	{ ALICE_T, "/tables/posts?select=id,users!author_id!inner(name)&id=in.(3,4)&order=id", NULL,
	    200, "[{'id':3,'users':{'name':'Bob'}},{'id':4,'users':{'name':'Dave'}}]", NULL, NULL },
	{ ANON, "/tables/posts?select=id,...users!author_id(name)&id=eq.4", NULL, 200,
	    "[{'id':4,'name':null}]", NULL, NULL },
	/* many-to-many: the junction's and the target's policies */
	{ ANON, "/tables/posts?select=id,tags(name)&tags.order=name&id=eq.1", NULL, 200,
	    "[{'id':1,'tags':[{'name':'news'},{'name':'tech'}]}]", NULL, NULL },
	{ ANON, "/tables/tags?select=name,posts(id)&posts.order=id&id=eq.1", NULL, 200,
	    "[{'name':'news','posts':[{'id':1}]}]", NULL, NULL },
	{ BOB_T, "/tables/tags?select=name,posts(id)&posts.order=id&id=eq.1", NULL, 200,
	    "[{'name':'news','posts':[{'id':1},{'id':5}]}]", NULL, NULL },
	/* one-to-one and self-references */
	{ ANON, "/tables/users?select=name,profiles(bio)&order=id", NULL, 200,
	    "[{'name':'Alice','profiles':{'bio':'Alice writes'}},{'name':'Bob','profiles':null},"
	    "{'name':'Carol','profiles':null}]",
	    NULL, NULL },
	{ ANON, "/tables/employees?select=name,employees(name)&employees.order=id&id=eq.2", NULL,
	    200, "[{'name':'Frank','employees':[{'name':'Heidi'}]}]", NULL, NULL },
	/* nested: comments of posts of users, each table's policy */
	{ ANON,
	    "/tables/users?select=name,posts!author_id(id,comments(id))&posts.order=id&posts.comments.order=id&id=eq.2",
	    NULL, 200, "[{'name':'Bob','posts':[{'id':3,'comments':[{'id':5}]}]}]", NULL, NULL },
	{ BOB_T,
	    "/tables/users?select=name,posts!author_id(id,comments(id))&posts.order=id&posts.comments.order=id&id=eq.2",
	    NULL, 200,
	    "[{'name':'Bob','posts':[{'id':3,'comments':[{'id':5}]},{'id':5,'comments':[{'id':6}]}]}]",
	    NULL, NULL },
};

START_TEST(test_row_level_security_in_every_embed)
{
	RUN(rls);
}
END_TEST

/* Views: their columns traced to the base table's keys, both ways. */
static const struct ecase views[] = {
	{ SVC, "/tables/published_posts?select=id,comments(id)&comments.order=id&id=eq.1", NULL,
	    200, "[{'id':1,'comments':[{'id':1},{'id':2},{'id':3}]}]", NULL, NULL },
	{ SVC, "/tables/published_posts?select=id,users(name)&id=eq.3", NULL, 200,
	    "[{'id':3,'users':{'name':'Bob'}}]", NULL, NULL },
	{ SVC, "/tables/comments?select=id,published_posts(title)&id.in=(1,6)&order=id", NULL, 200,
	    "[{'id':1,'published_posts':{'title':'Hello'}},{'id':6,'published_posts':null}]", NULL,
	    NULL },
	{ ANON, "/tables/users?select=name,published_posts(id)&published_posts.order=id&id=eq.1",
	    NULL, 200, "[{'name':'Alice','published_posts':[{'id':1},{'id':2}]}]", NULL, NULL },
};

START_TEST(test_views_embed)
{
	RUN(views);
}
END_TEST

TCase *
tables_embed_tcase(void)
{
	TCase *tc = tcase_create("tables_embed");

	tcase_add_test(tc, test_relationship_kinds);
	tcase_add_test(tc, test_shapes_and_hints);
	tcase_add_test(tc, test_ambiguous_is_300);
	tcase_add_test(tc, test_inner_filters_spread);
	tcase_add_test(tc, test_json_paths_and_casts);
	tcase_add_test(tc, test_aggregates_and_counts);
	tcase_add_test(tc, test_row_level_security_in_every_embed);
	tcase_add_test(tc, test_views_embed);
	return tc;
}
