/*
 * auth/links.c - links and codes: asking for one (magic link, recovery,
 * resend), following or typing one (verify, for every type), and the
 * service role's invitations and generated links.
 *
 * What a request changes is one call of a function of migration 0016 in
 * the request's one transaction.  An address is never told apart from
 * another by the answer: known or unknown, throttled or not, recover and
 * resend say the same, and an address that gets no mail has the same mail
 * rendered and its delivery rehearsed (auth/linkmail.c).  Links and codes
 * are counted per client address and per target address.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/body.h"
#include "auth/fields.h"
#include "auth/gotrue.h"
#include "auth/linkmail.h"
#include "auth/reply.h"
#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "session.h"

static const char sent_text[] = "If this address can sign in, a link is on its way";

/* A redirect_to, when given, is allow-listed: 0, or -1 with 400 set. */
static int
links_redirect_check(struct request *r, const char *redirect)
{
	if (redirect == NULL || auth_redirect_allowed(r->conf->redirect_allow_list, redirect))
		return 0;
	return response_error(r, 400, "VALIDATION", "redirect_to is not an allowed URL");
}

/* How a request for a link answers when the address is throttled. */
enum throttled_answer { THROTTLED_429, THROTTLED_SILENT };

/*
 * The link of type for email, mailed when the database says so and
 * rehearsed otherwise.  0 (the answer not yet set), or -1 with it set.
 */
static int
links_request(struct request *r, const char *type, const char *email, const char *redirect,
    enum throttled_answer throttled, bool allow_new)
{
	char ttl[16], interval[16];
	struct db_result *res;
	const char *outcome;
	struct link l;

	link_new(r, &l);
	snprintf(ttl, sizeof(ttl), "%d", r->conf->magiclink_ttl);
	snprintf(interval, sizeof(interval), "%d", r->conf->magiclink_interval);
	{
		const char *values[] = { type, email, l.token.hash, l.code_hash, ttl, redirect,
			interval, allow_new && r->conf->signup_enabled ? "true" : "false" };

		res = auth_exec(r,
		    "SELECT outcome, retry_after, mail_to FROM auth.link_request($1, $2,"
		    " $3::bytea, $4::bytea, $5::integer, $6, $7::integer, $8::boolean)",
		    8, values, false);
	}
	if (res == NULL) {
		link_wipe(&l);
		return -1;
	}
	outcome = db_result_value(res, 0, 0);
	if (strcmp(outcome, "sent") == 0)
		linkmail_send(r, type, db_result_value(res, 0, 2), &l, email, NULL);
	else
		linkmail_send(r, type, NULL, &l, email, NULL);
	link_wipe(&l);
	if (strcmp(outcome, "throttled") == 0 && throttled == THROTTLED_429) {
		response_header(r, "Retry-After",
		    arena_strdup(r->arena, db_result_value(res, 0, 1)));
		return response_error(r, 429, "RATE_LIMITED",
		    "A link was sent to this address a moment ago; try again later");
	}
	return 0;
}

/*
 * A link asked for by address ({email, redirect_to?}): the client's rate
 * limit, the body, the target address's rate limit, then the link of
 * type, mailed or not; the answer is message either way.  A magic link
 * makes an account at its first use when allow_new (and sign-ups are on).
 */
static int
links_by_address(struct request *r, const char *action, const char *type,
    enum throttled_answer throttled, const char *message, bool allow_new)
{
	static const char *const allowed[] = { "email", "redirect_to", NULL };
	struct json_object *o;
	const char *email, *redirect;
	char per_address[32];

	if (auth_rate_limited(r, action, NULL, r->conf->rate_limit_magiclink) < 0)
		return -1;
	if ((o = auth_body_read(r, allowed, NULL)) == NULL ||
	    auth_body_email(r, o, &email, true) < 0 ||
	    auth_body_string(r, o, "redirect_to", &redirect, NULL) < 0 ||
	    links_redirect_check(r, redirect) < 0 || link_public_url_check(r) < 0)
		return -1;
	snprintf(per_address, sizeof(per_address), "%s@", action);
	if (auth_rate_limited(r, per_address, email, r->conf->rate_limit_magiclink) < 0 ||
	    links_request(r, type, email, redirect, throttled, allow_new) < 0)
		return -1;
	return auth_reply_message(r, message);
}

int
auth_magiclink_send(struct request *r, bool create_user)
{
	return links_by_address(r, "magiclink", "magiclink", THROTTLED_429, sent_text, create_user);
}

int
auth_magiclink(struct request *r)
{
	return auth_magiclink_send(r, true);
}

int
auth_recover(struct request *r)
{
	return links_by_address(r, "recover", "recovery", THROTTLED_SILENT,
	    "If this address has an account, a link is on its way", false);
}

int
auth_resend(struct request *r)
{
	static const char *const allowed[] = { "type", "email", "redirect_to", NULL };
	struct json_object *o;
	const char *type, *email, *redirect;

	if (auth_rate_limited(r, "resend", NULL, r->conf->rate_limit_magiclink) < 0)
		return -1;
	if ((o = auth_body_read(r, allowed, NULL)) == NULL ||
	    auth_body_string(r, o, "type", &type, NULL) < 0 ||
	    auth_body_email(r, o, &email, true) < 0 ||
	    auth_body_string(r, o, "redirect_to", &redirect, NULL) < 0 ||
	    links_redirect_check(r, redirect) < 0 || link_public_url_check(r) < 0)
		return -1;
	if (type == NULL || (strcmp(type, "signup") != 0 && strcmp(type, "email_change") != 0))
		return response_error(r, 400, "VALIDATION", "type must be signup or email_change");
	if (auth_rate_limited(r, "resend@", email, r->conf->rate_limit_magiclink) < 0 ||
	    links_request(r, type, email, redirect, THROTTLED_SILENT, false) < 0)
		return -1;
	return auth_reply_message(r, "If there is something to confirm, a link is on its way");
}

/* What a verification presents: a link's token, or an address and a code. */
struct presented {
	const char *type, *token, *email, *code, *redirect;
	bool consume;
};

/* A link or code refused (GoTrue: otp_expired). */
static int
links_invalid(struct request *r)
{
	return response_error(r, 401,
	    r->dialect == DIALECT_GOTRUE ? "OTP_EXPIRED" : "INVALID_TOKEN",
	    "The link or code is invalid or has expired");
}

static bool
code_shape_ok(struct request *r, const char *code)
{
	size_t n = code ? strlen(code) : 0;

	return n == (size_t)r->conf->otp_length && strspn(code, "0123456789") == n;
}

/* The answer to a verification the database accepted. */
static int
verify_answer(struct request *r, struct db_result *res, const struct presented *p,
    const char *refresh)
{
	const char *outcome = db_result_value(res, 0, 0);
	const char *redirect = p->redirect;

	if (strcmp(outcome, "valid") == 0) {
		r->resp.status = 200;
		response_header(r, "Cache-Control", "no-store");
		return 0;
	}
	if (strcmp(outcome, "changed") == 0)
		return auth_reply_user(r, 200, db_result_value(res, 0, 1));
	if (strcmp(outcome, "signed_in") != 0)
		return links_invalid(r);
	if (redirect == NULL && p->token != NULL && r->method != HTTP_POST &&
	    !db_result_isnull(res, 0, 3))
		redirect = db_result_value(res, 0, 3);
	return auth_reply_session(r, 200, db_result_value(res, 0, 1), db_result_value(res, 0, 2),
	    db_result_value(res, 0, 4), refresh, redirect);
}

static int
verify_run(struct request *r, const struct presented *p)
{
	char hash[REFRESH_TOKEN_HASH_SIZE], code_hash[REFRESH_TOKEN_HASH_SIZE], max[16];
	struct refresh_token rt;
	struct db_result *res;
	int rc;

	if (!link_type_ok(p->type))
		return response_error(r, 400, "VALIDATION",
		    "type must be signup, recovery, invite, magiclink or email_change");
	if (p->token == NULL && p->email != NULL &&
	    auth_rate_limited(r, "verify@", p->email, r->conf->rate_limit_verify) < 0)
		return -1;
	if (p->token != NULL ? !auth_token_shape_ok(p->token)
	                     : p->email == NULL || !code_shape_ok(r, p->code))
		return links_invalid(r);
	if (p->token != NULL)
		refresh_token_hash(p->token, hash);
	else
		link_code_hash(r->conf, p->code, code_hash);
	refresh_token_new(r->conf, &rt);
	snprintf(max, sizeof(max), "%d", r->conf->otp_max_attempts);
	{
		const char *values[] = { p->type, p->token ? hash : NULL, p->email,
			p->token ? NULL : code_hash, p->consume ? "true" : "false", max, rt.hash,
			rt.box, auth_user_agent(r), request_client_address(r) };

		res = session_write(r, AUTH_ROLE,
		    "SELECT outcome, user_json::text, session_id, redirect_to, amr::text FROM"
		    " auth.link_verify($1, $2::bytea, $3, $4::bytea, $5::boolean, $6::integer,"
		    " $7::bytea, $8::bytea, $9, $10)",
		    10, values,
		    &(struct conflict){ "USER_EXISTS",
		        "An account with this email already exists" });
	}
	rc = res == NULL ? -1 : verify_answer(r, res, p, rt.token);
	sodium_memzero(rt.token, sizeof(rt.token));
	return rc;
}

/* GET and HEAD: the link's query (HEAD never consumes). */
static int
verify_query(struct request *r, const char *type)
{
	struct presented p = { type, query_get(r, "token"), NULL, NULL, query_get(r, "redirect_to"),
		r->method != HTTP_HEAD };

	if (p.token == NULL)
		return links_invalid(r);
	if (links_redirect_check(r, p.redirect) < 0)
		return -1;
	return verify_run(r, &p);
}

/* POST: {type, token} or {type, email, code}. */
static int
verify_body(struct request *r)
{
	static const char *const allowed[] = { "type", "token", "email", "code", NULL };
	struct presented p = { NULL, NULL, NULL, NULL, NULL, true };
	struct json_object *o;

	if ((o = auth_body_read(r, allowed, NULL)) == NULL ||
	    auth_body_string(r, o, "type", &p.type, NULL) < 0 ||
	    auth_body_string(r, o, "token", &p.token, NULL) < 0 ||
	    auth_body_string(r, o, "code", &p.code, NULL) < 0 ||
	    auth_body_email(r, o, &p.email, p.token == NULL) < 0)
		return -1;
	if (p.token == NULL && p.code == NULL)
		return response_error(r, 400, "VALIDATION",
		    "token, or email and code, are required");
	return verify_run(r, &p);
}

int
auth_verify(struct request *r)
{
	if (auth_rate_limited(r, "verify", NULL, r->conf->rate_limit_verify) < 0)
		return -1;
	if (r->method == HTTP_POST)
		return verify_body(r);
	return verify_query(r, query_get(r, "type"));
}

int
auth_magiclink_verify(struct request *r)
{
	if (auth_rate_limited(r, "verify", NULL, r->conf->rate_limit_verify) < 0)
		return -1;
	return verify_query(r, "magiclink");
}

/* ---- the service role's links ------------------------------------------ */

struct admin_link {
	const char *type, *email, *new_email, *meta, *redirect;
};

/* The link made; 0 with user (JSON text) and mail_to set, or -1 answered. */
static int
admin_link_make(struct request *r, const struct admin_link *a, struct link *l, const char **user,
    const char **mail_to)
{
	char ttl[16];
	struct db_result *res;
	const char *outcome;

	link_new(r, l);
	snprintf(ttl, sizeof(ttl), "%d", r->conf->magiclink_ttl);
	{
		const char *values[] = { a->type, a->email, a->new_email, a->meta, l->token.hash,
			l->code_hash, ttl, a->redirect };

		res = auth_exec(r,
		    "SELECT outcome, user_json::text, mail_to FROM auth.admin_link($1, $2, $3,"
		    " $4::jsonb, $5::bytea, $6::bytea, $7::integer, $8)",
		    8, values, false);
	}
	if (res == NULL)
		return -1;
	outcome = db_result_value(res, 0, 0);
	if (strcmp(outcome, "not_found") == 0)
		return response_error(r, 404, "USER_NOT_FOUND", "No account has this address");
	if (strcmp(outcome, "exists") == 0 || strcmp(outcome, "taken") == 0)
		return response_error(r, 409, "USER_EXISTS",
		    "An account with this email already exists");
	*user = db_result_value(res, 0, 1);
	*mail_to = db_result_value(res, 0, 2);
	return 0;
}

/* The body of invite and generate-link. */
static int
admin_link_body(struct request *r, const char *const *allowed, struct admin_link *a)
{
	struct json_object *o;

	if ((o = auth_body_read(r, allowed, NULL)) == NULL ||
	    (a->type == NULL && auth_body_string(r, o, "type", &a->type, NULL) < 0) ||
	    auth_body_email(r, o, &a->email, true) < 0 ||
	    auth_body_string(r, o, "new_email", &a->new_email, NULL) < 0 ||
	    auth_body_string(r, o, "redirect_to", &a->redirect, NULL) < 0 ||
	    auth_body_metadata(r, o, "user_metadata", &a->meta) < 0 ||
	    links_redirect_check(r, a->redirect) < 0 || link_public_url_check(r) < 0)
		return -1;
	if (!link_type_ok(a->type))
		return response_error(r, 400, "VALIDATION",
		    "type must be signup, recovery, invite, magiclink or email_change");
	if (strcmp(a->type, "email_change") == 0 &&
	    (a->new_email == NULL || !auth_email_is_valid(a->new_email)))
		return response_error(r, 400, "VALIDATION", "new_email must be a valid address");
	return 0;
}

int
auth_admin_invite(struct request *r)
{
	static const char *const allowed[] = { "email", "redirect_to", "user_metadata", NULL };
	struct admin_link a = { "invite", NULL, NULL, NULL, NULL };
	const char *user, *to;
	struct link l;
	int rc;

	if (admin_link_body(r, allowed, &a) < 0)
		return -1;
	rc = admin_link_make(r, &a, &l, &user, &to);
	if (rc == 0) {
		linkmail_send(r, "invite", to, &l, a.email, NULL);
		rc = auth_reply_user(r, 200, user);
	}
	link_wipe(&l);
	return rc;
}

int
auth_admin_generate_link(struct request *r)
{
	static const char *const allowed[] = { "type", "email", "new_email", "redirect_to",
		"user_metadata", NULL };
	struct admin_link a = { NULL, NULL, NULL, NULL, NULL };
	struct json_object *out;
	const char *user, *to, *body;
	struct link l;
	int rc;

	if (admin_link_body(r, allowed, &a) < 0)
		return -1;
	if (admin_link_make(r, &a, &l, &user, &to) < 0) {
		link_wipe(&l);
		return -1;
	}
	if (r->dialect == DIALECT_GOTRUE) {
		rc = gotrue_link_answer(r, user, link_url(r, a.type, l.token.token), l.code,
		    l.token.token, a.type, a.redirect);
		link_wipe(&l);
		return rc;
	}
	out = json_object_new_object();
	json_object_object_add(out, "action_link",
	    json_object_new_string(link_url(r, a.type, l.token.token)));
	json_object_object_add(out, "email_otp", json_object_new_string(l.code));
	json_object_object_add(out, "verification_type", json_object_new_string(a.type));
	json_object_object_add(out, "redirect_to",
	    a.redirect ? json_object_new_string(a.redirect) : NULL);
	json_object_object_add(out, "user", json_tokener_parse(user));
	body = json_arena_text(r->arena, out);
	json_object_put(out);
	link_wipe(&l);
	response_json(r, 200, body, strlen(body));
	response_header(r, "Cache-Control", "no-store");
	return 0;
}
