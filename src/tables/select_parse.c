/*
 * tables/select_parse.c - the select grammar (PostgREST 12) and the
 * lexical pieces the filter grammar shares with it.
 *
 * A select is a list split at top-level commas (quotes, parentheses and
 * braces respected); each item, whitespace trimmed, is one of
 *   *                              every column
 *   [alias:]colref                 a column, JSON path, cast
 *   [alias:]count()[::type]        the number of rows (of the group)
 *   [alias:]colref.fn()[::type]    fn = count, sum, avg, min, max
 *   [alias:][...]name[!hint][!inner|!left](select)   an embedded resource
 * where colref = name|"quoted" (->key|->>key|->0)* [::type].  An alias
 * ends at the first ':' outside quotes that is not part of '::' and comes
 * before any '('.  What precedes the first '(' decides: "count" or a
 * dotted name ending in an aggregate's name is an aggregate, anything
 * else an embed, resolved against the schema cache by rel_resolve; its
 * own select is read with the target as the table in scope, one level
 * deeper (at most QUERY_MAX_DEPTH).  name() selects nothing (hidden: it
 * only filters, with !inner).  A cast's type is an identifier, maybe
 * schema-qualified, maybe followed by []; the SQL builder quotes it.
 * Aggregates need [tables] aggregates (else 400 PGRST123) and share no
 * level with embeds; a spread needs a to-one relationship (400 PGRST119).
 * An item that fits none of these is refused naming it, never guessed.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tables/parser.h"
#include "tables/relationship.h"

int
parser_fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	p->err = arena_vprintf(p->a, fmt, ap);
	va_end(ap);
	return -1;
}

int
parser_fail_with(struct parser *p, const struct query_error *e)
{
	p->e = *e;
	p->err = e->message;
	return -1;
}

int
parser_column(struct parser *p, const char *name, size_t len, const char *context)
{
	char *n = arena_strndup(p->a, name, len);
	int c = schema_column(p->t, n);

	if (c < 0)
		return parser_fail(p, "Unknown column \"%s\" in \"%s\" (table %s)", n, context,
		    p->t->url_name);
	return c;
}

static void
push_item(struct parser *p, const char ***items, int *n, int *cap, const char *s, size_t len)
{
	if (*n == *cap) {
		const char **bigger = arena_calloc(p->a, (size_t)*cap * 2, sizeof(**items));

		memcpy(bigger, *items, (size_t)*cap * sizeof(**items));
		*items = bigger;
		*cap *= 2;
	}
	(*items)[(*n)++] = arena_strndup(p->a, s, len);
}

int
parser_split(struct parser *p, const char *s, const char ***out)
{
	const char **items;
	int n = 0, cap = 8, depth = 0, braces = 0;
	bool quoted = false;
	const char *start = s;

	items = arena_calloc(p->a, (size_t)cap, sizeof(*items));
	for (const char *c = s;; c++) {
		if (*c == '\0' || (*c == ',' && depth == 0 && braces == 0 && !quoted)) {
			push_item(p, &items, &n, &cap, start, (size_t)(c - start));
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
				return parser_fail(p, "Unbalanced parentheses in \"%s\"", s);
		}
	}
	if (quoted || depth != 0)
		return parser_fail(p, "Unbalanced quotes or parentheses in \"%s\"", s);
	*out = items;
	return n;
}

const char *
parser_unquote(struct parser *p, const char *s)
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

const char *
parser_trim(struct parser *p, const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return arena_strndup(p->a, s, n);
}

static bool
at_arrow(const char *s)
{
	return s[0] == '-' && s[1] == '>';
}

static bool
at_cast(const char *s)
{
	return s[0] == ':' && s[1] == ':';
}

/* What a bare name or key may hold (PostgREST's): letters, digits, _, $,
 * spaces, and - when it does not start an arrow. */
static bool
bare_char(const char *s)
{
	unsigned char c = (unsigned char)*s;

	return isalnum(c) || c >= 0x80 || c == '_' || c == '$' || c == ' ' ||
	    (c == '-' && s[1] != '>');
}

/*
 * A name or JSON key at s, "quoted" (with \ escapes) or bare (bare_char).
 * *out is its text; returns where it ended, or NULL for an unterminated
 * quote.
 */
static const char *
scan_name(struct parser *p, const char *s, const char **out)
{
	const char *start = s;

	if (*s == '"') {
		struct strbuf sb;

		strbuf_init(&sb, p->a, 16);
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			strbuf_putc(&sb, *s);
		}
		if (*s != '"')
			return NULL;
		*out = sb.data;
		return s + 1;
	}
	while (bare_char(s))
		s++;
	*out = arena_strndup(p->a, start, (size_t)(s - start));
	return s;
}

static bool
is_index(const char *key)
{
	const char *d = key[0] == '-' ? key + 1 : key;

	if (*d == '\0')
		return false;
	for (; *d; d++)
		if (!isdigit((unsigned char)*d))
			return false;
	return true;
}

/* identifier[.identifier][[]] */
static bool
cast_ok(const char *s)
{
	bool dotted = false;

	for (;;) {
		if (!isalpha((unsigned char)*s) && *s != '_')
			return false;
		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		if (*s != '.' || dotted)
			break;
		dotted = true;
		s++;
	}
	if (s[0] == '[' && s[1] == ']')
		s += 2;
	return *s == '\0';
}

static int
read_cast(struct parser *p, const char *type, const char *context, const char **out)
{
	if (!cast_ok(type))
		return parser_fail(p,
		    "Invalid type \"%s\" in the cast of \"%s\" (a type name, maybe schema.name, "
		    "maybe with [])",
		    type, context);
	*out = arena_strdup(p->a, type);
	return 0;
}

static int
read_path(struct parser *p, const char **sp, const char *context, struct colref *out)
{
	struct json_step steps[QUERY_MAX_PATH];
	const char *c = *sp;
	int n = 0;

	while (at_arrow(c)) {
		struct json_step *st;
		const char *key;

		if (n == QUERY_MAX_PATH)
			return parser_fail(p, "JSON path too long (at most %d steps) in \"%s\"",
			    QUERY_MAX_PATH, context);
		st = &steps[n++];
		st->text = c[2] == '>';
		c += st->text ? 3 : 2;
		st->index = *c != '"';
		if ((c = scan_name(p, c, &key)) == NULL)
			return parser_fail(p, "Unterminated quotes in \"%s\"", context);
		if (key[0] == '\0')
			return parser_fail(p, "Empty key in the JSON path of \"%s\"", context);
		st->index = st->index && is_index(key);
		st->key = key;
	}
	if (n > 0) {
		out->path = arena_calloc(p->a, (size_t)n, sizeof(*out->path));
		memcpy(out->path, steps, (size_t)n * sizeof(*steps));
	}
	out->npath = n;
	*sp = c;
	return 0;
}

int
parser_colref(struct parser *p, const char *s, bool allow_cast, const char *context,
    struct colref *out, const char **end)
{
	const char *name, *c;

	memset(out, 0, sizeof(*out));
	out->column = -1;
	if ((c = scan_name(p, s, &name)) == NULL)
		return parser_fail(p, "Unterminated quotes in \"%s\"", context);
	if (name[0] == '\0')
		return parser_fail(p, "Empty column name in \"%s\"", context);
	if ((out->column = parser_column(p, name, strlen(name), context)) < 0)
		return -1;
	if (read_path(p, &c, context, out) < 0)
		return -1;
	if (at_cast(c)) {
		if (!allow_cast)
			return parser_fail(p,
			    "Casts are only allowed in select, not in filters or order: \"%s\"",
			    context);
		if (read_cast(p, c + 2, context, &out->cast) < 0)
			return -1;
		c += strlen(c);
	}
	if (*c != '\0' && *c != '.')
		return parser_fail(p,
		    "Unexpected \"%c\" in \"%s\" (quote names and keys holding it)", *c, context);
	if (end != NULL)
		*end = c;
	return 0;
}

/*
 * The first stop outside quotes in item, or NULL: '(' opens an embed's
 * list; ':' is an alias's (never a cast's "::", and none once a '('
 * has come).
 */
static const char *
unquoted(const char *item, char stop)
{
	bool quoted = false;

	for (const char *c = item; *c; c++) {
		if (quoted) {
			if (*c == '\\' && c[1] != '\0')
				c++;
			else if (*c == '"')
				quoted = false;
		} else if (*c == '"') {
			quoted = true;
		} else if (*c == '(') {
			return stop == '(' ? c : NULL;
		} else if (stop == ':' && at_cast(c)) {
			c++;
		} else if (*c == stop) {
			return c;
		}
	}
	return NULL;
}

static enum agg_fn
agg_named(const char *s, size_t n)
{
	static const char *const names[] = { [AGG_COUNT] = "count",
		[AGG_SUM] = "sum",
		[AGG_AVG] = "avg",
		[AGG_MIN] = "min",
		[AGG_MAX] = "max" };

	for (int i = AGG_COUNT; i <= AGG_MAX; i++)
		if (strlen(names[i]) == n && strncmp(names[i], s, n) == 0)
			return (enum agg_fn)i;
	return AGG_NONE;
}

static int
column_item(struct parser *p, const char *item, struct select_item *s)
{
	const char *end;

	s->kind = SEL_COLUMN;
	if (parser_colref(p, item, true, item, &s->ref, &end) < 0)
		return -1;
	if (*end != '\0')
		return parser_fail(p,
		    "Unexpected \"%s\" in the select item \"%s\" (an aggregate is col.sum())", end,
		    item);
	return 0;
}

/* count(), col.fn(), either maybe followed by ::type; dot: the '.' before fn or NULL. */
static int
agg_item(struct parser *p, const char *item, const char *paren, const char *dot,
    struct select_item *s, struct plan *plan)
{
	const char *fn = dot != NULL ? dot + 1 : item;

	if (s->agg == AGG_NONE && dot != NULL)
		return parser_fail(p,
		    "Unknown aggregate \"%.*s\" in \"%s\" (count, sum, avg, min, max)",
		    (int)(paren - fn), fn, item);
	if (paren[1] != ')' || (paren[2] != '\0' && !at_cast(paren + 2)))
		return parser_fail(p,
		    "Malformed aggregate \"%s\" (expected col.%.*s() or ::type after it)", item,
		    (int)(paren - fn), fn);
	if (p->o == NULL || !p->o->aggregates) {
		struct query_error e = { .status = 400,
			.code = "PGRST123",
			.message = "Use of aggregate functions is not allowed",
			.details = arena_printf(p->a, "select item \"%s\"", item),
			.hint = "Aggregates are turned off by [tables] aggregates = off" };

		return parser_fail_with(p, &e);
	}
	if (paren[2] != '\0' && read_cast(p, paren + 4, item, &s->agg_cast) < 0)
		return -1;
	plan->aggregated = true;
	if (dot == NULL) {
		s->kind = SEL_COUNT;
		s->agg = AGG_NONE;
		return 0;
	}
	if (column_item(p, arena_strndup(p->a, item, (size_t)(dot - item)), s) < 0)
		return -1;
	return 0;
}

/* name[!hint][!inner|!left] into e. */
static int
embed_head(struct parser *p, const char *head, const char *item, struct embed *e)
{
	char *copy = arena_strdup(p->a, head), *save = NULL, *part;
	bool first = true;

	if (copy[0] == '!' || copy[0] == '\0' || strstr(copy, "!!") != NULL ||
	    copy[strlen(copy) - 1] == '!')
		return parser_fail(p, "Empty name or hint in the embedded resource \"%s\"", item);
	for (part = strtok_r(copy, "!", &save); part != NULL; part = strtok_r(NULL, "!", &save)) {
		const char *t = parser_unquote(p, parser_trim(p, part));

		if (t[0] == '\0')
			return parser_fail(p, "Empty name or hint in the embedded resource \"%s\"",
			    item);
		if (first)
			e->name = t;
		else if (strcmp(t, "inner") == 0)
			e->inner = true;
		else if (strcmp(t, "left") == 0)
			e->inner = false;
		else if (e->hint != NULL)
			return parser_fail(p, "More than one hint in the embedded resource \"%s\"",
			    item);
		else
			e->hint = t;
		first = false;
	}
	return 0;
}

static int
embed_item(struct parser *p, const char *item, const char *head, const char *paren, bool spread,
    struct select_item *s, int depth)
{
	size_t n = strlen(paren);
	struct embed *e = arena_calloc(p->a, 1, sizeof(*e));
	struct query_error qe;
	const struct sc_table *saved;
	const char *body;
	int rc;

	if (paren[n - 1] != ')')
		return parser_fail(p,
		    "Malformed embedded resource \"%s\" (expected name(columns), nothing after ')')",
		    item);
	if (depth + 1 > QUERY_MAX_DEPTH)
		return parser_fail(p,
		    "Embedded resources nested too deeply (at most %d levels): \"%s\"",
		    QUERY_MAX_DEPTH, item);
	if (p->o == NULL || p->o->sc == NULL)
		return parser_fail(p, "Embedding related tables is not available here: \"%s\"",
		    item);
	if (embed_head(p, head, item, e) < 0)
		return -1;
	e->spread = spread;
	if (rel_resolve(p->a, p->o->sc, p->t, e->name, e->hint, p->o->exact_names, &e->rel, &qe) <
	    0)
		return parser_fail_with(p, &qe);
	if (spread && !REL_TO_ONE(&e->rel)) {
		qe = (struct query_error){ .status = 400,
			.code = "PGRST119",
			.message = arena_printf(p->a, "A spread operation on '%s' is not possible",
			    e->name),
			.details = arena_printf(p->a,
			    "'%s' and '%s' do not form a many-to-one or one-to-one relationship",
			    p->t->url_name, e->name) };
		return parser_fail_with(p, &qe);
	}
	e->sub = arena_calloc(p->a, 1, sizeof(*e->sub));
	e->sub->limit = -1;
	e->sub->filters = arena_calloc(p->a, p->nparams + 1, sizeof(*e->sub->filters));
	body = parser_trim(p, arena_strndup(p->a, paren + 1, n - 2));
	s->kind = SEL_EMBED;
	s->embed = e;
	if (body[0] == '\0') {
		e->hidden = true;
		return 0;
	}
	saved = p->t;
	p->t = e->rel.target;
	rc = parser_select(p, body, e->sub, depth + 1);
	p->t = saved;
	return rc;
}

static int
select_item(struct parser *p, const char *item, struct select_item *s, struct plan *plan, int depth)
{
	const char *colon, *paren, *head, *dot;
	bool spread = false;

	if (strcmp(item, "*") == 0) {
		s->kind = SEL_STAR;
		return 0;
	}
	if ((colon = unquoted(item, ':')) != NULL) {
		s->alias = parser_unquote(p,
		    parser_trim(p, arena_strndup(p->a, item, (size_t)(colon - item))));
		if (s->alias[0] == '\0')
			return parser_fail(p, "Empty alias in select: \"%s\"", item);
		item = parser_trim(p, colon + 1);
	}
	if (strncmp(item, "...", 3) == 0) {
		spread = true;
		item += 3;
	}
	paren = unquoted(item, '(');
	if (paren == NULL) {
		if (spread)
			return parser_fail(p,
			    "A spread takes an embedded resource, as ...name(cols): \"%s\"", item);
		return column_item(p, item, s);
	}
	head = arena_strndup(p->a, item, (size_t)(paren - item));
	dot = strrchr(head, '.');
	if (!spread && (strcmp(head, "count") == 0 || dot != NULL)) {
		s->agg = dot != NULL ? agg_named(dot + 1, strlen(dot + 1)) : AGG_COUNT;
		return agg_item(p, item, paren, dot != NULL ? item + (dot - head) : NULL, s, plan);
	}
	return embed_item(p, item, head, paren, spread, s, depth);
}

int
parser_select(struct parser *p, const char *value, struct plan *plan, int depth)
{
	const char **items;
	bool embeds = false;
	int n = parser_split(p, value, &items);

	if (n < 0)
		return -1;
	if (n > QUERY_MAX_SELECT || (p->nselect += n) > QUERY_MAX_SELECT)
		return parser_fail(p, "Too many items in select (at most %d)", QUERY_MAX_SELECT);
	plan->select = arena_calloc(p->a, (size_t)n, sizeof(*plan->select));
	for (int i = 0; i < n; i++) {
		const char *item = parser_trim(p, items[i]);

		if (item[0] == '\0')
			return parser_fail(p, "Empty item in select=%s", value);
		if (select_item(p, item, &plan->select[i], plan, depth) < 0)
			return -1;
		embeds = embeds || plan->select[i].kind == SEL_EMBED;
	}
	plan->nselect = n;
	if (plan->aggregated && embeds)
		return parser_fail(p,
		    "Aggregates and embedded resources cannot be combined in one level of select=%s",
		    value);
	return 0;
}

struct embed *
parser_find_embed(const struct plan *plan, const char *name, size_t len)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < plan->nselect; i++) {
			struct embed *e = plan->select[i].embed;
			const char *n = pass == 0 ? plan->select[i].alias : e ? e->name : NULL;

			if (plan->select[i].kind == SEL_EMBED && n != NULL && strlen(n) == len &&
			    strncmp(n, name, len) == 0)
				return e;
		}
	return NULL;
}
