/*
 * query_parse.c - the filter grammars, order, limit and friends, and the
 * routing of each parameter to the plan it belongs to.
 *
 * select is read first (tables/select_parse.c), wherever it stands in the
 * query string, because the other parameters may name its embedded
 * resources: comments.approved=eq.true, comments.order=id.desc,
 * comments.limit=3, comments.or=(...), comments.author.name=eq.x go to the
 * embed's own plan, read with its target as the table in scope (see
 * route_param for the rule when an embed and a column share a name).
 * Every filter and order item starts with a column reference, maybe with
 * a JSON path (meta->>color=eq.red, meta->>color.eq=red, order=
 * meta->>size.desc), never with a cast.  A refusal names the offending
 * piece: PGRST100 for the grammar, or the code the piece's own rule has
 * (PGRST108 a resource not embedded, PGRST200/201 relationships, PGRST119
 * spreads, PGRST123 aggregates turned off).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tables/parser.h"

static const char *const op_names[] = {
	[FOP_EQ] = "eq",
	[FOP_NEQ] = "neq",
	[FOP_GT] = "gt",
	[FOP_GTE] = "gte",
	[FOP_LT] = "lt",
	[FOP_LTE] = "lte",
	[FOP_LIKE] = "like",
	[FOP_ILIKE] = "ilike",
	[FOP_MATCH] = "match",
	[FOP_IMATCH] = "imatch",
	[FOP_IN] = "in",
	[FOP_IS] = "is",
	[FOP_ISDISTINCT] = "isdistinct",
	[FOP_FTS] = "fts",
	[FOP_PLFTS] = "plfts",
	[FOP_PHFTS] = "phfts",
	[FOP_WFTS] = "wfts",
	[FOP_CS] = "cs",
	[FOP_CD] = "cd",
	[FOP_OV] = "ov",
	[FOP_SL] = "sl",
	[FOP_SR] = "sr",
	[FOP_NXL] = "nxl",
	[FOP_NXR] = "nxr",
	[FOP_ADJ] = "adj",
};

#define NOPS ((int)(sizeof(op_names) / sizeof(op_names[0])))

const char *
query_op_name(enum filter_op op)
{
	return op_names[op];
}

static const char *
like_pattern(struct parser *p, const char *v)
{
	char *out = arena_strdup(p->a, v);

	for (char *c = out; *c; c++)
		if (*c == '*')
			*c = '%';
	return out;
}

static int
parse_is(struct parser *p, struct filter *f, const char *s, const char *context)
{
	static const char *const names[] = { [IS_NULL] = "null",
		[IS_NOT_NULL] = "not_null",
		[IS_TRUE] = "true",
		[IS_FALSE] = "false",
		[IS_UNKNOWN] = "unknown" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0) {
			f->is = (enum filter_is)i;
			return 0;
		}
	return parser_fail(p, "\"is\" takes null, not_null, true, false or unknown: \"%s\"",
	    context);
}

static bool
takes_quantifier(enum filter_op op)
{
	return op <= FOP_IMATCH;
}

/*
 * "{a,b}" after op(any) or op(all): the values, double quotes allowed as
 * in in.(...) lists; like patterns get % for *.
 */
static int
parse_quantified(struct parser *p, struct filter *f, const char *quant, size_t qlen,
    const char *value, bool in_group, const char *context)
{
	size_t n;
	int count;

	if (qlen == 3 && strncmp(quant, "any", 3) == 0)
		f->quant = QUANT_ANY;
	else if (qlen == 3 && strncmp(quant, "all", 3) == 0)
		f->quant = QUANT_ALL;
	else
		return parser_fail(p,
		    "Unknown quantifier \"%.*s\" in \"%s\" (any or all; only full-text operators take a (config))",
		    (int)qlen, quant, context);
	value = in_group ? parser_unquote(p, value) : value;
	n = strlen(value);
	if (n < 2 || value[0] != '{' || value[n - 1] != '}')
		return parser_fail(p,
		    "A quantified operator takes a list in braces, as {a,b}: \"%s\"", context);
	f->nlist = 0;
	if (n == 2)
		return 0;
	count = parser_split(p, arena_strndup(p->a, value + 1, n - 2), &f->list);
	if (count < 0)
		return -1;
	for (int i = 0; i < count; i++) {
		f->list[i] = parser_unquote(p, f->list[i]);
		if (f->op == FOP_LIKE || f->op == FOP_ILIKE)
			f->list[i] = like_pattern(p, f->list[i]);
	}
	f->nlist = count;
	return 0;
}

/*
 * Parses "[not.]op[(config)].value" for column col into f.  in_group: the
 * expression came from an or/and group, where values may be quoted.
 */
static int
parse_op_expr(struct parser *p, const struct colref *ref, const char *expr, bool in_group,
    const char *context, struct filter *f)
{
	const char *s = expr, *dot, *paren;
	size_t oplen;
	int op = -1;

	f->kind = FILTER_COND;
	f->ref = *ref;
	if (strncmp(s, "not.", 4) == 0) {
		f->negate = true;
		s += 4;
	}
	dot = strchr(s, '.');
	paren = strchr(s, '(');
	if (dot == NULL)
		return parser_fail(p, "Missing operator or value in \"%s\" (expected op.value)",
		    context);
	oplen = (size_t)((paren != NULL && paren < dot ? paren : dot) - s);
	for (int i = 0; i < NOPS; i++)
		if (strlen(op_names[i]) == oplen && strncmp(op_names[i], s, oplen) == 0)
			op = i;
	if (op < 0)
		return parser_fail(p, "Unknown operator \"%.*s\" in \"%s\"", (int)oplen, s,
		    context);
	f->op = (enum filter_op)op;
	if (paren != NULL && paren < dot) {
		const char *close = strchr(paren, ')');

		if (close == NULL || close[1] != '.' || close == paren + 1)
			return parser_fail(p, "Malformed (modifier) in \"%s\"", context);
		if (takes_quantifier(f->op))
			return parse_quantified(p, f, paren + 1, (size_t)(close - paren - 1),
			    close + 2, in_group, context);
		if (f->op != FOP_FTS && f->op != FOP_PLFTS && f->op != FOP_PHFTS &&
		    f->op != FOP_WFTS)
			return parser_fail(p, "Only full-text operators take a (config): \"%s\"",
			    context);
		f->fts_config = arena_strndup(p->a, paren + 1, (size_t)(close - paren - 1));
		dot = close + 1;
	}
	s = dot + 1;

	switch (f->op) {
	case FOP_IS:
		return parse_is(p, f, s, context);
	case FOP_IN: {
		size_t n = strlen(s);
		const char **items;
		int count;

		if (n < 2 || s[0] != '(' || s[n - 1] != ')')
			return parser_fail(p,
			    "\"in\" takes a list in parentheses, as in.(a,b): \"%s\"", context);
		if (n == 2) {
			f->list = NULL;
			f->nlist = 0;
			return 0;
		}
		count = parser_split(p, arena_strndup(p->a, s + 1, n - 2), &items);
		if (count < 0)
			return -1;
		for (int i = 0; i < count; i++)
			items[i] = parser_unquote(p, items[i]);
		f->list = items;
		f->nlist = count;
		return 0;
	}
	case FOP_LIKE:
	case FOP_ILIKE:
		f->value = like_pattern(p, in_group ? parser_unquote(p, s) : s);
		return 0;
	default:
		f->value = in_group ? parser_unquote(p, s) : s;
		return 0;
	}
}

static struct filter *parse_group(struct parser *p, enum filter_kind kind, bool negate,
    const char *body, int depth, const char *context);

/* One item of a group: and(...), or(...), not.and(...), or col.[not.]op.value */
static struct filter *
parse_group_item(struct parser *p, const char *item, int depth, const char *context)
{
	struct filter *f;
	const char *s = item, *end;
	struct colref ref;
	bool negate = false;

	if (strncmp(s, "not.", 4) == 0 &&
	    (strncmp(s + 4, "and(", 4) == 0 || strncmp(s + 4, "or(", 3) == 0)) {
		negate = true;
		s += 4;
	}
	if (strncmp(s, "and(", 4) == 0 || strncmp(s, "or(", 3) == 0) {
		bool is_and = s[0] == 'a';
		const char *open = s + (is_and ? 3 : 2);
		size_t n = strlen(open);

		if (open[n - 1] != ')')
			return parser_fail(p, "Malformed group \"%s\"", item), NULL;
		return parse_group(p, is_and ? FILTER_AND : FILTER_OR, negate,
		    arena_strndup(p->a, open + 1, n - 2), depth + 1, context);
	}
	if (parser_colref(p, s, false, item, &ref, &end) < 0)
		return NULL;
	if (*end != '.')
		return parser_fail(p, "Malformed condition \"%s\" (expected column.op.value)",
		           item),
		       NULL;
	f = arena_calloc(p->a, 1, sizeof(*f));
	if (parse_op_expr(p, &ref, end + 1, true, item, f) < 0)
		return NULL;
	if (++p->nfilters > QUERY_MAX_FILTERS)
		return parser_fail(p, "Too many filters (at most %d)", QUERY_MAX_FILTERS), NULL;
	return f;
}

static struct filter *
parse_group(struct parser *p, enum filter_kind kind, bool negate, const char *body, int depth,
    const char *context)
{
	struct filter *g;
	const char **items;
	int n;

	if (depth > QUERY_MAX_DEPTH)
		return parser_fail(p, "Groups nested too deeply in \"%s\"", context), NULL;
	n = parser_split(p, body, &items);
	if (n < 0)
		return NULL;
	g = arena_calloc(p->a, 1, sizeof(*g));
	g->kind = kind;
	g->negate = negate;
	g->children = arena_calloc(p->a, (size_t)n, sizeof(*g->children));
	for (int i = 0; i < n; i++) {
		if (items[i][0] == '\0')
			return parser_fail(p, "Empty condition in \"%s\"", context), NULL;
		if ((g->children[i] = parse_group_item(p, items[i], depth, context)) == NULL)
			return NULL;
	}
	g->nchildren = n;
	return g;
}

static int
add_filter(struct parser *p, struct plan *plan, struct filter *f)
{
	if (plan->nfilters >= QUERY_MAX_FILTERS || ++p->nfilters > QUERY_MAX_FILTERS)
		return parser_fail(p, "Too many filters (at most %d)", QUERY_MAX_FILTERS);
	plan->filters[plan->nfilters++] = f;
	return 0;
}

static int
parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
parse_order(struct parser *p, const char *value, struct plan *plan)
{
	const char **items;
	int n = parser_split(p, value, &items);

	if (n < 0)
		return -1;
	plan->order = arena_calloc(p->a, (size_t)n, sizeof(*plan->order));
	for (int i = 0; i < n; i++) {
		const char *item = parser_trim(p, items[i]), *end;
		struct order_item *o = &plan->order[i];
		char *save = NULL, *part;

		if (item[0] == '\0')
			return parser_fail(p, "Empty item in order=%s", value);
		if (parser_colref(p, item, false, item, &o->ref, &end) < 0)
			return -1;
		for (part = strtok_r(arena_strdup(p->a, end), ".", &save); part != NULL;
		     part = strtok_r(NULL, ".", &save)) {
			if (strcmp(part, "asc") == 0)
				o->desc = false;
			else if (strcmp(part, "desc") == 0)
				o->desc = true;
			else if (strcmp(part, "nullsfirst") == 0)
				o->nulls = NULLS_FIRST;
			else if (strcmp(part, "nullslast") == 0)
				o->nulls = NULLS_LAST;
			else
				return parser_fail(p,
				    "Unknown order modifier \"%s\" (asc, desc, nullsfirst, "
				    "nullslast)",
				    part);
		}
	}
	plan->norder = n;
	return 0;
}

static int
parse_columns(struct parser *p, const char *value, int **out, int *count)
{
	const char **items;
	int n = parser_split(p, value, &items);

	if (n < 0)
		return -1;
	*out = arena_calloc(p->a, (size_t)n, sizeof(**out));
	for (int i = 0; i < n; i++) {
		/* postgrest-js quotes them: columns="a","b" */
		const char *item = parser_unquote(p, parser_trim(p, items[i]));

		if (((*out)[i] = parser_column(p, item, strlen(item), value)) < 0)
			return -1;
	}
	*count = n;
	return 0;
}

static int
parse_range(struct parser *p, const char *range, struct plan *plan)
{
	const char *s = range, *dash;
	long from, to = -1;

	while (isspace((unsigned char)*s))
		s++;
	if (strncmp(s, "items=", 6) == 0)
		s += 6;
	dash = strchr(s, '-');
	if (dash == NULL || parse_long(arena_strndup(p->a, s, (size_t)(dash - s)), &from) < 0 ||
	    (dash[1] != '\0' && (parse_long(dash + 1, &to) < 0 || to < from)))
		return parser_fail(p, "Malformed Range header \"%s\" (expected from-to)", range);
	plan->offset = from;
	if (to >= 0) {
		long n = to - from + 1;

		plan->limit = plan->limit >= 0 && plan->limit < n ? plan->limit : n;
	}
	return 0;
}

/* One filter parameter in either spelling, key relative to the scope. */
static int
parse_filter_param(struct parser *p, struct plan *plan, const char *key,
    const struct query_param *qp)
{
	const char *context =
	    qp->has_value ? arena_printf(p->a, "%s=%s", qp->key, qp->value) : qp->key;
	struct filter *f = arena_calloc(p->a, 1, sizeof(*f));
	struct colref ref = { .column = -1 };
	const char *end = "";

	if (qp->has_value && (ref.column = schema_column(p->t, key)) >= 0) {
		/* PostgREST: col=op.value, whatever the column's name holds */
	} else if (parser_colref(p, key, false, context, &ref, &end) < 0) {
		return -1;
	}
	if (*end == '\0') {
		/* PostgREST: col=op.value, meta->>color=eq.red */
		if (!qp->has_value)
			return parser_fail(p, "Malformed filter \"%s\" (expected column.op=value)",
			    key);
		if (parse_op_expr(p, &ref, qp->value, false, context, f) < 0)
			return -1;
		return add_filter(p, plan, f);
	}
	/* Fluxbase: col.op=value, meta->>color.eq=red, or bare col.is.null */
	if (parse_op_expr(p, &ref,
	        qp->has_value ? arena_printf(p->a, "%s.%s", end + 1, qp->value) : end + 1, false,
	        context, f) < 0)
		return -1;
	return add_filter(p, plan, f);
}

static int
parse_group_param(struct parser *p, struct plan *plan, const char *k, const char *v,
    const char *context)
{
	bool negate = k[0] == 'n';
	const char *name = negate ? k + 4 : k;
	size_t n = strlen(v);
	struct filter *g;

	if (n < 2 || v[0] != '(' || v[n - 1] != ')')
		return parser_fail(p, "A group takes conditions in parentheses: \"%s\"", context);
	g = parse_group(p, name[0] == 'a' ? FILTER_AND : FILTER_OR, negate,
	    arena_strndup(p->a, v + 1, n - 2), 1, context);
	if (g == NULL)
		return -1;
	return add_filter(p, plan, g);
}

static bool
is_operator_word(const char *s, size_t len)
{
	const char *paren = memchr(s, '(', len);

	if (paren != NULL)
		len = (size_t)(paren - s);
	if (len == 3 && strncmp(s, "not", 3) == 0)
		return true;
	for (int i = 0; i < NOPS; i++)
		if (strlen(op_names[i]) == len && strncmp(op_names[i], s, len) == 0)
			return true;
	return false;
}

/*
 * k.rest where k is neither a column of the scope's table nor one of its
 * embeds and rest does not go on with an operator: a parameter for a
 * resource the select does not embed (PostgREST's PGRST108).
 */
static int
check_embedded(struct parser *p, const char *k, const struct query_param *qp)
{
	const char *dot = strchr(k, '.'), *next;
	struct query_error e = { .status = 400, .code = "PGRST108" };
	char *name;

	if (dot == NULL || k[0] == '"' || (qp->has_value && schema_column(p->t, k) >= 0))
		return 0;
	name = arena_strndup(p->a, k, (size_t)(dot - k));
	next = strchr(dot + 1, '.');
	if (strstr(name, "->") != NULL || schema_column(p->t, name) >= 0 ||
	    is_operator_word(dot + 1, next ? (size_t)(next - dot - 1) : strlen(dot + 1)))
		return 0;
	e.message = arena_printf(p->a, "'%s' is not an embedded resource in this request", name);
	e.hint = arena_printf(p->a, "Verify that '%s' is included in the 'select' query parameter.",
	    name);
	return parser_fail_with(p, &e);
}

static int
parse_nonneg(struct parser *p, const char *what, const char *v, long *out)
{
	if (parse_long(v, out) < 0)
		return parser_fail(p, "%s must be a non-negative integer, got \"%s\"", what, v);
	return 0;
}

/* A parameter for plan, whose table is p->t; top: the request's own table. */
static int
parse_param(struct parser *p, struct plan *plan, const char *k, const struct query_param *qp,
    bool top)
{
	const char *v = qp->has_value ? qp->value : "";

	if (strcmp(k, "order") == 0)
		return parse_order(p, v, plan);
	if (strcmp(k, "limit") == 0)
		return parse_nonneg(p, "limit", v, &plan->limit);
	if (strcmp(k, "offset") == 0)
		return parse_nonneg(p, "offset", v, &plan->offset);
	if (strcmp(k, "or") == 0 || strcmp(k, "and") == 0 || strcmp(k, "not.or") == 0 ||
	    strcmp(k, "not.and") == 0)
		return parse_group_param(p, plan, k, v, arena_printf(p->a, "%s=%s", qp->key, v));
	if (top && strcmp(k, "on_conflict") == 0)
		return parse_columns(p, v, &plan->on_conflict, &plan->non_conflict);
	if (top && strcmp(k, "columns") == 0)
		return parse_columns(p, v, &plan->columns, &plan->ncolumns);
	if (check_embedded(p, k, qp) < 0)
		return -1;
	return parse_filter_param(p, plan, k, qp);
}

/*
 * An embedded resource's parameter: comments.approved=eq.true,
 * comments.order=..., comments.author.name=eq.x.  The rule, level by
 * level: a key that is wholly a column of the table in scope (with a
 * value: col=op.value) stays a filter on that column; otherwise a first
 * dotted part naming an embed of that level's select (its alias or its
 * name) moves the parameter into the embed, even when the table also has
 * a column of that name (author.eq=x, with author both a column and an
 * embedded resource, addresses the embed: write author=eq.x for the
 * column).  A first part naming neither, not followed by an operator, is
 * 400 PGRST108.
 */
static int
route_param(struct parser *p, struct plan *plan, const struct query_param *qp)
{
	const struct sc_table *saved = p->t;
	const char *k = qp->key, *dot;
	struct plan *scope = plan;
	struct embed *e;
	int rc;

	while ((dot = strchr(k, '.')) != NULL && !(qp->has_value && schema_column(p->t, k) >= 0) &&
	    (e = parser_find_embed(scope, k, (size_t)(dot - k))) != NULL) {
		scope = e->sub;
		p->t = e->rel.target;
		k = dot + 1;
	}
	rc = parse_param(p, scope, k, qp, scope == plan);
	p->t = saved;
	return rc;
}

int
query_parse_plan(struct arena *a, const struct sc_table *t, const struct query_param *params,
    size_t nparams, const struct parse_opts *o, struct plan *plan, struct query_error *err)
{
	struct parser p = { .a = a, .t = t, .o = o, .nparams = nparams };
	const char *range = o->range;
	bool selected = false;

	memset(plan, 0, sizeof(*plan));
	plan->limit = -1;
	plan->filters = arena_calloc(a, nparams + 1, sizeof(*plan->filters));
	/* select first: the other parameters may name its embeds. */
	for (size_t i = 0; i < nparams; i++) {
		if (strcmp(params[i].key, "select") != 0)
			continue;
		if (selected) {
			parser_fail(&p, "select given more than once");
			goto refused;
		}
		selected = true;
		if (parser_select(&p, params[i].has_value ? params[i].value : "", plan, 0) < 0)
			goto refused;
	}
	for (size_t i = 0; i < nparams; i++)
		if (strcmp(params[i].key, "select") != 0 && route_param(&p, plan, &params[i]) < 0)
			goto refused;
	if (range != NULL && range[0] != '\0' && parse_range(&p, range, plan) < 0)
		goto refused;
	return 0;
refused:
	memset(err, 0, sizeof(*err));
	if (p.e.code != NULL) {
		*err = p.e;
		return -1;
	}
	err->status = 400;
	err->code = "PGRST100";
	err->message = p.err;
	return -1;
}
