/*
 * auth/admin.c - /api/v1/auth/admin/users: the service role's hand on the
 * accounts (list, create, read, change, delete, end every session).
 *
 * The route table admits only the service role, so a handler starts with
 * its caller settled.  As for the rest of auth, a request is one call of a
 * function of migration 0015, run as fluxbase_auth in the request's single
 * transaction: what a ban, a new password or a deletion does to the
 * user's sessions happens in that call, so it is done when the answer
 * leaves.  Passwords are hashed here (Argon2id) under sign-up's strength
 * rules; every answer is auth.user_json, never a hash.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/body.h"
#include "auth/gotrue.h"
#include "auth/reply.h"
#include "auth/password.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "schema.h"
#include "session.h"
#include "token.h"

/* The role the auth functions run as (migration 0003). */
/* Longest e-mail filter of a listing: an address is at most 254 bytes. */
#define ADMIN_FILTER_MAX 254

static const struct conflict email_taken = {
	"EMAIL_TAKEN",
	"An account with this email already exists",
};

/* What a create or a PATCH body says of a user; NULL: not given. */
struct admin_user {
	const char *email, *user_meta, *app_meta, *role, *confirmed;
	const char *banned_until; /* NULL with ban_given: lift the ban */
	bool ban_given, has_hash;
	char hash[crypto_pwhash_STRBYTES];
};

/* RFC 3339's date-time (2027-01-31T12:00:00Z, a fraction and an offset
 * allowed); PostgreSQL then checks the values themselves. */
static bool
admin_time_is_rfc3339(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (shape[i] == 'd'       ? !isdigit(c)
		        : shape[i] == 'T' ? c != 'T' && c != 't'
		                          : c != shape[i])
			return false;
	}
	s += i;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	return (*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == ':' && isdigit((unsigned char)s[4]) &&
	    isdigit((unsigned char)s[5]) && s[6] == '\0';
}

/* role, when given, must be one a token may name: 0, or -1 with 400. */
static int
admin_role_field(struct request *r, struct json_object *o, const char **role)
{
	int rc = auth_body_string(r, o, "role", role, NULL);
	char list[128] = "";

	if (rc <= 0 || schema_role_index(*role) >= 0)
		return rc < 0 ? -1 : 0;
	for (int i = 0; i < SCHEMA_NROLES; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		    schema_roles[i]);
	return response_error(r, 400, "VALIDATION", "role must be one of %s", list);
}

/* banned_until: absent, null (lifts a ban) or an RFC 3339 date-time. */
static int
admin_ban_field(struct request *r, struct json_object *o, struct admin_user *u)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, "banned_until", &v))
		return 0;
	u->ban_given = true;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    !admin_time_is_rfc3339(json_object_get_string(v)))
		return response_error(r, 400, "VALIDATION",
		    "banned_until must be an RFC 3339 date-time or null");
	u->banned_until = json_object_get_string(v);
	return 0;
}

/*
 * The fields of a create (email required) or a PATCH body, checked in
 * full before a password is hashed.  0, or -1 with the answer set.
 */
static int
admin_user_fields(struct request *r, struct json_object *o, bool create, struct admin_user *u)
{
	const char *password;
	size_t len;
	bool confirmed;
	int has_confirmed, has_password;

	memset(u, 0, sizeof(*u));
	if (auth_body_email(r, o, &u->email, create) < 0 ||
	    (has_confirmed = auth_body_bool(r, o, "email_confirmed", &confirmed)) < 0 ||
	    auth_body_metadata(r, o, "user_metadata", &u->user_meta) < 0 ||
	    auth_body_metadata(r, o, "app_metadata", &u->app_meta) < 0 ||
	    admin_role_field(r, o, &u->role) < 0 || admin_ban_field(r, o, u) < 0 ||
	    (has_password = auth_body_string(r, o, "password", &password, &len)) < 0)
		return -1;
	if (has_confirmed)
		u->confirmed = confirmed ? "true" : "false";
	if (!has_password)
		return 0;
	if (auth_body_new_password(r, password, len) < 0 ||
	    password_hash(r->conf, password, len, u->hash) < 0)
		return -1;
	u->has_hash = true;
	return 0;
}

/* 404: no such user (GoTrue: user_not_found). */
static int
admin_no_user(struct request *r)
{
	return response_error(r, 404, r->dialect == DIALECT_GOTRUE ? "USER_NOT_FOUND" : "NOT_FOUND",
	    "No such user");
}

/* The user a function answered, or 404 for NULL (no such user). */
static int
admin_answer(struct request *r, int status, struct db_result *res)
{
	if (res == NULL)
		return -1;
	if (db_result_isnull(res, 0, 0))
		return admin_no_user(r);
	return auth_reply_user(r, status, db_result_value(res, 0, 0));
}

/* A query parameter that is a whole number in [min, max], or dflt when
 * absent: 0, or -1 with 400 set. */
static int
admin_query_number(struct request *r, const char *name, long dflt, long min, long max, long *out)
{
	const char *s = query_get(r, name);
	char *end;

	*out = dflt;
	if (s == NULL)
		return 0;
	if (s[0] >= '0' && s[0] <= '9' && strlen(s) <= 10) {
		*out = strtol(s, &end, 10);
		if (*end == '\0' && *out >= min && *out <= max)
			return 0;
	}
	return response_error(r, 400, "VALIDATION", "%s must be a whole number from %ld to %ld",
	    name, min, max);
}

int
auth_admin_list(struct request *r, long page, long per_page, const char *email, const char **json)
{
	char page_text[24], per_page_text[24];
	struct db_result *res;

	if (email != NULL && strlen(email) > ADMIN_FILTER_MAX)
		return response_error(r, 400, "VALIDATION", "email is longer than %d bytes",
		    ADMIN_FILTER_MAX);
	snprintf(page_text, sizeof(page_text), "%ld", page);
	snprintf(per_page_text, sizeof(per_page_text), "%ld", per_page);
	{
		const char *values[] = { page_text, per_page_text, email };

		res = session_exec_as(r, AUTH_ROLE,
		    "SELECT auth.admin_list_users($1::bigint, $2::integer, $3)::text", 3, values,
		    true);
	}
	if (res == NULL)
		return -1;
	*json = db_result_value(res, 0, 0);
	return 0;
}

static int
admin_users_list(struct request *r)
{
	const char *json;
	long page, per_page;

	if (admin_query_number(r, "page", 1, 1, INT_MAX, &page) < 0 ||
	    admin_query_number(r, "per_page", 50, 1, 1000, &per_page) < 0 ||
	    auth_admin_list(r, page, per_page, query_get(r, "email"), &json) < 0)
		return -1;
	response_json(r, 200, json, strlen(json));
	response_header(r, "Cache-Control", "no-store");
	return 0;
}

static int
admin_users_create(struct request *r)
{
	static const char *const allowed[] = { "email", "password", "email_confirmed",
		"user_metadata", "app_metadata", "role", NULL };
	struct json_object *o = auth_body_read(r, allowed, NULL);
	struct admin_user u;
	struct db_result *res;

	if (o == NULL || admin_user_fields(r, o, true, &u) < 0)
		return -1;
	{
		const char *values[] = { u.email, u.has_hash ? u.hash : NULL, u.confirmed,
			u.user_meta, u.app_meta, u.role };

		res = session_write(r, AUTH_ROLE,
		    "SELECT auth.admin_create_user($1, $2, $3::boolean, $4::jsonb, $5::jsonb,"
		    " $6)::text",
		    6, values, &email_taken);
	}
	sodium_memzero(u.hash, sizeof(u.hash));
	return admin_answer(r, 201, res);
}

/* GET lists users, POST creates one. */
int
auth_admin_users(struct request *r)
{
	if (r->method == HTTP_POST)
		return admin_users_create(r);
	return admin_users_list(r);
}

static int
admin_user_read(struct request *r, const char *id)
{
	const char *values[] = { id };

	return admin_answer(r, 200,
	    session_exec_as(r, AUTH_ROLE, "SELECT auth.admin_get_user($1::uuid)::text", 1, values,
	        true));
}

static int
admin_user_update(struct request *r, const char *id)
{
	static const char *const allowed[] = { "email", "password", "email_confirmed",
		"user_metadata", "app_metadata", "role", "banned_until", NULL };
	struct json_object *o = auth_body_read(r, allowed, NULL);
	struct admin_user u;
	struct db_result *res;

	if (o == NULL || admin_user_fields(r, o, false, &u) < 0)
		return -1;
	{
		const char *values[] = { id, u.email, u.has_hash ? u.hash : NULL, u.confirmed,
			u.user_meta, u.app_meta, u.role, u.ban_given ? "true" : "false",
			u.banned_until };

		res = session_write(r, AUTH_ROLE,
		    "SELECT auth.admin_update_user($1::uuid, $2, $3, $4::boolean, $5::jsonb,"
		    " $6::jsonb, $7, $8::boolean, $9::timestamptz)::text",
		    9, values, &email_taken);
	}
	sodium_memzero(u.hash, sizeof(u.hash));
	return admin_answer(r, 200, res);
}

/* A function of one user that answers whether there was one: 204 or 404. */
static int
admin_user_act(struct request *r, const char *sql, const char *id)
{
	const char *values[] = { id };
	struct db_result *res = session_exec_as(r, AUTH_ROLE, sql, 1, values, false);

	if (res == NULL)
		return -1;
	if (strcmp(db_result_value(res, 0, 0), "t") != 0)
		return admin_no_user(r);
	return auth_reply_done(r);
}

/* The {id} of the path, a UUID: NULL with 400 set otherwise. */
static const char *
admin_user_id(struct request *r)
{
	const char *id = r->path_params[0];

	if (token_uuid_is_valid(id))
		return id;
	response_error(r, 400, "VALIDATION", "The user id is not a UUID");
	return NULL;
}

/* GET, PATCH (GoTrue's PUT) or DELETE one user. */
int
auth_admin_user(struct request *r)
{
	const char *id = admin_user_id(r);

	if (id == NULL)
		return -1;
	if (r->method == HTTP_PATCH || r->method == HTTP_PUT)
		return admin_user_update(r, id);
	if (r->method == HTTP_DELETE)
		return admin_user_act(r, "SELECT auth.admin_delete_user($1::uuid)", id);
	return admin_user_read(r, id);
}

/* Every session of the user ends. */
int
auth_admin_user_signout(struct request *r)
{
	const char *id = admin_user_id(r);

	if (id == NULL)
		return -1;
	return admin_user_act(r, "SELECT auth.admin_signout_user($1::uuid)", id);
}
