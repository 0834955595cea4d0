/*
 * tables/rpc_call.c - the pure half of a function's call (rpc.c answers
 * the request): which overload the argument names call, as PostgREST's
 * findProc chooses, and the SQL of the call.  The names a client sends
 * only select among the cached functions: the SQL holds the cache's
 * quoted names and types, and the values travel as one bound JSON
 * parameter typed by json_to_record, so nothing the client wrote is ever
 * SQL text (tests/fuzz/fuzz_rpc.c checks it).
 */
#include "config.h"

#include <string.h>

#include "tables/rpc_call.h"

static bool
is_json_type(const struct fn_arg *a)
{
	return strcmp(a->typname, "json") == 0 || strcmp(a->typname, "jsonb") == 0;
}

int
rpc_arg_index(const struct sc_function *f, const char *name)
{
	for (int i = 0; i < f->nargs; i++)
		if (f->args[i].name[0] != '\0' && strcmp(f->args[i].name, name) == 0)
			return i;
	return -1;
}

/* PostgREST's match: every key is an argument, every argument without a
 * default is a key. */
static bool
rpc_matches(const struct rpc_call *c, const struct sc_function *f)
{
	if (c->single)
		return f->nargs == 1 && is_json_type(&f->args[0]);
	if (c->not_object)
		return false;
	for (int k = 0; k < c->nkeys; k++)
		if (rpc_arg_index(f, c->keys[k]) < 0)
			return false;
	for (int i = 0; i < f->nargs; i++) {
		bool named = false;

		for (int k = 0; k < c->nkeys && !named; k++)
			named = rpc_arg_index(f, c->keys[k]) == i;
		if (!named && !f->args[i].has_default)
			return false;
	}
	return true;
}

/* A POST body for the one unnamed json/jsonb argument (PostgREST's fallback). */
static bool
rpc_takes_body(const struct rpc_call *c, const struct sc_function *f)
{
	return c->post && f->nargs == 1 && f->args[0].name[0] == '\0' && is_json_type(&f->args[0]);
}

int
rpc_candidates(const struct rpc_call *c, const struct sc_function **found)
{
	int n = 0;

	for (int i = c->first; c->count > 0 && i < c->first + c->count; i++)
		if (rpc_matches(c, &c->fc->fns[i]))
			found[n++] = &c->fc->fns[i];
	if (n == 0 && !c->single)
		for (int i = c->first; c->count > 0 && i < c->first + c->count; i++)
			if (rpc_takes_body(c, &c->fc->fns[i]))
				found[n++] = &c->fc->fns[i];
	return n;
}

void
rpc_settle(struct rpc_call *c, const struct sc_function *f)
{
	c->fn = f;
	/* The whole body as its one argument: asked for, or its one unnamed
	 * json argument (an unnamed argument of another type keeps its
	 * default). */
	c->positional = c->single || rpc_takes_body(c, f);
}

/*
 * The call, its arguments read from one parameter added to q when there
 * are any: *record is the FROM item that types them (json_to_record), or
 * NULL when there is none.
 */
const char *
rpc_call_sql(struct arena *a, const struct rpc_call *c, struct sql_query *q, const char **record)
{
	const struct sc_function *f = c->fn;
	struct strbuf call, rec;
	int n = 0, param = q->nparams + 1;

	*record = NULL;
	strbuf_init(&call, a, 128);
	if (c->positional) {
		strbuf_printf(&call, "%s($%d::%s)", f->qualified, sql_param(q, c->args_json),
		    f->args[0].type);
		return call.data;
	}
	strbuf_init(&rec, a, 128);
	strbuf_printf(&call, "%s(", f->qualified);
	strbuf_printf(&rec, "pg_catalog.json_to_record($%d::json) AS _fb_a(", param);
	for (int i = 0; i < f->nargs; i++) {
		const struct fn_arg *arg = &f->args[i];
		bool given = false;

		for (int k = 0; k < c->nkeys && !given; k++)
			given = strcmp(c->keys[k], arg->name) == 0;
		if (!given)
			continue; /* its default */
		strbuf_printf(&call, "%s%s%s => _fb_a.%s", n ? ", " : "",
		    arg->variadic ? "VARIADIC " : "", arg->quoted, arg->quoted);
		strbuf_printf(&rec, "%s%s %s", n ? ", " : "", arg->quoted, arg->type);
		n++;
	}
	strbuf_putc(&call, ')');
	strbuf_putc(&rec, ')');
	if (n > 0) {
		sql_param(q, c->args_json); /* $param */
		*record = rec.data;
	}
	return call.data;
}
