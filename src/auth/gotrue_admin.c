/*
 * auth/gotrue_admin.c - /auth/v1's routes of the service role: GoTrue's
 * admin/users (list with its pagination headers, create, read, change,
 * delete), admin/generate_link and invite, over the handlers of
 * /api/v1/auth/admin (auth/admin.c, auth/links.c).
 *
 * As in auth/gotrue.c a GoTrue body is renamed to ours and handed over;
 * what GoTrue says differently is said here: email_confirm for
 * email_confirmed, ban_duration (a Go duration, or "none") for an RFC
 * 3339 banned_until, email_change_current / email_change_new for our
 * email_change (the link goes to the new address), page/per_page sent
 * empty by auth-js, and the answers' shapes (a page as {users, aud} with
 * X-Total-Count and Link; a link's fields beside the user's).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "auth/body.h"
#include "auth/gotrue.h"
#include "auth/reply.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"

/* Longest ban GoTrue's duration may say: a hundred years. */
#define BAN_MAX_SECONDS (100L * 366 * 24 * 3600)

static const struct rename user_renames[] = { { "email", "email" }, { "password", "password" },
	{ "email_confirm", "email_confirmed" }, { "user_metadata", "user_metadata" },
	{ "app_metadata", "app_metadata" }, { "role", "role" }, { NULL, NULL } };

/*
 * A Go duration of whole numbers with units h, m, s ("24h", "1h30m"):
 * its seconds, or -1 when it is not one or is longer than the cap.
 */
static long
ban_seconds(const char *s)
{
	long total = 0;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		char *end;
		long n, unit;

		if (*s < '0' || *s > '9')
			return -1;
		n = strtol(s, &end, 10);
		if (n > BAN_MAX_SECONDS)
			return -1;
		unit = *end == 'h' ? 3600 : *end == 'm' ? 60 : *end == 's' ? 1 : 0;
		if (unit == 0)
			return -1;
		total += n * unit;
		if (total > BAN_MAX_SECONDS)
			return -1;
		s = end + 1;
	}
	return total;
}

/* ban_duration into out's banned_until: "none" lifts a ban. */
static int
ban_field(struct request *r, struct json_object *in, struct json_object *out)
{
	struct json_object *v;
	char when[32];
	time_t until;
	long secs;

	if (!json_object_object_get_ex(in, "ban_duration", &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return response_error(r, 400, "VALIDATION", "ban_duration must be a string");
	if (strcmp(json_object_get_string(v), "none") == 0) {
		json_object_object_add(out, "banned_until", NULL);
		return 0;
	}
	if ((secs = ban_seconds(json_object_get_string(v))) < 0)
		return response_error(r, 400, "VALIDATION",
		    "ban_duration must be \"none\" or a duration such as \"24h\" or \"1h30m\"");
	until = time(NULL) + secs;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&until));
	json_object_object_add(out, "banned_until", json_object_new_string(when));
	return 0;
}

/* The body of a create or a change, handed to auth/admin.c. */
static int
admin_user_body(struct request *r, bool create)
{
	static const char *const allowed[] = { "email", "password", "email_confirm", "phone",
		"phone_confirm", "user_metadata", "app_metadata", "role", "ban_duration",
		"password_hash", "id", "nonce", NULL };
	struct json_object *in = gotrue_body(r, allowed), *out;

	if (in == NULL)
		return -1;
	if (create && json_object_object_get_ex(in, "ban_duration", NULL))
		return response_error(r, 400, "VALIDATION",
		    "ban_duration is for a change of a user, not a new one");
	if (gotrue_hand_over(r, in, user_renames, false) < 0)
		return -1;
	/* The handed-over body is read back through auth_body_read. */
	out = auth_body_read(r, NULL, NULL);
	return ban_field(r, in, out);
}

/* A page number of the query; absent or empty (auth-js sends "") is dflt. */
static int
page_param(struct request *r, const char *name, long dflt, long max, long *out)
{
	const char *s = query_get(r, name);
	char *end;

	*out = dflt;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (s[0] >= '1' && s[0] <= '9' && strlen(s) <= 10) {
		*out = strtol(s, &end, 10);
		if (*end == '\0' && *out <= max)
			return 0;
	}
	return response_error(r, 400, "VALIDATION", "%s must be a whole number from 1 to %ld", name,
	    max);
}

/* {users, aud}, X-Total-Count, and Link to the next and the last page. */
static int
admin_users_page(struct request *r, const char *json, long page, long per_page)
{
	struct json_object *in = json_tokener_parse(json), *users, *total, *out, *list;
	char *links = NULL;
	const char *body;
	long count, last;

	if (in == NULL || !json_object_object_get_ex(in, "users", &users) ||
	    !json_object_object_get_ex(in, "total", &total)) {
		json_object_put(in);
		return -1;
	}
	out = json_object_new_object();
	list = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(users); i++)
		json_object_array_add(list, gotrue_user(json_object_array_get_idx(users, i)));
	json_object_object_add(out, "users", list);
	json_object_object_add(out, "aud", json_object_new_string("authenticated"));
	count = (long)json_object_get_int64(total);
	body = json_arena_text(r->arena, out);
	json_object_put(out);
	json_object_put(in);
	last = count == 0 ? 1 : (count + per_page - 1) / per_page;
	if (page < last)
		links = arena_printf(r->arena,
		    "</admin/users?page=%ld&per_page=%ld>; rel=\"next\", ", page + 1, per_page);
	links = arena_printf(r->arena, "%s</admin/users?page=%ld&per_page=%ld>; rel=\"last\"",
	    links ? links : "", last, per_page);
	response_json(r, 200, body, strlen(body));
	response_header(r, "X-Total-Count", arena_printf(r->arena, "%ld", count));
	response_header(r, "Link", links);
	response_header(r, "Cache-Control", "no-store");
	return 0;
}

/* GET /admin/users?page&per_page lists, POST creates. */
int
gotrue_admin_users(struct request *r)
{
	long page, per_page;
	const char *json;

	if (r->method == HTTP_POST)
		return admin_user_body(r, true) < 0 ? -1 : auth_admin_users(r);
	if (page_param(r, "page", 1, INT_MAX, &page) < 0 ||
	    page_param(r, "per_page", 50, 1000, &per_page) < 0 ||
	    auth_admin_list(r, page, per_page, NULL, &json) < 0)
		return -1;
	return admin_users_page(r, json, page, per_page);
}

/* GET, PUT and DELETE /admin/users/{id} (DELETE answers {}). */
int
gotrue_admin_user(struct request *r)
{
	if (r->method == HTTP_PUT && admin_user_body(r, false) < 0)
		return -1;
	return auth_admin_user(r);
}

/* POST /admin/generate_link {type, email, new_email, data}. */
int
gotrue_generate_link(struct request *r)
{
	static const char *const allowed[] = { "type", "email", "new_email", "password", "data",
		"redirect_to", NULL };
	static const struct rename renames[] = { { "type", "type" }, { "email", "email" },
		{ "new_email", "new_email" }, { "data", "user_metadata" }, { NULL, NULL } };
	struct json_object *in = gotrue_body(r, allowed), *type, *v;

	if (in == NULL)
		return -1;
	if (json_object_object_get_ex(in, "password", &v) && v != NULL)
		return response_error(r, 400, "VALIDATION",
		    "password is not taken by generate_link; create the user with admin/users");
	if (json_object_object_get_ex(in, "type", &type) &&
	    json_object_is_type(type, json_type_string) &&
	    strncmp(json_object_get_string(type), "email_change_", 13) == 0)
		json_object_object_add(in, "type", json_object_new_string("email_change"));
	if (gotrue_hand_over(r, in, renames, true) < 0)
		return -1;
	/* redirect_to in the body, when the query had none. */
	if (query_get(r, "redirect_to") == NULL &&
	    json_object_object_get_ex(in, "redirect_to", &v) && v != NULL)
		json_object_object_add(auth_body_read(r, NULL, NULL), "redirect_to",
		    json_object_get(v));
	return auth_admin_generate_link(r);
}

/* POST /invite {email, data}. */
int
gotrue_invite(struct request *r)
{
	static const char *const allowed[] = { "email", "data", NULL };
	static const struct rename renames[] = { { "email", "email" }, { "data", "user_metadata" },
		{ NULL, NULL } };
	struct json_object *in = gotrue_body(r, allowed);

	if (in == NULL || gotrue_hand_over(r, in, renames, true) < 0)
		return -1;
	return auth_admin_invite(r);
}

int
gotrue_link_answer(struct request *r, const char *user_json, const char *action_link,
    const char *code, const char *token, const char *type, const char *redirect)
{
	struct json_object *u = json_tokener_parse(user_json), *out;
	const char *body;

	if (u == NULL)
		return -1;
	out = gotrue_user(u);
	json_object_put(u);
	json_object_object_add(out, "action_link", json_object_new_string(action_link));
	json_object_object_add(out, "email_otp", json_object_new_string(code));
	json_object_object_add(out, "hashed_token", json_object_new_string(token));
	json_object_object_add(out, "verification_type", json_object_new_string(type));
	json_object_object_add(out, "redirect_to",
	    redirect ? json_object_new_string(redirect) : NULL);
	body = json_arena_text(r->arena, out);
	json_object_put(out);
	response_json(r, 200, body, strlen(body));
	response_header(r, "Cache-Control", "no-store");
	return 0;
}
