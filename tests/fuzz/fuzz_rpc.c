/*
 * fuzz_rpc: choosing the overload a function call names and writing its
 * SQL (tables/rpc_call.c).  Input: a flags byte (params=single-object, a
 * POST, a body that is not an object), then the function's URL name and
 * the argument names the client sent, one per line.  Invariants: a call
 * resolves only to an overload of that very name whose arguments take
 * every key and whose arguments without a default are all keys (or to the
 * one json argument that takes the whole body); its SQL holds no text the
 * client wrote: every quoted identifier is one the cache made, the rest is
 * the builder's own words, and the values are one bound parameter.
 */
#include "config.h"

#include "fuzz.h"
#include "tables/rpc_call.h"

#define A(n, t, tn, def) \
	{ \
		n, "\"" n "\"", t, tn, 'N', NULL, false, def \
	}

static struct fn_arg add_ab[] = { A("a", "integer", "int4", false),
	A("b", "integer", "int4", false) };
static struct fn_arg add_a[] = { A("a", "text", "text", false) };
static struct fn_arg echo_doc[] = { { "", "\"\"", "jsonb", "jsonb", 'U', NULL, false, false } };
static struct fn_arg opt_xy[] = { A("x", "integer", "int4", true),
	{ "y z", "\"y z\"", "text[]", "_text", 'A', "text", false, true } };
static struct fn_arg dflt_n[] = { { "", "\"\"", "integer", "int4", 'N', NULL, false, true } };
static struct fn_arg tag_v[] = { { "v", "\"v\"", "text[]", "_text", 'A', "text", true, false } };

/* Adjacent by URL name, as functions_load keeps them. */
static struct sc_function fns[] = {
	{ .schema = "public",
	    .name = "add",
	    .url_name = "add",
	    .qualified = "\"public\".\"add\"",
	    .args = add_ab,
	    .nargs = 2 },
	{ .schema = "public",
	    .name = "add",
	    .url_name = "add",
	    .qualified = "\"public\".\"add\"",
	    .args = add_a,
	    .nargs = 1 },
	{ .schema = "public",
	    .name = "dflt",
	    .url_name = "dflt",
	    .qualified = "\"public\".\"dflt\"",
	    .args = dflt_n,
	    .nargs = 1 },
	{ .schema = "public",
	    .name = "echo",
	    .url_name = "echo",
	    .qualified = "\"public\".\"echo\"",
	    .args = echo_doc,
	    .nargs = 1 },
	{ .schema = "extra",
	    .name = "thing",
	    .url_name = "extra.thing",
	    .qualified = "\"extra\".\"thing\"",
	    .nargs = 0 },
	{ .schema = "public",
	    .name = "opt",
	    .url_name = "opt",
	    .qualified = "\"public\".\"opt\"",
	    .args = opt_xy,
	    .nargs = 2 },
	{ .schema = "public",
	    .name = "tag",
	    .url_name = "tag",
	    .qualified = "\"public\".\"tag\"",
	    .args = tag_v,
	    .nargs = 1 },
};

static bool
known_ident(const char *q, size_t n)
{
	static const char *const extra[] = { "\"public\"", "\"extra\"", "\"add\"", "\"echo\"",
		"\"thing\"", "\"opt\"", "\"tag\"", "\"dflt\"" };

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		for (int k = 0; k < fns[i].nargs; k++)
			if (strlen(fns[i].args[k].quoted) == n &&
			    strncmp(fns[i].args[k].quoted, q, n) == 0)
				return true;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (strlen(extra[i]) == n && strncmp(extra[i], q, n) == 0)
			return true;
	return false;
}

/* Every "..." a known identifier; nothing else but the builder's words. */
static void
check_sql(const char *sql)
{
	for (const char *p = sql; *p; p++) {
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');

			FUZZ_ASSERT(end != NULL, "unclosed identifier in %s", sql);
			FUZZ_ASSERT(known_ident(p, (size_t)(end - p + 1)), "identifier %.*s in %s",
			    (int)(end - p + 1), p, sql);
			p = end;
			continue;
		}
		FUZZ_ASSERT(
		    strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$()"
		           ":,.=> []",
		        *p) != NULL,
		    "character %c in %s", *p, sql);
	}
}

static void
check_choice(const struct rpc_call *c, const struct sc_function *f)
{
	FUZZ_ASSERT(strcmp(f->url_name, c->name) == 0, "%s chosen for %s", f->url_name, c->name);
	if (c->positional) {
		/* The whole body: the one json argument, named or not. */
		FUZZ_ASSERT(f->nargs == 1 && strncmp(f->args[0].typname, "json", 4) == 0,
		    "a whole body to %s", f->url_name);
		return;
	}
	for (int k = 0; k < c->nkeys; k++)
		FUZZ_ASSERT(rpc_arg_index(f, c->keys[k]) >= 0, "key %s not an argument",
		    c->keys[k]);
	for (int i = 0; i < f->nargs; i++) {
		bool named = false;

		for (int k = 0; k < c->nkeys; k++)
			named |= strcmp(c->keys[k], f->args[i].name) == 0;
		FUZZ_ASSERT(named || f->args[i].has_default, "argument %s missing",
		    f->args[i].name);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fn_cache fc = { .fns = fns, .nfns = sizeof(fns) / sizeof(fns[0]) };
	struct rpc_call c = { .fc = &fc, .args_json = "{}" };
	const struct sc_function *found[8];
	const char *keys[16], *record;
	char *s, *line, *save = NULL;
	struct arena a;
	struct sql_query q;
	int n;

	if (size < 1)
		return 0;
	c.single = data[0] & 1;
	c.post = data[0] & 2;
	c.not_object = data[0] & 4;
	s = fuzz_cstr(data + 1, size - 1);
	c.name = (line = strtok_r(s, "\n", &save)) != NULL ? line : "";
	while (c.nkeys < 16 && (line = strtok_r(NULL, "\n", &save)) != NULL)
		keys[c.nkeys++] = line;
	c.keys = keys;
	c.first = functions_find(&fc, c.name, &c.count);
	FUZZ_ASSERT(c.count <= 2, "%d overloads", c.count);
	n = rpc_candidates(&c, found);
	FUZZ_ASSERT(n <= c.count, "%d candidates of %d", n, c.count);
	if (n == 1) {
		rpc_settle(&c, found[0]);
		check_choice(&c, c.fn);
		arena_init(&a, 1024);
		sql_init(&q, &a);
		check_sql(rpc_call_sql(&a, &c, &q, &record));
		if (record != NULL)
			check_sql(record);
		FUZZ_ASSERT(q.nparams <= 1, "%d parameters", q.nparams);
		arena_destroy(&a);
	}
	free(s);
	return 0;
}
