/*
 * query_parse.c - the filter grammars, select, order, limit and friends.
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

#include "tables/query_parse.h"

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

struct parser {
	struct arena *a;
	const struct sc_table *t;
	const char *err;
	int nfilters;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	p->err = arena_vprintf(p->a, fmt, ap);
	va_end(ap);
	return -1;
}

static int
column_or_fail(struct parser *p, const char *name, size_t len, const char *context)
{
	char *n = arena_strndup(p->a, name, len);
	int c = schema_column(p->t, n);

	if (c < 0) {
		p->err = arena_printf(p->a, "Unknown column \"%s\" in \"%s\" (table %s)", n,
		    context, p->t->url_name);
		return -1;
	}
	return c;
}

/*
 * Splits s (without the surrounding parentheses) at commas that are
 * outside quotes, parentheses and braces.  Returns the number of items or -1.
 */
static int
split_items(struct parser *p, const char *s, const char ***out)
{
	const char **items;
	int n = 0, cap = 8, depth = 0, braces = 0;
	bool quoted = false;
	const char *start = s;

	items = arena_calloc(p->a, (size_t)cap, sizeof(*items));
	for (const char *c = s;; c++) {
		if (*c == '\0' || (*c == ',' && depth == 0 && braces == 0 && !quoted)) {
			if (n == cap) {
				const char **bigger =
				    arena_calloc(p->a, (size_t)cap * 2, sizeof(*items));

				memcpy(bigger, items, (size_t)cap * sizeof(*items));
				items = bigger;
				cap *= 2;
			}
			items[n++] = arena_strndup(p->a, start, (size_t)(c - start));
			if (*c == '\0')
				break;
			start = c + 1;
			continue;
		}
		if (quoted) {
			if (*c == '\\' && c[1] != '\0')
				c++;
			else if (*c == '"')
				quoted = false;
		} else if (*c == '"') {
			quoted = true;
		} else if (*c == '{') {
			braces++; /* a {a,b} list value is one item */
		} else if (*c == '}' && braces > 0) {
			braces--;
		} else if (*c == '(') {
			depth++;
		} else if (*c == ')') {
			if (--depth < 0)
				return fail(p, "Unbalanced parentheses in \"%s\"", s);
		}
	}
	if (quoted || depth != 0)
		return fail(p, "Unbalanced quotes or parentheses in \"%s\"", s);
	*out = items;
	return n;
}

/* "a\"b" -> a"b; anything else unchanged. */
static const char *
unquote(struct parser *p, const char *s)
{
	size_t n = strlen(s);
	char *out, *o;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return s;
	out = o = arena_alloc(p->a, n);
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] == '\\' && i + 1 < n - 1)
			i++;
		*o++ = s[i];
	}
	*o = '\0';
	return out;
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
	return fail(p, "\"is\" takes null, not_null, true, false or unknown: \"%s\"", context);
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
		return fail(p,
		    "Unknown quantifier \"%.*s\" in \"%s\" (any or all; only full-text operators take a (config))",
		    (int)qlen, quant, context);
	value = in_group ? unquote(p, value) : value;
	n = strlen(value);
	if (n < 2 || value[0] != '{' || value[n - 1] != '}')
		return fail(p, "A quantified operator takes a list in braces, as {a,b}: \"%s\"",
		    context);
	f->nlist = 0;
	if (n == 2)
		return 0;
	count = split_items(p, arena_strndup(p->a, value + 1, n - 2), &f->list);
	if (count < 0)
		return -1;
	for (int i = 0; i < count; i++) {
		f->list[i] = unquote(p, f->list[i]);
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
parse_op_expr(struct parser *p, int col, const char *expr, bool in_group, const char *context,
    struct filter *f)
{
	const char *s = expr, *dot, *paren;
	size_t oplen;
	int op = -1;

	f->kind = FILTER_COND;
	f->ref.column = col;
	if (strncmp(s, "not.", 4) == 0) {
		f->negate = true;
		s += 4;
	}
	dot = strchr(s, '.');
	paren = strchr(s, '(');
	if (dot == NULL)
		return fail(p, "Missing operator or value in \"%s\" (expected op.value)", context);
	oplen = (size_t)((paren != NULL && paren < dot ? paren : dot) - s);
	for (int i = 0; i < NOPS; i++)
		if (strlen(op_names[i]) == oplen && strncmp(op_names[i], s, oplen) == 0)
			op = i;
	if (op < 0)
		return fail(p, "Unknown operator \"%.*s\" in \"%s\"", (int)oplen, s, context);
	f->op = (enum filter_op)op;
	if (paren != NULL && paren < dot) {
		const char *close = strchr(paren, ')');

		if (close == NULL || close[1] != '.' || close == paren + 1)
			return fail(p, "Malformed (modifier) in \"%s\"", context);
		if (takes_quantifier(f->op))
			return parse_quantified(p, f, paren + 1, (size_t)(close - paren - 1),
			    close + 2, in_group, context);
		if (f->op != FOP_FTS && f->op != FOP_PLFTS && f->op != FOP_PHFTS &&
		    f->op != FOP_WFTS)
			return fail(p, "Only full-text operators take a (config): \"%s\"", context);
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
			return fail(p, "\"in\" takes a list in parentheses, as in.(a,b): \"%s\"",
			    context);
		if (n == 2) {
			f->list = NULL;
			f->nlist = 0;
			return 0;
		}
		count = split_items(p, arena_strndup(p->a, s + 1, n - 2), &items);
		if (count < 0)
			return -1;
		for (int i = 0; i < count; i++)
			items[i] = unquote(p, items[i]);
		f->list = items;
		f->nlist = count;
		return 0;
	}
	case FOP_LIKE:
	case FOP_ILIKE:
		f->value = like_pattern(p, in_group ? unquote(p, s) : s);
		return 0;
	default:
		f->value = in_group ? unquote(p, s) : s;
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
	const char *s = item, *dot;
	bool negate = false;
	int col;

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
			return fail(p, "Malformed group \"%s\"", item), NULL;
		return parse_group(p, is_and ? FILTER_AND : FILTER_OR, negate,
		    arena_strndup(p->a, open + 1, n - 2), depth + 1, context);
	}
	dot = strchr(s, '.');
	if (dot == NULL)
		return fail(p, "Malformed condition \"%s\" (expected column.op.value)", item), NULL;
	if ((col = column_or_fail(p, s, (size_t)(dot - s), item)) < 0)
		return NULL;
	f = arena_calloc(p->a, 1, sizeof(*f));
	if (parse_op_expr(p, col, dot + 1, true, item, f) < 0)
		return NULL;
	if (++p->nfilters > QUERY_MAX_FILTERS)
		return fail(p, "Too many filters (at most %d)", QUERY_MAX_FILTERS), NULL;
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
		return fail(p, "Groups nested too deeply in \"%s\"", context), NULL;
	n = split_items(p, body, &items);
	if (n < 0)
		return NULL;
	g = arena_calloc(p->a, 1, sizeof(*g));
	g->kind = kind;
	g->negate = negate;
	g->children = arena_calloc(p->a, (size_t)n, sizeof(*g->children));
	for (int i = 0; i < n; i++) {
		if (items[i][0] == '\0')
			return fail(p, "Empty condition in \"%s\"", context), NULL;
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
		return fail(p, "Too many filters (at most %d)", QUERY_MAX_FILTERS);
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

static const char *
trim(struct parser *p, const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return arena_strndup(p->a, s, n);
}

static int
parse_select(struct parser *p, const char *value, struct plan *plan)
{
	const char **items;
	int n;

	if (strchr(value, '(') != NULL)
		return fail(p, "Embedding related tables is not supported: select=%s", value);
	n = split_items(p, value, &items);
	if (n < 0)
		return -1;
	plan->select = arena_calloc(p->a, (size_t)n, sizeof(*plan->select));
	for (int i = 0; i < n; i++) {
		const char *item = trim(p, items[i]), *colon;
		struct select_item *s = &plan->select[i];

		if (strcmp(item, "*") == 0) {
			s->kind = SEL_STAR;
			continue;
		}
		colon = strchr(item, ':');
		if (colon != NULL && colon[1] == ':')
			return fail(p, "Casts are not supported in select: \"%s\"", item);
		if (colon != NULL) {
			s->alias = trim(p, arena_strndup(p->a, item, (size_t)(colon - item)));
			if (s->alias[0] == '\0')
				return fail(p, "Empty alias in select: \"%s\"", item);
			item = trim(p, colon + 1);
		}
		item = unquote(p, item);
		s->kind = SEL_COLUMN;
		if ((s->ref.column = column_or_fail(p, item, strlen(item), value)) < 0)
			return -1;
	}
	plan->nselect = n;
	return 0;
}

static int
parse_order(struct parser *p, const char *value, struct plan *plan)
{
	const char **items;
	int n = split_items(p, value, &items);

	if (n < 0)
		return -1;
	plan->order = arena_calloc(p->a, (size_t)n, sizeof(*plan->order));
	for (int i = 0; i < n; i++) {
		char *item = (char *)trim(p, items[i]), *save = NULL, *part;
		struct order_item *o = &plan->order[i];

		part = strtok_r(item, ".", &save);
		if (part == NULL)
			return fail(p, "Empty item in order=%s", value);
		part = (char *)unquote(p, part);
		if ((o->ref.column = column_or_fail(p, part, strlen(part), value)) < 0)
			return -1;
		while ((part = strtok_r(NULL, ".", &save)) != NULL) {
			if (strcmp(part, "asc") == 0)
				o->desc = false;
			else if (strcmp(part, "desc") == 0)
				o->desc = true;
			else if (strcmp(part, "nullsfirst") == 0)
				o->nulls = NULLS_FIRST;
			else if (strcmp(part, "nullslast") == 0)
				o->nulls = NULLS_LAST;
			else
				return fail(p,
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
	int n = split_items(p, value, &items);

	if (n < 0)
		return -1;
	*out = arena_calloc(p->a, (size_t)n, sizeof(**out));
	for (int i = 0; i < n; i++) {
		/* postgrest-js quotes them: columns="a","b" */
		const char *item = unquote(p, trim(p, items[i]));

		if (((*out)[i] = column_or_fail(p, item, strlen(item), value)) < 0)
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
		return fail(p, "Malformed Range header \"%s\" (expected from-to)", range);
	plan->offset = from;
	if (to >= 0) {
		long n = to - from + 1;

		plan->limit = plan->limit >= 0 && plan->limit < n ? plan->limit : n;
	}
	return 0;
}

/* One filter parameter in either spelling. */
static int
parse_filter_param(struct parser *p, struct plan *plan, const struct query_param *qp)
{
	const char *key = qp->key, *dot;
	const char *context = qp->has_value ? arena_printf(p->a, "%s=%s", key, qp->value) : key;
	struct filter *f = arena_calloc(p->a, 1, sizeof(*f));
	int col;

	if (qp->has_value && (col = schema_column(p->t, key)) >= 0) {
		/* PostgREST: col=op.value */
		if (parse_op_expr(p, col, qp->value, false, context, f) < 0)
			return -1;
		return add_filter(p, plan, f);
	}
	dot = strchr(key, '.');
	if (dot == NULL)
		return qp->has_value
		    ? column_or_fail(p, key, strlen(key), context)
		    : fail(p, "Malformed filter \"%s\" (expected column.op=value)", key);
	if ((col = column_or_fail(p, key, (size_t)(dot - key), context)) < 0)
		return -1;
	/* Fluxbase: col.op=value, or bare col.is.null */
	if (parse_op_expr(p, col,
	        qp->has_value ? arena_printf(p->a, "%s.%s", dot + 1, qp->value) : dot + 1, false,
	        context, f) < 0)
		return -1;
	return add_filter(p, plan, f);
}

int
query_parse_plan(struct arena *a, const struct sc_table *t, const struct query_param *params,
    size_t nparams, const struct parse_opts *o, struct plan *plan, struct query_error *err)
{
	struct parser p = { .a = a, .t = t };
	const char *range = o->range;

	memset(plan, 0, sizeof(*plan));
	plan->limit = -1;
	plan->filters = arena_calloc(a, nparams + 1, sizeof(*plan->filters));
	for (size_t i = 0; i < nparams; i++) {
		const struct query_param *qp = &params[i];
		const char *k = qp->key, *v = qp->value;
		int rc = 0;

		if (strcmp(k, "select") == 0) {
			rc = parse_select(&p, v, plan);
		} else if (strcmp(k, "order") == 0) {
			rc = parse_order(&p, v, plan);
		} else if (strcmp(k, "limit") == 0) {
			if (parse_long(v, &plan->limit) < 0)
				rc =
				    fail(&p, "limit must be a non-negative integer, got \"%s\"", v);
		} else if (strcmp(k, "offset") == 0) {
			if (parse_long(v, &plan->offset) < 0)
				rc = fail(&p, "offset must be a non-negative integer, got \"%s\"",
				    v);
		} else if (strcmp(k, "on_conflict") == 0) {
			rc = parse_columns(&p, v, &plan->on_conflict, &plan->non_conflict);
		} else if (strcmp(k, "columns") == 0) {
			rc = parse_columns(&p, v, &plan->columns, &plan->ncolumns);
		} else if (strcmp(k, "or") == 0 || strcmp(k, "and") == 0 ||
		    strcmp(k, "not.or") == 0 || strcmp(k, "not.and") == 0) {
			bool negate = k[0] == 'n';
			const char *name = negate ? k + 4 : k;
			size_t n = strlen(v);
			struct filter *g;

			if (n < 2 || v[0] != '(' || v[n - 1] != ')')
				rc = fail(&p, "A group takes conditions in parentheses: \"%s\"",
				    arena_printf(a, "%s=%s", k, v));
			else if ((g = parse_group(&p, name[0] == 'a' ? FILTER_AND : FILTER_OR,
			              negate, arena_strndup(a, v + 1, n - 2), 1,
			              arena_printf(a, "%s=%s", k, v))) == NULL)
				rc = -1;
			else
				rc = add_filter(&p, plan, g);
		} else {
			rc = parse_filter_param(&p, plan, qp);
		}
		if (rc < 0)
			goto refused;
	}
	if (range != NULL && range[0] != '\0' && parse_range(&p, range, plan) < 0)
		goto refused;
	return 0;
refused:
	memset(err, 0, sizeof(*err));
	err->status = 400;
	err->code = "PGRST100";
	err->message = p.err;
	return -1;
}
