/*
 * sqlstate.h - the HTTP status of a PostgreSQL error, by SQLSTATE.
 *
 * One table, PostgREST's: exact codes first, then classes (the first two
 * characters).  Everything a client's request can cause (bad values,
 * constraints, unknown names, malformed text such as a tsquery, a conflict
 * target without a unique index) is a 4xx; what is left is 500 and the
 * detail goes to the log only.
 */
#ifndef FLUXBASE_SQLSTATE_H
#define FLUXBASE_SQLSTATE_H

#include <stdbool.h>

/* 42501 (insufficient privilege) is 401 without a token, 403 with one. */
int sqlstate_status(const char *state, bool has_token);

#endif
