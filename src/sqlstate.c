/*
 * sqlstate.c - SQLSTATE to HTTP status (see the header).
 */
#include "config.h"

#include <string.h>

#include "sqlstate.h"

struct sqlstate_status {
	const char *state; /* five characters, or a two-character class */
	int status;
};

static const struct sqlstate_status exact[] = {
	{ "23503", 409 }, /* foreign key violation */
	{ "23505", 409 }, /* unique violation */
	{ "25006", 405 }, /* read-only transaction: a read that writes */
	{ "42P01", 404 }, /* undefined table */
	{ "42P17", 500 }, /* infinite recursion (a policy's, the operator's) */
	{ "53300", 503 }, /* too many connections */
	{ "53400", 500 }, /* configuration limit exceeded */
	{ "57014", 504 }, /* query canceled: [tables] statement_timeout */
	{ "57P01", 503 }, /* admin shutdown */
	{ "57P02", 503 }, /* crash shutdown */
	{ "57P03", 503 }, /* cannot connect now */
	{ "P0001", 400 }, /* RAISE EXCEPTION in the application's SQL */
	{ "PT401", 401 }, /* the token's session has ended */
	{ "PT116", 406 }, /* singular object asked for, not one row */
	{ "PT124", 400 }, /* Prefer: max-affected exceeded with handling=strict */
};

static const struct sqlstate_status classes[] = {
	{ "08", 503 }, /* connection exception */
	{ "0L", 403 }, /* invalid grantor */
	{ "0P", 403 }, /* invalid role specification */
	{ "21", 400 }, /* cardinality violation */
	{ "22", 400 }, /* data exception: a value that does not fit */
	{ "23", 400 }, /* integrity constraint violation */
	{ "28", 403 }, /* invalid authorization */
	{ "42", 400 }, /* syntax error or access rule violation */
	{ "53", 503 }, /* insufficient resources */
};

int
sqlstate_status(const char *state, bool has_token)
{
	if (state == NULL || strlen(state) != 5)
		return 500;
	if (strcmp(state, "42501") == 0)
		return has_token ? 403 : 401;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(state, exact[i].state) == 0)
			return exact[i].status;
	/* RAISE SQLSTATE 'PTxyz' in a function: HTTP status xyz, as PostgREST. */
	if (state[0] == 'P' && state[1] == 'T' && state[2] >= '1' && state[2] <= '5' &&
	    state[3] >= '0' && state[3] <= '9' && state[4] >= '0' && state[4] <= '9')
		return (state[2] - '0') * 100 + (state[3] - '0') * 10 + (state[4] - '0');
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strncmp(state, classes[i].state, 2) == 0)
			return classes[i].status;
	return 500;
}
