/*
 * tables/parser.h - the parser state shared by query_parse.c (filters,
 * order, limit, the routing of embedded resources' parameters) and
 * select_parse.c (the select grammar and the lexical pieces both use:
 * lists split at top-level commas, quoted names, column references with
 * JSON paths and casts).
 *
 * p->t is the table in scope: the request's table, or an embedded
 * resource's target while its select or parameters are read.  An error
 * is a message (PGRST100, 400) unless parser_fail_with set another code.
 */
#ifndef FLUXBASE_TABLES_PARSER_H
#define FLUXBASE_TABLES_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "schema.h"
#include "tables/query_parse.h"

/* Select items (embeds included) over a whole request. */
#define QUERY_MAX_SELECT 1000
/* Steps of one JSON path. */
#define QUERY_MAX_PATH 32

struct parser {
	struct arena *a;
	const struct sc_table *t; /* the table in scope */
	const struct parse_opts *o;
	size_t nparams; /* a plan's filters array holds nparams + 1 */
	int nfilters;
	int nselect; /* select items read so far */
	const char *err; /* the message */
	struct query_error e; /* code, status, details, hint when not PGRST100 */
};

int parser_fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error with its own status and code (PGRST108, PGRST200, ...). */
int parser_fail_with(struct parser *p, const struct query_error *e);
/* Splits s at commas outside quotes, parentheses and braces: the count or -1. */
int parser_split(struct parser *p, const char *s, const char ***out);
/* "a\"b" -> a"b; anything else unchanged. */
const char *parser_unquote(struct parser *p, const char *s);
const char *parser_trim(struct parser *p, const char *s);
/* The index of a column of the scope's table, or -1 naming it in the message. */
int parser_column(struct parser *p, const char *name, size_t len, const char *context);
/*
 * A column reference at s: name or "quoted name", then ->key, ->>key,
 * ->0 steps, then ::type when allow_cast.  Stops at a '.' outside quotes
 * or at the end; *end (when not NULL) is where it stopped.  -1 names the
 * offending piece (in context).
 */
int parser_colref(struct parser *p, const char *s, bool allow_cast, const char *context,
    struct colref *out, const char **end);
/* select=... for the scope's table into plan (embeds resolved, their
 * sub plans made); depth counts the embedding levels above. */
int parser_select(struct parser *p, const char *value, struct plan *plan, int depth);
/* The embed of plan's select named name (its alias, else its name), or NULL. */
struct embed *parser_find_embed(const struct plan *plan, const char *name, size_t len);

#endif
