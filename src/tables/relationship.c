/*
 * tables/relationship.c - relationships between tables from the foreign
 * keys in the schema cache, chosen the way PostgREST 12 chooses them.
 *
 * Between a parent P and a target T the candidates are:
 *   - P's keys referencing T: many-to-one (one-to-one when the key's
 *     columns are unique in P);
 *   - T's keys referencing P: one-to-many (one-to-one when unique in T);
 *   - many-to-many through any cached table J (neither P nor T) holding a
 *     key to P and another key to T whose columns all belong to J's
 *     primary key.
 * The embed's name is looked up as a table or view first (exact URL name,
 * then plural, as /tables URLs are).  When no table has that name it may
 * be one of P's keys, by constraint name or single column (select=
 * author_id(*), PostgREST's "column as target"), giving that key's
 * many-to-one side, or the constraint name of a key referencing P, giving
 * its one-to-many side.  A name that is a key finds tables only, never
 * views (PostgREST 12 too): a view showing a table's key columns has that
 * key under the same name (schema.c), and author_id(*) should not become
 * ambiguous because a view over users exists.
 *
 * A self-referencing key (P == T) is one key with two directions.  Our
 * rule, PostgREST 12's convention: the table's own name gives the
 * one-to-many side (employees(*): the rows whose key points at this one;
 * a hint, constraint or column, picks among several such keys), and the
 * key's column or constraint name as the target gives the many-to-one
 * side (manager:manager_id(*): the row this one points at).
 *
 * A hint keeps the candidates whose constraint name equals it, whose key
 * columns on either side include it, or (many-to-many) whose junction
 * table has that name, or the junction's key to the target (which tells
 * apart two paths through one junction, as a self-referencing junction
 * items_links(a, b) has).  Exactly one candidate
 * wins; none is 400 PGRST200 and several 300 PGRST201 with each candidate
 * in details, in PostgREST's words.
 */
#include "config.h"

#include <string.h>

#include "tables/relationship.h"

#define REL_MAX_CANDIDATES 64

struct cands {
	struct relationship r[REL_MAX_CANDIDATES];
	int n;
};

static const char *const kind_names[] = {
	[REL_MANY_TO_ONE] = "many-to-one",
	[REL_ONE_TO_MANY] = "one-to-many",
	[REL_ONE_TO_ONE] = "one-to-one",
	[REL_MANY_TO_MANY] = "many-to-many",
};

const char *
rel_kind_name(enum rel_kind kind)
{
	return kind_names[kind];
}

static void
add(struct cands *c, const struct relationship *r)
{
	if (c->n < REL_MAX_CANDIDATES)
		c->r[c->n++] = *r;
}

/* P's key fk -> T, seen from P. */
static void
add_forward(struct cands *c, const struct sc_table *target, const struct sc_fk *fk)
{
	struct relationship r = { .kind = fk->unique ? REL_ONE_TO_ONE : REL_MANY_TO_ONE,
		.target = target,
		.fk = fk,
		.fk_on_parent = true };

	add(c, &r);
}

/* T's key fk -> P, seen from P. */
static void
add_backward(struct cands *c, const struct sc_table *target, const struct sc_fk *fk)
{
	struct relationship r = { .kind = fk->unique ? REL_ONE_TO_ONE : REL_ONE_TO_MANY,
		.target = target,
		.fk = fk,
		.fk_on_parent = false };

	add(c, &r);
}

static bool
in_primary_key(const struct sc_table *t, const struct sc_fk *fk)
{
	for (int k = 0; k < fk->ncolumns; k++)
		if (fk->cols[k] < 0 || fk->cols[k] >= t->ncolumns || !t->columns[fk->cols[k]].pk)
			return false;
	return fk->ncolumns > 0;
}

static void
add_many_to_many(struct cands *c, const struct schema_cache *sc, const struct sc_table *parent,
    const struct sc_table *target)
{
	for (int i = 0; i < sc->ntables; i++) {
		const struct sc_table *j = &sc->tables[i];

		if (j == parent || j == target)
			continue;
		for (int a = 0; a < j->nfks; a++) {
			if (j->fks[a].ref != parent || !in_primary_key(j, &j->fks[a]))
				continue;
			for (int b = 0; b < j->nfks; b++) {
				struct relationship r = { .kind = REL_MANY_TO_MANY,
					.target = target,
					.junction = j,
					.junction_parent = &j->fks[a],
					.junction_target = &j->fks[b] };

				if (b != a && j->fks[b].ref == target &&
				    in_primary_key(j, &j->fks[b]))
					add(c, &r);
			}
		}
	}
}

/* The candidates when name is a table or view. */
static void
by_table(struct cands *c, const struct schema_cache *sc, const struct sc_table *parent,
    const struct sc_table *target)
{
	/* Self-referencing keys: only their one-to-many side (see above). */
	if (parent != target)
		for (int i = 0; i < parent->nfks; i++)
			if (parent->fks[i].ref == target)
				add_forward(c, target, &parent->fks[i]);
	for (int i = 0; i < target->nfks; i++)
		if (target->fks[i].ref == parent)
			add_backward(c, target, &target->fks[i]);
	add_many_to_many(c, sc, parent, target);
}

static bool
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool
is_view(const struct sc_table *t)
{
	return t->kind == 'v' || t->kind == 'm';
}

/* The candidates when name is a key's constraint name or single column. */
static void
by_key(struct cands *c, const struct schema_cache *sc, const struct sc_table *parent,
    const char *name)
{
	for (int i = 0; i < parent->nfks; i++) {
		const struct sc_fk *fk = &parent->fks[i];

		if (fk->ref != NULL && !is_view(fk->ref) &&
		    (same(fk->name, name) || (fk->ncolumns == 1 && same(fk->columns[0], name))))
			add_forward(c, fk->ref, fk);
	}
	for (int i = 0; i < sc->ntables; i++) {
		const struct sc_table *t = &sc->tables[i];

		if (t == parent || is_view(t))
			continue;
		for (int k = 0; k < t->nfks; k++)
			if (t->fks[k].ref == parent && same(t->fks[k].name, name))
				add_backward(c, t, &t->fks[k]);
	}
}

static bool
fk_matches(const struct sc_fk *fk, const char *hint)
{
	if (same(fk->name, hint))
		return true;
	for (int k = 0; k < fk->ncolumns; k++)
		if (same(fk->columns[k], hint) ||
		    (fk->ref_columns != NULL && same(fk->ref_columns[k], hint)))
			return true;
	return false;
}

static bool
hint_matches(const struct relationship *r, const char *hint)
{
	if (r->kind == REL_MANY_TO_MANY)
		return same(r->junction->name, hint) || same(r->junction->url_name, hint) ||
		    same(r->junction_target->name, hint);
	return fk_matches(r->fk, hint);
}

static void
put_cols(struct strbuf *sb, const char *const *cols, int n)
{
	strbuf_putc(sb, '(');
	for (int k = 0; k < n; k++)
		strbuf_printf(sb, "%s%s", k ? ", " : "", cols[k] ? cols[k] : "?");
	strbuf_putc(sb, ')');
}

/* many-to-one using posts_author_id_fkey (posts(author_id) -> users(id)) */
static void
describe(struct strbuf *sb, const struct sc_table *parent, const struct relationship *r)
{
	strbuf_printf(sb, "%s using ", rel_kind_name(r->kind));
	if (r->kind == REL_MANY_TO_MANY) {
		strbuf_printf(sb, "%s (%s", r->junction->url_name, r->junction_parent->name);
		put_cols(sb, r->junction_parent->columns, r->junction_parent->ncolumns);
		strbuf_printf(sb, " and %s", r->junction_target->name);
		put_cols(sb, r->junction_target->columns, r->junction_target->ncolumns);
		strbuf_putc(sb, ')');
		return;
	}
	strbuf_printf(sb, "%s (%s", r->fk->name,
	    r->fk_on_parent ? parent->url_name : r->target->url_name);
	put_cols(sb, r->fk->columns, r->fk->ncolumns);
	strbuf_printf(sb, " -> %s", r->fk->ref->url_name);
	put_cols(sb, r->fk->ref_columns, r->fk->ncolumns);
	strbuf_putc(sb, ')');
}

/* What a hint names r by: its key, or its junction unless another
 * candidate goes through the same junction, then the key to the target. */
static const char *
hint_name(const struct cands *c, const struct relationship *r)
{
	if (r->kind != REL_MANY_TO_MANY)
		return r->fk->name;
	for (int i = 0; i < c->n; i++)
		if (&c->r[i] != r && c->r[i].kind == REL_MANY_TO_MANY &&
		    c->r[i].junction == r->junction)
			return r->junction_target->name;
	return r->junction->url_name;
}

static int
ambiguous(struct arena *a, const struct sc_table *parent, const char *name, const struct cands *c,
    struct query_error *err)
{
	struct strbuf details, hint;

	strbuf_init(&details, a, 256);
	strbuf_init(&hint, a, 256);
	strbuf_printf(&hint, "Try changing '%s' to one of the following: ", name);
	for (int i = 0; i < c->n; i++) {
		const struct relationship *r = &c->r[i];

		if (i > 0) {
			strbuf_puts(&details, "; ");
			strbuf_puts(&hint, ", ");
		}
		describe(&details, parent, r);
		strbuf_printf(&hint, "'%s!%s'", name, hint_name(c, r));
	}
	strbuf_puts(&hint, ". Find the desired relationship in the 'details' key.");
	err->status = 300;
	err->code = "PGRST201";
	err->message = arena_printf(a,
	    "Could not embed because more than one relationship was found for '%s' and '%s'",
	    parent->url_name, name);
	err->details = details.data;
	err->hint = hint.data;
	return -1;
}

#define SIMILAR_MAX 64

/* Levenshtein distance of two short names, or SIMILAR_MAX when either is long. */
static int
distance(const char *x, const char *y)
{
	size_t n = strlen(x), m = strlen(y);
	int row[SIMILAR_MAX + 1];

	if (n >= SIMILAR_MAX || m >= SIMILAR_MAX)
		return SIMILAR_MAX;
	for (size_t j = 0; j <= m; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= m; j++) {
			int up = row[j], best = diag + (x[i - 1] != y[j - 1]);

			best = up + 1 < best ? up + 1 : best;
			best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
			diag = up;
			row[j] = best;
		}
	}
	return row[m];
}

/* The name of a table related to parent closest to name (a typo), or NULL. */
static const char *
similar_table(const struct schema_cache *sc, const struct sc_table *parent, const char *name)
{
	const char *best = NULL;
	int best_d = (int)strlen(name) / 3 > 2 ? (int)strlen(name) / 3 : 2;
	struct cands c;

	for (int i = 0; i < sc->ntables; i++) {
		int d = distance(sc->tables[i].url_name, name);

		if (d > best_d || (d == best_d && best != NULL))
			continue;
		c.n = 0;
		by_table(&c, sc, parent, &sc->tables[i]);
		if (c.n > 0) {
			best = sc->tables[i].url_name;
			best_d = d;
		}
	}
	return best;
}

/* 400 PGRST200 in PostgREST 12's words, with a suggestion for a typo. */
static int
not_found(struct arena *a, const struct schema_cache *sc, const struct sc_table *parent,
    const char *name, const char *hint, const struct sc_table *target, struct query_error *err)
{
	const char *like = target == NULL && sc != NULL ? similar_table(sc, parent, name) : NULL;

	err->status = 400;
	err->code = "PGRST200";
	err->message = arena_printf(a,
	    "Could not find a relationship between '%s' and '%s' in the schema cache",
	    parent->url_name, name);
	err->details = arena_printf(a,
	    "Searched for a foreign key relationship between '%s' and '%s'%s%s%s in the schema "
	    "'%s', but no matches were found.",
	    parent->url_name, name, hint ? " using the hint '" : "", hint ? hint : "",
	    hint ? "'" : "", parent->schema);
	if (like != NULL)
		err->hint = arena_printf(a, "Perhaps you meant '%s' instead of '%s'.", like, name);
	return -1;
}

int
rel_resolve(struct arena *a, const struct schema_cache *sc, const struct sc_table *parent,
    const char *name, const char *hint, bool exact, struct relationship *out,
    struct query_error *err)
{
	struct cands *c = arena_calloc(a, 1, sizeof(*c));
	const struct sc_table *target = sc == NULL ? NULL
	    : exact                                ? schema_find_exact(sc, name)
	                                           : schema_find(sc, name);
	int kept = 0;

	memset(err, 0, sizeof(*err));
	if (target != NULL)
		by_table(c, sc, parent, target);
	else if (sc != NULL)
		by_key(c, sc, parent, name);
	for (int i = 0; i < c->n; i++)
		if (hint == NULL || hint_matches(&c->r[i], hint))
			c->r[kept++] = c->r[i];
	c->n = kept;
	if (c->n == 1) {
		const struct sc_table *bare = c->r[0].target->unprotected       ? c->r[0].target
		    : c->r[0].junction != NULL && c->r[0].junction->unprotected ? c->r[0].junction
		                                                                : NULL;

		/* Single mode: a table its policies do not guard is not read,
		 * embedded or not. */
		if (bare != NULL) {
			err->status = 403;
			err->code = "RLS_REQUIRED";
			err->message = arena_printf(a, "%s is not protected by row-level security",
			    bare->url_name);
			err->hint = schema_rls_hint(a, bare);
			return -1;
		}
		*out = c->r[0];
		return 0;
	}
	if (c->n > 1)
		return ambiguous(a, parent, name, c, err);
	return not_found(a, sc, parent, name, hint, target, err);
}
