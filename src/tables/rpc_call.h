/*
 * tables/rpc_call.h - choosing the overload a call names and writing its
 * SQL (rpc_call.c), apart from the request so they can be fuzzed.
 */
#ifndef FLUXBASE_TABLES_RPC_CALL_H
#define FLUXBASE_TABLES_RPC_CALL_H

#include <stdbool.h>

#include "arena.h"
#include "http.h"
#include "tables/functions.h"
#include "tables/query_sql.h"

struct rpc_call {
	const struct fn_cache *fc;
	const char *name; /* the URL name asked for */
	int first, count; /* its overloads in fc->fns */
	const struct sc_function *fn; /* the one chosen */
	const char **keys; /* the argument names given */
	int nkeys;
	/* The arguments as one JSON object, or (positional) the whole body
	 * as the one json/jsonb argument; NULL: none. */
	const char *args_json;
	bool positional;
	bool single; /* Prefer: params=single-object */
	bool not_object; /* a POST body that is not an object: only the whole of it */
	bool post;
	struct query_param *rest; /* GET: the parameters that are not arguments */
	size_t nrest;
};

/* The index of f's argument called name, or -1. */
int rpc_arg_index(const struct sc_function *f, const char *name);
/* The overloads of c->fc->fns[first..first+count) the keys call (found
 * has room for count); how many. */
int rpc_candidates(const struct rpc_call *c, const struct sc_function **found);
/* c calls f from now on. */
void rpc_settle(struct rpc_call *c, const struct sc_function *f);
/*
 * The call, its arguments read from one parameter added to q when there
 * are any: *record is the FROM item that types them (json_to_record), or
 * NULL when there is none.
 */
const char *rpc_call_sql(struct arena *a, const struct rpc_call *c, struct sql_query *q,
    const char **record);

#endif
