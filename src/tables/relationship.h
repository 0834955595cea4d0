/*
 * tables/relationship.h - how an embedded resource reaches its parent:
 * select=posts(...), author:users!posts_author_id_fkey(...) resolved
 * against the foreign keys of the schema cache, as PostgREST 12 does.
 */
#ifndef FLUXBASE_TABLES_RELATIONSHIP_H
#define FLUXBASE_TABLES_RELATIONSHIP_H

#include "arena.h"
#include "schema.h"
#include "tables/query_parse.h"

/*
 * The one relationship between parent and the resource called name
 * (a table or view by URL name or plural, or a foreign key's constraint
 * name or single column), narrowed by hint (a constraint name, a column
 * of the key on either side, or a junction table's name) when not NULL.
 * 0 with *out filled; -1 with *err: 400 PGRST200 when there is none, 300
 * PGRST201 (candidates in details) when there are several.  exact: the
 * table by its exact name only (PostgREST's names, on /rest/v1).
 */
int rel_resolve(struct arena *a, const struct schema_cache *sc, const struct sc_table *parent,
    const char *name, const char *hint, bool exact, struct relationship *out,
    struct query_error *err);

/* "many-to-one", "one-to-many", "one-to-one", "many-to-many". */
const char *rel_kind_name(enum rel_kind kind);

#endif
