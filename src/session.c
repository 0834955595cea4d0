/*
 * session.c - the caller's identity and the request's transaction.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "conf.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "schema.h"
#include "session.h"
#include "session_sql.h"
#include "slothash.h"
#include "sqlstate.h"
#include "token.h"

/* The identity this worker's connection holds, valid while the
 * connection's session epoch is the same. */
static struct {
	const struct db *db;
	unsigned long epoch;
	char *role, *claims, *sub, *email;
} applied;
static time_t identity_warned;

static void identity_forget(void);

/*
 * Verified tokens, per worker: a token seen again skips the signature and
 * JSON work until it expires.  Keyed by SipHash of the whole token (with a
 * key of this process) and confirmed by comparing the token itself.  A
 * revoked session is still refused: that check is in SQL, every time.
 */
#define TOKEN_CACHE_SLOTS 64

struct token_entry {
	char *token;
	long exp;
	char *role, *claims, *user_id, *session_id, *email;
};

static struct token_entry token_cache[TOKEN_CACHE_SLOTS];
static struct slothash token_cache_hash;

static struct token_entry *
token_cache_slot(const char *token)
{
	return &token_cache[slothash_index(&token_cache_hash, token, strlen(token),
	    TOKEN_CACHE_SLOTS)];
}

static void
token_entry_clear(struct token_entry *e)
{
	free(e->token);
	free(e->role);
	free(e->claims);
	free(e->user_id);
	free(e->session_id);
	free(e->email);
	memset(e, 0, sizeof(*e));
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void
session_cache_clear(void)
{
	for (int i = 0; i < TOKEN_CACHE_SLOTS; i++)
		token_entry_clear(&token_cache[i]);
	identity_forget();
}

static int
session_refuse(struct request *r, const char *code, const char *message)
{
	response_error(r, 401, code, "%s", message);
	return -1;
}

/* A token verified before: 1 and the caller on r, 0 when not cached, -1
 * with 401 set when it has expired since. */
static int
token_cache_find(struct request *r, const char *token)
{
	struct token_entry *e = token_cache_slot(token);

	if (e->token == NULL || strcmp(e->token, token) != 0)
		return 0;
	if (time(NULL) > e->exp + TOKEN_SKEW)
		return session_refuse(r, "TOKEN_EXPIRED", "The token has expired");
	r->role = e->role;
	r->claims = e->claims;
	r->user_id = e->user_id;
	r->session_id = e->session_id;
	r->email = e->email;
	r->has_token = true;
	return 1;
}

static void
token_cache_put(const struct request *r, const char *token, long exp)
{
	struct token_entry *e = token_cache_slot(token);

	token_entry_clear(e);
	e->token = strdup(token);
	e->exp = exp;
	e->role = dup_or_null(r->role);
	e->claims = dup_or_null(r->claims);
	e->user_id = dup_or_null(r->user_id);
	e->session_id = dup_or_null(r->session_id);
	e->email = dup_or_null(r->email);
	if (e->token == NULL || e->role == NULL || e->claims == NULL)
		token_entry_clear(e);
}

/* An optional string claim that must be a UUID (SQL casts it): true when
 * absent or acceptable. */
static bool
claim_uuid(struct request *r, struct json_object *claims, const char *name, const char **out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(claims, name, &v))
		return true;
	if (!json_object_is_type(v, json_type_string) ||
	    !token_uuid_is_valid(json_object_get_string(v)))
		return false;
	*out = arena_strdup(r->arena, json_object_get_string(v));
	return true;
}

/* The caller a verified token's claims name, on r: false when they are
 * not acceptable (a role we do not serve, a sub that is not a UUID). */
static bool
session_take_claims(struct request *r, const char *json, long *exp)
{
	struct json_object *claims = json_tokener_parse(json), *v;
	const char *role = NULL;
	bool ok;

	if (claims != NULL && json_object_object_get_ex(claims, "role", &v) &&
	    json_object_is_type(v, json_type_string))
		role = json_object_get_string(v);
	ok = schema_role_index(role) >= 0 && claim_uuid(r, claims, "sub", &r->user_id) &&
	    claim_uuid(r, claims, "session_id", &r->session_id);
	if (ok) {
		if (json_object_object_get_ex(claims, "email", &v) &&
		    json_object_is_type(v, json_type_string))
			r->email = arena_strdup(r->arena, json_object_get_string(v));
		*exp = json_object_object_get_ex(claims, "exp", &v) ? (long)json_object_get_int64(v)
		                                                    : 0;
		r->role = arena_strdup(r->arena, role);
		r->claims = arena_strdup(r->arena, json);
		r->has_token = true;
	} else {
		r->user_id = r->session_id = r->email = NULL;
	}
	json_object_put(claims);
	return ok;
}

int
session_resolve(struct request *r)
{
	const char *auth = request_header(r, "Authorization");
	enum token_status st;
	char *json = NULL;
	long exp = 0;
	int cached;
	bool ok;

	if (r->session_resolved)
		return 0;
	r->session_resolved = true;
	r->role = "anon";
	r->claims = "{\"role\":\"anon\"}";
	r->has_token = false;
	/* On the compatibility prefixes the apikey is the caller when no
	 * Authorization names another (compat.c checked it is a key). */
	if ((auth == NULL || auth[0] == '\0') && r->apikey != NULL)
		auth = arena_printf(r->arena, "Bearer %s", r->apikey);
	if (auth == NULL || auth[0] == '\0')
		return 0;
	if (strncasecmp(auth, "Bearer ", 7) != 0)
		return session_refuse(r, "INVALID_TOKEN",
		    "The Authorization header must be Bearer <token>");
	auth += 7;
	while (*auth == ' ')
		auth++;
	if ((cached = token_cache_find(r, auth)) != 0)
		return cached < 0 ? -1 : 0;
	st = token_verify(&TOKEN_KEY(r->conf), auth, time(NULL), &json);
	if (st == TOKEN_EXPIRED)
		return session_refuse(r, "TOKEN_EXPIRED", "The token has expired");
	if (st != TOKEN_OK)
		return session_refuse(r, "INVALID_TOKEN", "The token is invalid");
	ok = session_take_claims(r, json, &exp);
	free(json);
	if (!ok)
		return session_refuse(r, "INVALID_TOKEN", "The token's claims are not acceptable");
	token_cache_put(r, auth, exp);
	return 0;
}

int
session_admit(struct request *r, enum route_access access)
{
	if (session_resolve(r) < 0)
		return -1;
	switch (access) {
	case ACCESS_ANYONE:
		return 0;
	case ACCESS_USER:
	case ACCESS_USER_SESSION:
		if (!r->has_token)
			return session_refuse(r, "INVALID_TOKEN", "A bearer token is required");
		if (r->user_id == NULL || (access == ACCESS_USER_SESSION && r->session_id == NULL))
			return session_refuse(r, "INVALID_TOKEN",
			    "A user's access token is required");
		return 0;
	case ACCESS_METRICS:
	case ACCESS_SERVICE:
		if (strcmp(r->role, "service_role") == 0 ||
		    (access == ACCESS_METRICS && request_client_in(r, r->conf->metrics_allow)))
			return 0;
		if (!r->has_token)
			return response_error(r, 401, "UNAUTHORIZED",
			           "A service token is required"),
			       -1;
		return response_error(r, 403, "FORBIDDEN", "This needs the service role"), -1;
	}
	return -1;
}

void
session_assume_signed(struct request *r)
{
	r->session_resolved = true;
	r->has_token = false;
	r->role = "service_role";
	r->claims = "{\"role\":\"service_role\"}";
	r->user_id = r->session_id = r->email = NULL;
}

void
session_assume_signed_as(struct request *r, const char *user_id)
{
	session_assume_signed(r);
	r->user_id = user_id;
	r->claims = arena_printf(r->arena, "{\"role\":\"service_role\",\"sub\":\"%s\"}", user_id);
}

int
session_ensure_alive(struct request *r)
{
	if (r->session_id == NULL || r->session_checked)
		return 0;
	/* The opening statement checks the session; nothing else to run. */
	return session_exec(r, "SELECT NULL", 0, NULL, true) != NULL ? 0 : -1;
}

static void
free_result(void *res)
{
	db_result_free(res);
}

struct db_result *
session_exec(struct request *r, const char *sql, int nparams, const char *const *values,
    bool read_only)
{
	return session_exec_as(r, r->role, sql, nparams, values, read_only);
}

static bool
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void
identity_forget(void)
{
	free(applied.role);
	free(applied.claims);
	free(applied.sub);
	free(applied.email);
	memset(&applied, 0, sizeof(applied));
}

static bool
identity_is_applied(const struct db *db, const char *role, const char *claims, const char *sub,
    const char *email)
{
	return applied.db == db && applied.epoch == db_session_epoch(db) && applied.role != NULL &&
	    strcmp(applied.role, role) == 0 && strcmp(applied.claims, claims) == 0 &&
	    same_str(applied.sub, sub) && same_str(applied.email, email);
}

static void
identity_remember(const struct db *db, const char *role, const char *claims, const char *sub,
    const char *email)
{
	identity_forget();
	applied.role = strdup(role);
	applied.claims = strdup(claims);
	applied.sub = dup_or_null(sub);
	applied.email = dup_or_null(email);
	if (applied.role == NULL || applied.claims == NULL || (sub && !applied.sub) ||
	    (email && !applied.email)) {
		identity_forget();
		return;
	}
	applied.db = db;
	applied.epoch = db_session_epoch(db);
}

/*
 * The identity reused was not the session's any more: FB001 from the
 * checks, or, for a folded statement, a privilege refused at its start
 * (PostgreSQL checks privileges before the checks run: a request's SQL
 * that left the session in another role, RESET ROLE included).  Set again
 * and run once more, a refusal then is the caller's own.  (A write runs
 * once more only after an error, which undid all of it.)
 */
static bool
identity_lost(const struct db_result *res, bool folded)
{
	const char *s;

	return db_result_status(res) == DB_ERROR && (s = db_result_sqlstate(res)) != NULL &&
	    (strcmp(s, "FB001") == 0 || (folded && strcmp(s, "42501") == 0));
}

/* The opening statement's parameters (see above): the session's $6 and
 * the timeout's $7, or the timeout's $6 without a session. */
static int
identity_values(struct request *r, const char *role, bool read_only, const char **v)
{
	long ms = r->conf->tables_statement_timeout * 1000;
	int n = 0;

	v[n++] = read_only ? "on" : "off";
	v[n++] = role;
	v[n++] = r->claims ? r->claims : "{}";
	v[n++] = r->user_id;
	v[n++] = r->email;
	if (r->session_id != NULL)
		v[n++] = r->session_id;
	v[n++] = arena_printf(r->arena, "%ld", ms);
	return n;
}

/*
 * A reused identity's request as one statement (session_sql.c): folded,
 * the handler's statement with the checks in it, its parameters then the
 * opening statement's but read-only, with the timeout as PostgreSQL shows
 * it.
 */
static struct db_result *
identity_exec_folded(struct request *r, const char *folded, int nparams, const char *const *values,
    const char *const *v, int nv)
{
	const char **all = arena_alloc(r->arena, sizeof(*all) * (size_t)(nparams + nv));

	if (nparams > 0) /* (values may be NULL then) */
		memcpy(all, values, sizeof(*all) * (size_t)nparams);
	memcpy(all + nparams, v + 1, sizeof(*all) * (size_t)(nv - 1));
	all[nparams + nv - 2] =
	    session_timeout_text(r->arena, r->conf->tables_statement_timeout * 1000);
	return db_exec_request(r->db, NULL, NULL, folded, nparams + nv - 1, all, DB_COMMIT);
}

/* The handler's statement behind the opening statement: the identity is
 * reused when the connection holds it (a read then as one statement), set
 * otherwise.  Rolled back (end), an identity set is undone with the rest:
 * the next request sets it. */
static struct db_result *
identity_exec(struct request *r, const char *role, const char *sql, int nparams,
    const char *const *values, bool read_only, enum db_end end)
{
	const char *v[7];
	const char *claims;
	bool with_session = r->session_id != NULL, single = CONF_SINGLE(r->conf);
	struct db_result *res;
	int nv = identity_values(r, role, read_only, v);

	claims = v[2];
	if (identity_is_applied(r->db, role, claims, r->user_id, r->email)) {
		/* Rolled back (end), a request keeps its statements apart. */
		const char *folded = end != DB_COMMIT
		    ? NULL
		    : session_fold_sql(r->arena, single, with_session, read_only, sql, nparams);

		if (folded != NULL)
			res = identity_exec_folded(r, folded, nparams, values, v, nv);
		else
			res = db_exec_request(r->db,
			    session_identity_stmt(single,
			        with_session ? IDENTITY_REUSE_S : IDENTITY_REUSE_NS),
			    v, sql, nparams, values, end);
		if (res != NULL && db_result_status(res) == DB_OK)
			r->session_checked = with_session;
		if (res == NULL || !identity_lost(res, folded != NULL))
			return res;
		/* At most once a minute: behind a pooler it could be every request.
		 * (A folded statement's 42501 may as well be the caller's own.) */
		if (strcmp(db_result_sqlstate(res), "FB001") == 0 &&
		    time(NULL) >= identity_warned + 60) {
			identity_warned = time(NULL);
			log_warn(
			    "db: the connection's request identity was changed (by a request's"
			    " SQL, or a pooler in transaction mode between us and PostgreSQL?);"
			    " setting it again");
		}
		db_result_free(res);
		identity_forget();
		db_session_reset(r->db);
	}
	res = db_exec_request(r->db,
	    session_identity_stmt(single, with_session ? IDENTITY_SET_S : IDENTITY_SET_NS), v, sql,
	    nparams, values, end);
	if (res != NULL && db_result_status(res) == DB_OK) {
		r->session_checked = with_session;
		if (end == DB_COMMIT)
			identity_remember(r->db, role, claims, r->user_id, r->email);
		else
			identity_forget();
	} else {
		/* Rolled back: the session holds whatever it held before, maybe
		 * something a request's SQL left.  The next one starts afresh. */
		identity_forget();
		db_session_reset(r->db);
	}
	return res;
}

/* The one place a database error becomes an answer: PostgreSQL's words
 * and SQLSTATE (sqlstate.c decides the status), or the endpoint's own for
 * a conflict when it named one. */
/* RAISE SQLSTATE 'PTxyz' in SQL: PostgREST's convention for an HTTP status. */
static bool
raised_status(const char *state)
{
	return strncmp(state, "PT", 2) == 0 && state[2] >= '1' && state[2] <= '5' &&
	    isdigit((unsigned char)state[3]) && isdigit((unsigned char)state[4]) &&
	    state[5] == '\0';
}

/* The database cannot serve at all (connection, shutdown, resources), as
 * opposed to an error of this request's statement. */
static bool
unavailable(const char *state)
{
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0 ||
	    strncmp(state, "53", 2) == 0;
}

/* The one place a database error becomes an answer: PostgreSQL's words
 * and SQLSTATE (sqlstate.c decides the status), or the endpoint's own for
 * a conflict when it named one.  A status raised with PTxyz keeps the
 * function's message, details and hint, whatever xyz is. */
static int
session_error_answer(struct request *r, const struct db_result *res,
    const struct conflict *conflict)
{
	const char *state = db_result_sqlstate(res);
	const char *msg = db_result_message(res);
	const char *code;
	int status;

	if (db_result_status(res) == DB_UNAVAILABLE || state == NULL)
		return response_db_unavailable(r);
	/* Permission denied is 401 for the anonymous role, a token of it (an
	 * anon key) included, as PostgREST answers: only a caller who is
	 * someone is forbidden. */
	status = sqlstate_status(state, r->has_token && strcmp(r->role, "anon") != 0);
	if (!raised_status(state) && status == 503 && unavailable(state))
		return response_db_unavailable(r);
	if (strcmp(state, "PT401") == 0)
		return response_error(r, 401, "INVALID_TOKEN", "The session has ended");
	if (!raised_status(state) && (status == 500 || status == 503)) {
		/* Our bug or the server's trouble: the detail goes to the log. */
		log_err("db: %s %s (request %s)", state, msg, r->request_id);
		return response_internal(r);
	}
	if (status == 409 && conflict != NULL)
		return response_error(r, 409, conflict->code, "%s", conflict->message);
	code = arena_strdup(r->arena, state);
	if (strcmp(state, "PT116") == 0) {
		code = "PGRST116";
		msg = "JSON object requested, multiple (or no) rows returned";
	} else if (strcmp(state, "PT124") == 0) {
		code = "PGRST124";
		msg = "Query result exceeds max-affected preference constraint";
	}
	return response_error_detail(r, status, code, msg, db_result_detail(res),
	    db_result_hint(res));
}

static struct db_result *
session_run(struct request *r, const char *role, const char *sql, int nparams,
    const char *const *values, bool read_only, enum db_end end, const struct conflict *conflict)
{
	struct db_result *res = identity_exec(r, role, sql, nparams, values, read_only, end);

	if (res == NULL) {
		response_internal(r);
		return NULL;
	}
	arena_on_reset(r->arena, free_result, res);
	if (db_result_status(res) != DB_OK) {
		session_error_answer(r, res, conflict);
		return NULL;
	}
	return res;
}

struct db_result *
session_exec_as(struct request *r, const char *role, const char *sql, int nparams,
    const char *const *values, bool read_only)
{
	return session_run(r, role, sql, nparams, values, read_only, DB_COMMIT, NULL);
}

struct db_result *
session_exec_tx(struct request *r, const char *sql, int nparams, const char *const *values,
    bool read_only, bool rollback)
{
	return session_run(r, r->role, sql, nparams, values, read_only,
	    rollback ? DB_ROLLBACK : DB_COMMIT, NULL);
}

struct db_result *
session_write(struct request *r, const char *role, const char *sql, int nparams,
    const char *const *values, const struct conflict *conflict)
{
	return session_run(r, role ? role : r->role, sql, nparams, values, false, DB_COMMIT,
	    conflict);
}
