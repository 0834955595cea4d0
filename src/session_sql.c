/*
 * session_sql.c - the SQL that carries a request's identity and checks
 * (session.c decides which runs when).
 *
 * The request identity (role, claims, and the claims policies read most
 * as settings of their own: sub, role, email, and the session's id) is
 * set for the connection's session, not the
 * transaction, and is set again only when it changes: switching roles in
 * every transaction was the largest share of PostgreSQL's time on a small
 * request.  When the worker reuses it, the checks first make sure that the
 * session still holds exactly that identity: anything that changed it (a
 * request's own SQL, a pooler that swapped the server connection) raises
 * FB001 before the handler's statement runs, and the worker sets the
 * identity again.  On a pooled connection (db.c) the identity is set for
 * the transaction only, by the pooled variants of the opening statements,
 * and never reused: a pooler hands the server connection to others, and
 * nothing of our caller may stay on it.
 *
 * Setting the identity needs a statement of its own, the opening
 * statement, before the handler's: PostgreSQL checks privileges and plans
 * row-level security for the role current when a statement starts.  It
 * also sets the statement timeout ([tables] statement_timeout in
 * milliseconds, "0" for none) for the session (PostgreSQL arms the timer
 * when a statement starts, so it bounds the handler's statement right
 * behind; a runaway one is cancelled with 57014, answered 504), and, for
 * every transaction, the read-only flag (going read-only is allowed at
 * any point of a transaction) and, for a token with a session, the check
 * that the session is still alive: every time, whatever is reused.
 * Without a session (anonymous, or a service token) there is nothing to
 * check: statements of their own, since one statement for both would be
 * planned anew for every anonymous request (its plan for a NULL session is
 * cheaper than the generic one, so PostgreSQL never settles on the generic
 * plan).
 *
 * A request whose identity is reused needs nothing that must come before
 * its start, so the checks ride inside its statement (session_fold_sql):
 * the identity check (the statement timeout included, which a request's
 * SQL could have changed for the session), read-only for a read, the
 * session check, as a one-time filter: an InitPlan that PostgreSQL runs
 * before anything under it (a filter holding a sub-plan is never pushed
 * down).  A read, or a write that is a SELECT (a function's call), becomes
 * a sub-query under that filter.  A write's WITH query cannot (PostgreSQL
 * refuses a data-modifying WITH in a sub-query): the filter goes on its
 * last SELECT, over the rows written, which are written only as that
 * SELECT pulls them, so after the checks; an insert answered by its own
 * RETURNING gets it on the SELECT that makes its row.  A check that fails
 * raises, and the error undoes the statement whole.  One statement: one
 * parse, plan and executor start-up instead of two (for a one-row insert,
 * pgbench: 123 against 145 us of PostgreSQL's time; bench/README.md).
 *
 * Opening statement parameters: $1 read-only, $2 role, $3 claims, $4 sub,
 * $5 email, then $6 session and $7 the timeout, or (no session) $6 the
 * timeout.  A folded statement has the handler's parameters, then the same
 * without read-only and with the timeout as PostgreSQL shows it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "session_sql.h"

#define SESSION_CHECK(s) \
	"CASE WHEN EXISTS (SELECT 1 FROM auth.sessions s" \
	"  WHERE s.id = $" s "::uuid AND s.revoked_at IS NULL) THEN true" \
	"  ELSE fluxbase.session_ended() END"
/* Settings for the session (L "false") or, behind a pooler, for the
 * transaction only (L "true"). */
#define TX_SETTINGS(timeout, L) \
	" set_config('transaction_read_only', $1, true)," \
	" set_config('statement_timeout', $" timeout ", " L ")"
#define IDENTITY_CLAIMS(L) \
	" set_config('request.jwt.claims', $3, " L ")," \
	" set_config('request.jwt.claim.sub', coalesce($4, ''), " L ")," \
	" set_config('request.jwt.claim.role', $2, " L ")," \
	" set_config('request.jwt.claim.email', coalesce($5, ''), " L "),"
/* The session's id as a setting of its own, s ($6, or '' without a
 * session): single mode's policy on auth.sessions compares it with the
 * row's id (migration 0023), where parsing the claims would cost a jsonb
 * parse for every session check. */
#define SESSION_ID_SET(s, L) " set_config('request.jwt.claim.session_id', " s ", " L "),"
#define IDENTITY_SET(L) "SELECT set_config('role', $2, " L ")," IDENTITY_CLAIMS(L)
#define IDENTITY_CLAIMS_HELD(s) \
	"  current_setting('request.jwt.claims', true) = $3" \
	"  AND current_setting('request.jwt.claim.sub', true) = coalesce($4, '')" \
	"  AND current_setting('request.jwt.claim.role', true) = $2" \
	"  AND current_setting('request.jwt.claim.email', true) = coalesce($5, '')" \
	"  AND current_setting('request.jwt.claim.session_id', true) = " s \
	"  THEN true ELSE fluxbase.identity_lost() END,"
#define IDENTITY_REUSE(s) "SELECT CASE WHEN current_user = $2::name AND" IDENTITY_CLAIMS_HELD(s)

/*
 * Single mode ([database] mode = single): no role to switch to, every
 * request runs as the one login; the role is a claim (auth.role() reads
 * it), and the policies decide (migration 0022).
 */
#define IDENTITY_SET_SINGLE(L) "SELECT" IDENTITY_CLAIMS(L)
#define IDENTITY_REUSE_SINGLE(s) "SELECT CASE WHEN" IDENTITY_CLAIMS_HELD(s)

/* With a session, its id ($6, text here and a uuid in the check), or ''. */
#define S "$6::text"
#define NS "''"
#define SESSION "false"
#define LOCAL "true"

/* An opening statement that sets the identity (set: IDENTITY_SET(L) or
 * IDENTITY_SET_SINGLE(L)), with a session ($6, the timeout $7) or without
 * (the timeout $6), its settings for the session or the transaction (L). */
#define SET_WITH_SESSION(set, L) \
	set SESSION_ID_SET(S, L) TX_SETTINGS("7", L) ", " SESSION_CHECK("6")
#define SET_WITHOUT_SESSION(set, L) set SESSION_ID_SET(NS, L) TX_SETTINGS("6", L)

/* Behind a pooler: the identity for the transaction only, by mode, then
 * with a session or without (the pooled variants of the set kinds). */
static const struct db_stmt identity_local_stmts[2][2] = {
	{
	    { "fb_identity_l", SET_WITH_SESSION(IDENTITY_SET(LOCAL), LOCAL), 7, NULL },
	    { "fb_identity_ns_l", SET_WITHOUT_SESSION(IDENTITY_SET(LOCAL), LOCAL), 6, NULL },
	},
	{
	    { "fb_identity_1_l", SET_WITH_SESSION(IDENTITY_SET_SINGLE(LOCAL), LOCAL), 7, NULL },
	    { "fb_identity_ns_1_l", SET_WITHOUT_SESSION(IDENTITY_SET_SINGLE(LOCAL), LOCAL), 6,
	        NULL },
	},
};

/* By mode (roles, single), then by kind (session_sql.h).  A pooled
 * connection never reuses an identity (db_session_epoch), so only the set
 * kinds need a pooled variant. */
static const struct db_stmt identity_stmts[2][4] = {
	{
	    { "fb_identity", SET_WITH_SESSION(IDENTITY_SET(SESSION), SESSION), 7,
	        &identity_local_stmts[0][0] },
	    { "fb_identity_ns", SET_WITHOUT_SESSION(IDENTITY_SET(SESSION), SESSION), 6,
	        &identity_local_stmts[0][1] },
	    { "fb_reuse", IDENTITY_REUSE(S) TX_SETTINGS("7", SESSION) ", " SESSION_CHECK("6"), 7,
	        NULL },
	    { "fb_reuse_ns", IDENTITY_REUSE(NS) TX_SETTINGS("6", SESSION), 6, NULL },
	},
	{
	    { "fb_identity_1", SET_WITH_SESSION(IDENTITY_SET_SINGLE(SESSION), SESSION), 7,
	        &identity_local_stmts[1][0] },
	    { "fb_identity_ns_1", SET_WITHOUT_SESSION(IDENTITY_SET_SINGLE(SESSION), SESSION), 6,
	        &identity_local_stmts[1][1] },
	    { "fb_reuse_1",
	        IDENTITY_REUSE_SINGLE(S) TX_SETTINGS("7", SESSION) ", " SESSION_CHECK("6"), 7,
	        NULL },
	    { "fb_reuse_ns_1", IDENTITY_REUSE_SINGLE(NS) TX_SETTINGS("6", SESSION), 6, NULL },
	},
};

const struct db_stmt *
session_identity_stmt(bool single, enum identity_kind kind)
{
	return &identity_stmts[single ? 1 : 0][kind];
}

/*
 * The checks of a reused identity as one expression, numbered after the
 * handler's nparams parameters; read-only for a read.  Built once per
 * shape for the life of the worker (a handful: the mode is fixed, the
 * handlers' parameter counts few) and kept, not printed per request.
 */
#define GUARD_MAX_PARAMS 64

static const char *
fold_guard(bool single, bool with_session, bool read_only, int nparams)
{
	static char *made[2][2][2][GUARD_MAX_PARAMS];
	char **slot = &made[single][with_session][read_only][nparams];
	int role = nparams + 1, claims = nparams + 2, sub = nparams + 3, email = nparams + 4;
	int session = nparams + 5, timeout = nparams + (with_session ? 6 : 5);
	char who[48] = "", check[160] = "", sid[32] = "''";

	if (*slot != NULL)
		return *slot;
	if (!single)
		snprintf(who, sizeof(who), "current_user = $%d::name AND", role);
	if (with_session) {
		snprintf(sid, sizeof(sid), "$%d::text", session);
		snprintf(check, sizeof(check),
		    " AND CASE WHEN EXISTS (SELECT 1 FROM auth.sessions s"
		    " WHERE s.id = $%d::uuid AND s.revoked_at IS NULL) THEN true"
		    " ELSE fluxbase.session_ended() END",
		    session);
	}
	if (asprintf(slot,
	        "(SELECT CASE WHEN %s"
	        " current_setting('request.jwt.claims', true) = $%d"
	        " AND current_setting('request.jwt.claim.sub', true) = coalesce($%d, '')"
	        " AND current_setting('request.jwt.claim.role', true) = $%d"
	        " AND current_setting('request.jwt.claim.email', true) = coalesce($%d, '')"
	        " AND current_setting('request.jwt.claim.session_id', true) = %s"
	        " AND current_setting('statement_timeout') = $%d"
	        " THEN %s ELSE fluxbase.identity_lost() END%s)",
	        who, claims, sub, role, email, sid, timeout,
	        read_only ? "set_config('transaction_read_only', 'on', true) = 'on'" : "true",
	        check) < 0)
		*slot = NULL;
	return *slot;
}

/* head, the first n bytes of sql, mid, guard and the rest of sql end to
 * end, in one piece of the arena. */
static const char *
fold_join(struct arena *a, const char *head, const char *sql, size_t n, const char *mid,
    const char *guard)
{
	struct strbuf sb;
	size_t len = strlen(sql);

	strbuf_init(&sb, a, strlen(head) + len + strlen(mid) + strlen(guard) + 1);
	strbuf_puts(&sb, head);
	strbuf_append(&sb, sql, n);
	strbuf_puts(&sb, mid);
	strbuf_puts(&sb, guard);
	strbuf_puts(&sb, sql + n);
	return sb.data;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The last occurrence of needle in s, or NULL. */
static const char *
last_of(const char *s, const char *needle)
{
	const char *at = NULL;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		at = p;
	return at;
}

const char *
session_fold_sql(struct arena *a, bool single, bool with_session, bool read_only, const char *sql,
    int nparams)
{
	const char *guard, *ret;

	if (nparams < 0 || nparams >= GUARD_MAX_PARAMS)
		return NULL;
	/* A SELECT (a read's WITH too) as a sub-query under the guard. */
	if (starts(sql, "SELECT ") || (read_only && starts(sql, "WITH "))) {
		if ((guard = fold_guard(single, with_session, read_only, nparams)) == NULL)
			return NULL;
		return fold_join(a, "SELECT * FROM (", sql, strlen(sql), ") _fb_main WHERE ",
		    guard);
	}
	/* A write's WITH cannot be a sub-query: the guard filters its last
	 * SELECT, which reads the rows written (put_result: "FROM _fb_src"),
	 * and so runs before them. */
	if (!read_only && starts(sql, "WITH ") && ends(sql, " FROM _fb_src")) {
		if ((guard = fold_guard(single, with_session, false, nparams)) == NULL)
			return NULL;
		return fold_join(a, "", sql, strlen(sql), " WHERE ", guard);
	}
	/* An INSERT answered by its own RETURNING (the last one: nothing of
	 * the client's comes after it): the guard is the WHERE of the SELECT
	 * that makes the rows, a one-time filter run before the first. */
	if (!read_only && starts(sql, "INSERT ") && (ret = last_of(sql, SESSION_FOLD_RETURNING)) &&
	    strstr(ret + 1, " RETURNING ") == NULL) {
		if ((guard = fold_guard(single, with_session, false, nparams)) == NULL)
			return NULL;
		return fold_join(a, "", sql, (size_t)(ret - sql), " WHERE ", guard);
	}
	return NULL;
}

/* As PostgreSQL shows a time setting in milliseconds: the largest unit
 * that divides it. */
const char *
session_timeout_text(struct arena *a, long ms)
{
	static const struct {
		const char *unit;
		long ms;
	} units[] = { { "d", 86400000 }, { "h", 3600000 }, { "min", 60000 }, { "s", 1000 } };

	if (ms == 0)
		return "0";
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].ms == 0)
			return arena_printf(a, "%ld%s", ms / units[i].ms, units[i].unit);
	return arena_printf(a, "%ldms", ms);
}
