/*
 * tables/embed_sql.c - what renders against a scope: filters, order,
 * select lists and embedded resources (column references and casts are
 * query_sql.c's).  A filter or an order on a JSON path compares text after
 * ->> and jsonb after -> (a json column's path made jsonb).
 *
 * PostgreSQL builds each embed's JSON in the request's one statement:
 *   to-one   (SELECT row_to_json(x) FROM (SELECT ... WHERE <join> AND
 *              <filters> LIMIT 1) x): an object or null
 *   to-many  coalesce((SELECT json_agg(x) FROM (SELECT ... ORDER BY ...
 *              LIMIT ...) x), '[]')
 * A plain embed is that scalar subquery in the select list (planned
 * faster than a join, run for the page's rows only).  One that must join
 * is a lateral subquery in the level's FROM, read as _fb_eN.j:
 *   !inner   drops parents without a match (JOIN LATERAL, and for a
 *            to-many ON _fb_eN.j IS NOT NULL: json_agg of no row is NULL)
 *   spread   the sub's own columns (_fb_eN.*) rather than j
 *   grouped  an aggregated level groups by _fb_eN.j::text
 * An embed that only filters (hidden, !inner) and the count's copy of the
 * !inner embeds ask for existence only: JOIN LATERAL (SELECT 1 ... LIMIT
 * 1) ON true.
 */
#include "config.h"

#include <string.h>

#include "tables/sql_internal.h"

static bool
ends_in_json(const struct colref *r)
{
	return r->npath > 0 && !r->path[r->npath - 1].text;
}

/* A colref to compare or sort: a path ending in -> is jsonb (json has no
 * equality or ordering), one ending in ->> is text. */
static void
put_operand(struct sql_query *q, const struct sql_scope *s, const struct colref *r)
{
	bool to_jsonb = ends_in_json(r) && strcmp(s->t->columns[r->column].typname, "json") == 0;

	if (to_jsonb)
		strbuf_putc(&q->sql, '(');
	sql_put_colref(q, s, r);
	if (to_jsonb)
		strbuf_puts(&q->sql, ")::jsonb");
}

static bool
operand_is_text(const struct sql_scope *s, const struct colref *r)
{
	if (r->npath > 0)
		return r->path[r->npath - 1].text;
	return s->t->columns[r->column].typcategory == 'S';
}

/* The type of an operand's array of values (in, any, all). */
static const char *
operand_type(const struct sql_scope *s, const struct colref *r)
{
	if (r->npath > 0)
		return r->path[r->npath - 1].text ? "text" : "jsonb";
	return s->t->columns[r->column].type;
}

/* The operand as text, for patterns and text search (a path in
 * parentheses: ::text would bind to its last key). */
static void
put_text_operand(struct sql_query *q, const struct sql_scope *s, const struct colref *r)
{
	bool cast = !operand_is_text(s, r);

	if (cast && r->npath > 0)
		strbuf_putc(&q->sql, '(');
	put_operand(q, s, r);
	if (cast && r->npath > 0)
		strbuf_putc(&q->sql, ')');
	if (cast)
		strbuf_puts(&q->sql, "::text");
}

static const char *
pattern_op(enum filter_op op)
{
	return op == FOP_LIKE ? " LIKE "
	    : op == FOP_ILIKE ? " ILIKE "
	    : op == FOP_MATCH ? " ~ "
	                      : " ~* ";
}

/* f's list as one bound array literal. */
static void
put_list(struct sql_query *q, const struct filter *f)
{
	struct strbuf list;

	strbuf_init(&list, q->arena, 64);
	strbuf_put_array_literal(&list, (const char *const *)f->list, f->nlist);
	sql_put_param(q, list.data);
}

/* col op ANY|ALL($n::type[]): the list is one bound array literal. */
static void
put_quantified(struct sql_query *q, const struct sql_scope *s, const struct filter *f,
    const char *cmp)
{
	bool pattern = f->op >= FOP_LIKE && f->op <= FOP_IMATCH;

	if (pattern) {
		put_text_operand(q, s, &f->ref);
		strbuf_puts(&q->sql, pattern_op(f->op));
	} else {
		put_operand(q, s, &f->ref);
		strbuf_printf(&q->sql, " %s ", cmp);
	}
	strbuf_puts(&q->sql, f->quant == QUANT_ANY ? "ANY(" : "ALL(");
	put_list(q, f);
	strbuf_printf(&q->sql, "::%s[])", pattern ? "text" : operand_type(s, &f->ref));
}

/* col @@ to_tsquery(...): a column that is not a tsvector goes through
 * to_tsvector, with the same configuration. */
static void
put_fts(struct sql_query *q, const struct sql_scope *s, const struct filter *f)
{
	static const char *const tsq[] = { [FOP_FTS] = "to_tsquery",
		[FOP_PLFTS] = "plainto_tsquery",
		[FOP_PHFTS] = "phraseto_tsquery",
		[FOP_WFTS] = "websearch_to_tsquery" };
	const struct sc_column *c = &s->t->columns[f->ref.column];

	if (f->ref.npath == 0 && strcmp(c->typname, "tsvector") == 0) {
		put_operand(q, s, &f->ref);
	} else {
		strbuf_puts(&q->sql, "to_tsvector(");
		if (f->fts_config != NULL) {
			sql_put_param(q, f->fts_config);
			strbuf_puts(&q->sql, "::regconfig, ");
		}
		put_text_operand(q, s, &f->ref);
		strbuf_putc(&q->sql, ')');
	}
	strbuf_printf(&q->sql, " @@ %s(", tsq[f->op]);
	if (f->fts_config != NULL) {
		sql_put_param(q, f->fts_config);
		strbuf_puts(&q->sql, "::regconfig, ");
	}
	sql_put_param(q, f->value);
	strbuf_putc(&q->sql, ')');
}

static void
put_condition(struct sql_query *q, const struct sql_scope *s, const struct filter *f)
{
	static const char *const cmp[] = { [FOP_EQ] = "=",
		[FOP_NEQ] = "<>",
		[FOP_GT] = ">",
		[FOP_GTE] = ">=",
		[FOP_LT] = "<",
		[FOP_LTE] = "<=",
		[FOP_CS] = "@>",
		[FOP_CD] = "<@",
		[FOP_OV] = "&&",
		[FOP_SL] = "<<",
		[FOP_SR] = ">>",
		[FOP_NXL] = "&>",
		[FOP_NXR] = "&<",
		[FOP_ADJ] = "-|-" };
	static const char *const is_sql[] = { [IS_NULL] = "IS NULL",
		[IS_NOT_NULL] = "IS NOT NULL",
		[IS_TRUE] = "IS TRUE",
		[IS_FALSE] = "IS FALSE",
		[IS_UNKNOWN] = "IS UNKNOWN" };

	if (f->quant != QUANT_NONE) {
		put_quantified(q, s, f, cmp[f->op]);
		return;
	}
	switch (f->op) {
	case FOP_LIKE:
	case FOP_ILIKE:
	case FOP_MATCH:
	case FOP_IMATCH:
		put_text_operand(q, s, &f->ref);
		strbuf_puts(&q->sql, pattern_op(f->op));
		sql_put_param(q, f->value);
		break;
	case FOP_IN:
		put_operand(q, s, &f->ref);
		strbuf_puts(&q->sql, " = ANY(");
		put_list(q, f);
		strbuf_printf(&q->sql, "::%s[])", operand_type(s, &f->ref));
		break;
	case FOP_IS:
		put_operand(q, s, &f->ref);
		strbuf_printf(&q->sql, " %s", is_sql[f->is]);
		break;
	case FOP_ISDISTINCT:
		put_operand(q, s, &f->ref);
		strbuf_puts(&q->sql, " IS DISTINCT FROM ");
		sql_put_param(q, f->value);
		break;
	case FOP_FTS:
	case FOP_PLFTS:
	case FOP_PHFTS:
	case FOP_WFTS:
		put_fts(q, s, f);
		break;
	default: /* the comparisons: col op $n */
		put_operand(q, s, &f->ref);
		strbuf_printf(&q->sql, " %s ", cmp[f->op]);
		sql_put_param(q, f->value);
		break;
	}
}

static void
put_filter(struct sql_query *q, const struct sql_scope *s, const struct filter *f)
{
	if (f->negate)
		strbuf_puts(&q->sql, "NOT ");
	strbuf_putc(&q->sql, '(');
	if (f->kind == FILTER_COND) {
		put_condition(q, s, f);
	} else if (f->nchildren == 0) {
		strbuf_puts(&q->sql, f->kind == FILTER_AND ? "true" : "false");
	} else {
		for (int i = 0; i < f->nchildren; i++) {
			if (i > 0)
				strbuf_puts(&q->sql, f->kind == FILTER_AND ? " AND " : " OR ");
			put_filter(q, s, f->children[i]);
		}
	}
	strbuf_putc(&q->sql, ')');
}

void
sql_put_filters(struct sql_query *q, const struct sql_scope *s, struct filter *const *f, int n,
    bool any)
{
	for (int i = 0; i < n; i++) {
		strbuf_puts(&q->sql, any ? " AND " : " WHERE ");
		put_filter(q, s, f[i]);
		any = true;
	}
}

static int grouped_position(const struct sql_scope *s, const struct plan *p,
    const struct colref *r);

/* An aggregated level orders by a grouped item's position: its JSON path's
 * keys are bound again in ORDER BY, which PostgreSQL could not match. */
void
sql_put_order(struct sql_query *q, const struct sql_scope *s, const struct plan *p)
{
	for (int i = 0; i < p->norder; i++) {
		const struct order_item *ord = &p->order[i];

		int pos = p->aggregated ? grouped_position(s, p, &ord->ref) : 0;

		strbuf_puts(&q->sql, i == 0 ? " ORDER BY " : ", ");
		if (pos > 0)
			strbuf_printf(&q->sql, "%d", pos);
		else
			put_operand(q, s, &ord->ref);
		strbuf_puts(&q->sql, ord->desc ? " DESC" : " ASC");
		if (ord->nulls != NULLS_DEFAULT)
			strbuf_puts(&q->sql,
			    ord->nulls == NULLS_FIRST ? " NULLS FIRST" : " NULLS LAST");
	}
}

static const char *const agg_names[] = { [AGG_NONE] = "",
	[AGG_COUNT] = "count",
	[AGG_SUM] = "sum",
	[AGG_AVG] = "avg",
	[AGG_MIN] = "min",
	[AGG_MAX] = "max" };

/* The output key of an item: its alias, else the column's name, a JSON
 * path's last key, the aggregate's name or the embed's; NULL for * and a
 * spread, whose keys are their columns'. */
static const char *
item_key(const struct sql_scope *s, const struct select_item *it)
{
	if (it->alias != NULL)
		return it->alias;
	switch (it->kind) {
	case SEL_COUNT:
		return "count";
	case SEL_EMBED:
		return it->embed->spread ? NULL : it->embed->name;
	case SEL_COLUMN:
		if (it->agg != AGG_NONE)
			return agg_names[it->agg];
		for (int i = it->ref.npath - 1; i >= 0; i--)
			if (!it->ref.path[i].index)
				return it->ref.path[i].key;
		return s->t->columns[it->ref.column].name;
	default:
		return NULL;
	}
}

/* a.x = b.y AND ...: the columns of a foreign key and those it references. */
static void
put_fk_cond(struct sql_query *q, const char *a, const struct sc_table *at, const int *acols,
    const char *b, const struct sc_table *bt, const int *bcols, int n)
{
	if (n == 0)
		strbuf_puts(&q->sql, "true");
	for (int i = 0; i < n; i++)
		strbuf_printf(&q->sql, "%s%s.%s = %s.%s", i > 0 ? " AND " : "", a,
		    at->columns[acols[i]].quoted, b, bt->columns[bcols[i]].quoted);
}

/* FROM and WHERE of an embedded level: the target (joined with the
 * junction for many-to-many), the level's joins, the condition that ties
 * its rows to the parent's row, and its own filters. */
static void
put_sub_from(struct sql_query *q, const struct sql_scope *parent, const struct sql_scope *sub,
    const struct embed *e, const char *joins)
{
	const struct relationship *rel = &e->rel;
	const struct sc_fk *fk = rel->fk;
	const char *jalias = NULL;

	strbuf_printf(&q->sql, " FROM %s AS %s", sub->t->qualified, sub->alias);
	if (rel->kind == REL_MANY_TO_MANY) {
		jalias = sql_alias(q, "_fb_j");
		fk = rel->junction_target;
		strbuf_printf(&q->sql, " JOIN %s AS %s ON ", rel->junction->qualified, jalias);
		put_fk_cond(q, jalias, rel->junction, fk->cols, sub->alias, sub->t, fk->ref_cols,
		    fk->ncolumns);
	}
	strbuf_puts(&q->sql, joins);
	strbuf_puts(&q->sql, " WHERE ");
	if (rel->kind == REL_MANY_TO_MANY) {
		fk = rel->junction_parent;
		put_fk_cond(q, jalias, rel->junction, fk->cols, parent->alias, parent->t,
		    fk->ref_cols, fk->ncolumns);
	} else if (rel->fk_on_parent) {
		put_fk_cond(q, sub->alias, sub->t, fk->ref_cols, parent->alias, parent->t, fk->cols,
		    fk->ncolumns);
	} else {
		put_fk_cond(q, sub->alias, sub->t, fk->cols, parent->alias, parent->t, fk->ref_cols,
		    fk->ncolumns);
	}
	sql_put_filters(q, sub, e->sub->filters, e->sub->nfilters, true);
}

/* Whether a row matches, past the offset of a to-many: the lateral of a
 * hidden !inner embed and of the count's copy of the !inner embeds. */
static void
put_embed_exists(struct sql_query *q, const struct sql_scope *parent, const struct embed *e,
    const char *ealias)
{
	const struct plan *sp = e->sub;
	struct sql_scope sub = { e->rel.target, sql_alias(q, "_fb_t") };
	bool to_one = REL_TO_ONE(&e->rel) || e->spread;

	strbuf_puts(&q->sql, " JOIN LATERAL (SELECT 1");
	put_sub_from(q, parent, &sub, e, sql_inner_joins(q, &sub, sp));
	if (!to_one && sp->offset > 0)
		strbuf_printf(&q->sql, " OFFSET %ld", sp->offset);
	strbuf_printf(&q->sql, " LIMIT %d) AS %s ON true", !to_one && sp->limit == 0 ? 0 : 1,
	    ealias);
}

/* The embed's rows: SELECT row_to_json(x) (to-one) or json_agg(x) (to-many)
 * AS j FROM (its level) x; a spread's level alone. */
static void
put_embed_rows(struct sql_query *q, const struct sql_scope *parent, const struct embed *e)
{
	const struct plan *sp = e->sub;
	struct sql_scope sub = { e->rel.target, sql_alias(q, "_fb_t") };
	bool to_one = REL_TO_ONE(&e->rel) || e->spread;
	const char *x = NULL, *joins, *group;

	if (!e->spread) {
		x = sql_alias(q, "_fb_x");
		strbuf_printf(&q->sql, "SELECT pg_catalog.%s(%s.*) AS j FROM (",
		    to_one ? "row_to_json" : "json_agg", x);
	}
	strbuf_puts(&q->sql, "SELECT ");
	joins = sql_put_select(q, &sub, sp, &group);
	put_sub_from(q, parent, &sub, e, joins);
	strbuf_puts(&q->sql, group);
	if (to_one) {
		strbuf_puts(&q->sql, " LIMIT 1");
	} else {
		sql_put_order(q, &sub, sp);
		if (sp->limit >= 0)
			strbuf_printf(&q->sql, " LIMIT %ld", sp->limit);
		if (sp->offset > 0)
			strbuf_printf(&q->sql, " OFFSET %ld", sp->offset);
	}
	if (!e->spread)
		strbuf_printf(&q->sql, ") AS %s", x);
}

/* The lateral join of an embed read as ealias.j (or ealias.* spread). */
static void
put_embed_join(struct sql_query *q, const struct sql_scope *parent, const struct embed *e,
    const char *ealias)
{
	strbuf_puts(&q->sql, e->inner ? " JOIN LATERAL (" : " LEFT JOIN LATERAL (");
	put_embed_rows(q, parent, e);
	strbuf_printf(&q->sql, ") AS %s ON ", ealias);
	if (e->inner && !REL_TO_ONE(&e->rel) && !e->spread)
		strbuf_printf(&q->sql, "%s.j IS NOT NULL", ealias);
	else
		strbuf_puts(&q->sql, "true");
}

/* A plain embed (not !inner, spread or grouped) is a scalar subquery in
 * the select list: PostgreSQL plans it faster than a lateral join, and
 * runs it for the level's page only. */
static bool
embed_inline(const struct plan *p, const struct embed *e)
{
	return !e->inner && !e->spread && !e->hidden && !p->aggregated;
}

static void
put_column_item(struct sql_query *q, const struct sql_scope *s, const struct select_item *it)
{
	if (it->agg == AGG_NONE) {
		sql_put_colref(q, s, &it->ref);
		return;
	}
	if (it->agg_cast != NULL)
		strbuf_putc(&q->sql, '(');
	strbuf_printf(&q->sql, "pg_catalog.%s(", agg_names[it->agg]);
	sql_put_colref(q, s, &it->ref);
	strbuf_putc(&q->sql, ')');
	if (it->agg_cast != NULL) {
		strbuf_puts(&q->sql, ")::");
		sql_put_type(q, it->agg_cast);
	}
}

/* An embed's value.  Grouped (an aggregated level), json has no equality:
 * the level groups by its text, and the value is that text read back. */
static void
put_embed_item(struct sql_query *q, const struct sql_scope *s, const struct embed *e,
    const char *ealias, bool grouped)
{
	bool to_one = REL_TO_ONE(&e->rel);

	if (ealias == NULL) {
		strbuf_puts(&q->sql, to_one ? "(" : "coalesce((");
		put_embed_rows(q, s, e);
		strbuf_puts(&q->sql, to_one ? ")" : "), '[]')");
	} else if (e->spread) {
		strbuf_printf(&q->sql, "%s.*", ealias);
	} else if (to_one) {
		strbuf_printf(&q->sql, grouped ? "(%s.j::text)::json" : "%s.j", ealias);
	} else {
		strbuf_printf(&q->sql,
		    grouped ? "coalesce(%s.j::text, '[]')::json" : "coalesce(%s.j, '[]')", ealias);
	}
}

static bool
item_shown(const struct select_item *it)
{
	return it->kind != SEL_EMBED || !it->embed->hidden;
}

static void
put_items(struct sql_query *q, const struct sql_scope *s, const struct plan *p,
    const char *const *ealias)
{
	int n = 0;

	for (int i = 0; i < p->nselect; i++) {
		const struct select_item *it = &p->select[i];
		const char *key = item_key(s, it);
		bool named = it->alias != NULL;

		if (!item_shown(it))
			continue;
		if (n++ > 0)
			strbuf_puts(&q->sql, ", ");
		switch (it->kind) {
		case SEL_STAR:
			strbuf_printf(&q->sql, "%s.*", s->alias);
			break;
		case SEL_COUNT:
			strbuf_puts(&q->sql, "pg_catalog.count(*)");
			named = true;
			break;
		case SEL_COLUMN:
			put_column_item(q, s, it);
			named |= it->agg != AGG_NONE || it->ref.npath > 0;
			break;
		case SEL_EMBED:
			put_embed_item(q, s, it->embed, ealias[i], p->aggregated);
			named = true;
			break;
		}
		if (named && key != NULL)
			strbuf_printf(&q->sql, " AS %s", schema_quote_ident(q->arena, key));
	}
}

/* How many columns p's select list makes at t. */
static int
width(const struct sc_table *t, const struct plan *p)
{
	int n = 0;

	if (p->select == NULL)
		return t->ncolumns;
	for (int i = 0; i < p->nselect; i++) {
		const struct select_item *it = &p->select[i];

		if (it->kind == SEL_STAR)
			n += t->ncolumns;
		else if (it->kind != SEL_EMBED || !it->embed->spread)
			n += item_shown(it);
		else
			n += width(it->embed->rel.target, it->embed->sub);
	}
	return n;
}

/* How many columns an item makes. */
static int
item_width(const struct sql_scope *s, const struct select_item *it)
{
	if (it->kind == SEL_STAR)
		return s->t->ncolumns;
	if (it->kind == SEL_EMBED && it->embed->spread)
		return width(it->embed->rel.target, it->embed->sub);
	return item_shown(it);
}

static bool
same_colref(const struct colref *a, const struct colref *b)
{
	if (a->column != b->column || a->npath != b->npath || a->cast != NULL || b->cast != NULL)
		return false;
	for (int i = 0; i < a->npath; i++)
		if (a->path[i].text != b->path[i].text || a->path[i].index != b->path[i].index ||
		    strcmp(a->path[i].key, b->path[i].key) != 0)
			return false;
	return true;
}

/* The position of the plain item reading r, or 0. */
static int
grouped_position(const struct sql_scope *s, const struct plan *p, const struct colref *r)
{
	int pos = 0;

	for (int i = 0; i < p->nselect; i++) {
		const struct select_item *it = &p->select[i];

		if (it->kind == SEL_COLUMN && it->agg == AGG_NONE && same_colref(&it->ref, r))
			return pos + 1;
		pos += item_width(s, it);
	}
	return 0;
}

/* GROUP BY the plain items, by ordinal (a JSON path's bound keys need not
 * be matched twice); an embed by its text. */
static const char *
group_by(struct sql_query *q, const struct sql_scope *s, const struct plan *p,
    const char *const *ealias)
{
	struct strbuf g;
	int pos = 0, n = 0;

	strbuf_init(&g, q->arena, 64);
	for (int i = 0; i < p->nselect; i++) {
		const struct select_item *it = &p->select[i];
		int w = item_width(s, it);

		if (it->kind == SEL_COUNT || (it->kind == SEL_COLUMN && it->agg != AGG_NONE)) {
			pos += w;
			continue;
		}
		if (it->kind == SEL_EMBED && !it->embed->spread && w > 0) {
			strbuf_printf(&g, "%s%s.j::text", n++ ? ", " : " GROUP BY ", ealias[i]);
			pos++;
			continue;
		}
		for (int k = 0; k < w; k++)
			strbuf_printf(&g, "%s%d", n++ ? ", " : " GROUP BY ", ++pos);
	}
	return g.data;
}

const char *
sql_put_select(struct sql_query *q, const struct sql_scope *s, const struct plan *p,
    const char **group)
{
	struct strbuf saved = q->sql;
	const char **ealias;
	const char *joins;

	*group = "";
	if (p->select == NULL) {
		strbuf_printf(&q->sql, "%s.*", s->alias);
		return "";
	}
	ealias = arena_calloc(q->arena, (size_t)p->nselect + 1, sizeof(*ealias));
	strbuf_init(&q->sql, q->arena, 256);
	for (int i = 0; i < p->nselect; i++) {
		const struct embed *e = p->select[i].embed;

		if (p->select[i].kind != SEL_EMBED || (e->hidden && !e->inner) ||
		    embed_inline(p, e))
			continue;
		ealias[i] = sql_alias(q, "_fb_e");
		if (e->hidden)
			put_embed_exists(q, s, e, ealias[i]);
		else
			put_embed_join(q, s, e, ealias[i]);
	}
	joins = q->sql.data;
	q->sql = saved;
	put_items(q, s, p, ealias);
	if (p->aggregated)
		*group = group_by(q, s, p, ealias);
	return joins;
}

const char *
sql_inner_joins(struct sql_query *q, const struct sql_scope *s, const struct plan *p)
{
	struct strbuf saved = q->sql;
	const char *joins;

	strbuf_init(&q->sql, q->arena, 128);
	for (int i = 0; i < p->nselect; i++)
		if (p->select[i].kind == SEL_EMBED && p->select[i].embed->inner)
			put_embed_exists(q, s, p->select[i].embed, sql_alias(q, "_fb_e"));
	joins = q->sql.data;
	q->sql = saved;
	return joins;
}
