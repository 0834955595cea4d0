/*
 * The admin API of the service role (/auth/admin/users) through nginx:
 * listing with its filter and pages, creating, reading, changing, banning,
 * deleting and signing out users; what a ban, a new password, a deletion
 * and a sign-out do to the user's live tokens on every API family; no
 * hash in any answer; and every route refused to anyone but the service
 * role.  The tests speak from client addresses of 10.18.0.0/16 of their
 * own, so the rate limits of the other auth tests are not touched.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "auth_client.h"
#include "client.h"
#include "suites.h"

#define ADMIN_IP "10.18.0.1"
#define NO_SUCH_USER "00000000-0000-4000-8000-000000000000"

/* The service role's token (minted once per test process). */
static const char *
service(void)
{
	static char token[2048];

	if (token[0] == '\0')
		mint_token(token, sizeof(token), "service_role", NULL);
	return token;
}

/* An admin call; the answer never holds a hash. */
static void
admin(struct http_resp *r, const char *method, const char *path, const char *body)
{
	auth_call(r, method, path, service(), body, ADMIN_IP);
	ck_assert_ptr_null(strstr(r->body, "argon2"));
	ck_assert_ptr_null(strstr(r->body, "password_hash"));
}

static long
admin_status(const char *method, const char *path, const char *body)
{
	struct http_resp r;
	long st;

	admin(&r, method, path, body);
	st = r.status;
	http_resp_free(&r);
	return st;
}

/* The path of one user, or of an action on one ("" or "/signout"). */
static const char *
user_path(const char *id, const char *tail)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "/auth/admin/users/%s%s", id, tail);
	return buf[i];
}

/* Creates a user (201 asserted): body fields after the email, id out. */
static void
create_user(const char *email, const char *more, char id[64])
{
	char body[1024];
	struct http_resp r;
	struct json_object *o;

	snprintf(body, sizeof(body), "{\"email\":\"%s\"%s%s}", email, more ? "," : "",
	    more ? more : "");
	admin(&r, "POST", "/auth/admin/users", body);
	ck_assert_msg(r.status == 201, "create %s: %ld %s", email, r.status, r.body);
	o = json_body(&r);
	snprintf(id, 64, "%s", jstr(o, "id"));
	json_object_put(o);
	http_resp_free(&r);
}

/* users[i].email of a listing, or "" past its end. */
static const char *
listed_email(struct json_object *list, size_t i)
{
	struct json_object *users, *u;

	ck_assert(json_object_object_get_ex(list, "users", &users));
	if (i >= json_object_array_length(users))
		return "";
	u = json_object_array_get_idx(users, i);
	return jstr(u, "email");
}

static size_t
listed_count(struct json_object *list)
{
	struct json_object *users;

	ck_assert(json_object_object_get_ex(list, "users", &users));
	return json_object_array_length(users);
}

START_TEST(test_admin_list_filter_and_pages)
{
	static const char *bad[] = { "per_page=0", "per_page=1001", "per_page=x", "page=0",
		"page=-1", "page=", "page=99999999999" };
	char id[64], path[256];
	struct http_resp r;
	struct json_object *o;

	create_user("Adm-List-1@example.com", NULL, id);
	create_user("adm-list-2@example.com", NULL, id);
	create_user("adm-list-3@EXAMPLE.com", NULL, id);
	/* A case-insensitive substring, in the order of creation. */
	admin(&r, "GET", "/auth/admin/users?email=ADM-LIST&per_page=2", NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "total"), "3");
	ck_assert_uint_eq(listed_count(o), 2);
	ck_assert_str_eq(listed_email(o, 0), "Adm-List-1@example.com");
	ck_assert_str_eq(listed_email(o, 1), "adm-list-2@example.com");
	json_object_put(o);
	http_resp_free(&r);
	admin(&r, "GET", "/auth/admin/users?email=adm-list&per_page=2&page=2", NULL);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "total"), "3");
	ck_assert_uint_eq(listed_count(o), 1);
	ck_assert_str_eq(listed_email(o, 0), "adm-list-3@EXAMPLE.com");
	json_object_put(o);
	http_resp_free(&r);
	admin(&r, "GET", "/auth/admin/users?email=adm-list&per_page=2&page=3", NULL);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "total"), "3");
	ck_assert_uint_eq(listed_count(o), 0);
	json_object_put(o);
	http_resp_free(&r);
	/* The filter is text, not a LIKE pattern. */
	admin(&r, "GET", "/auth/admin/users?email=adm_list", NULL);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "total"), "0");
	json_object_put(o);
	http_resp_free(&r);
	admin(&r, "GET", "/auth/admin/users?email=adm%25list", NULL);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "total"), "0");
	json_object_put(o);
	http_resp_free(&r);
	/* Without a filter: everyone, 50 a page by default. */
	admin(&r, "GET", "/auth/admin/users", NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_int_ge(atoi(jstr(o, "total")), 3);
	ck_assert_uint_le(listed_count(o), 50);
	json_object_put(o);
	http_resp_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/auth/admin/users?%s", bad[i]);
		admin(&r, "GET", path, NULL);
		assert_error(&r, 400, "VALIDATION");
		http_resp_free(&r);
	}
	ck_assert_int_eq(admin_status("GET", "/auth/admin/users?per_page=1000&page=1", NULL), 200);
}
END_TEST

START_TEST(test_admin_create)
{
	static const char *bad[] = {
		"{\"password\":\"" PASSWORD "\"}",
		"{\"email\":\"not an address\"}",
		"{\"email\":\"adm-bad@example.com\",\"password\":\"short\"}",
		"{\"email\":\"adm-bad@example.com\",\"role\":\"postgres\"}",
		"{\"email\":\"adm-bad@example.com\",\"email_confirmed\":\"yes\"}",
		"{\"email\":\"adm-bad@example.com\",\"app_metadata\":[1]}",
		"{\"email\":\"adm-bad@example.com\",\"banned_until\":null}",
		"{\"email\":\"adm-bad@example.com\",\"id\":\"" NO_SUCH_USER "\"}",
	};
	struct http_resp r;
	struct json_object *o, *meta;
	char id[64];

	admin(&r, "POST", "/auth/admin/users",
	    "{\"email\":\"Adm-Create@example.com\",\"password\":\"" PASSWORD "\","
	    "\"email_confirmed\":true,\"user_metadata\":{\"name\":\"Ann\"},"
	    "\"app_metadata\":{\"plan\":\"pro\"},\"role\":\"authenticated\"}");
	ck_assert_int_eq(r.status, 201);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "email"), "Adm-Create@example.com");
	ck_assert_str_eq(jstr(o, "email_verified"), "true");
	ck_assert_str_ne(jstr(o, "confirmed_at"), "");
	ck_assert_str_eq(jstr(o, "role"), "authenticated");
	ck_assert(json_object_object_get_ex(o, "app_metadata", &meta));
	ck_assert_str_eq(jstr(meta, "plan"), "pro");
	ck_assert(json_object_object_get_ex(o, "user_metadata", &meta));
	ck_assert_str_eq(jstr(meta, "name"), "Ann");
	json_object_put(o);
	http_resp_free(&r);
	ck_assert_int_eq(signin(NULL, "adm-create@example.com", PASSWORD, "10.18.1.1"), 200);
	/* A taken address, whatever its case: the service role may know. */
	admin(&r, "POST", "/auth/admin/users", "{\"email\":\"ADM-CREATE@example.com\"}");
	assert_error(&r, 409, "EMAIL_TAKEN");
	http_resp_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		admin(&r, "POST", "/auth/admin/users", bad[i]);
		assert_error(&r, 400, "VALIDATION");
		http_resp_free(&r);
	}
	/* No password: the account exists, unconfirmed, and no password opens it. */
	create_user("adm-nopass@example.com", NULL, id);
	admin(&r, "GET", user_path(id, ""), NULL);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "email_verified"), "false");
	ck_assert_str_eq(jstr(o, "role"), "authenticated");
	json_object_put(o);
	http_resp_free(&r);
	ck_assert_int_eq(signin(NULL, "adm-nopass@example.com", PASSWORD, "10.18.1.1"), 401);
}
END_TEST

START_TEST(test_admin_get)
{
	struct session s;
	struct http_resp r;
	struct json_object *o;

	signup(&s, "adm-get@example.com", "10.18.2.1");
	admin(&r, "GET", user_path(s.user_id, ""), NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "id"), s.user_id);
	ck_assert_str_eq(jstr(o, "email"), "adm-get@example.com");
	ck_assert(json_object_object_get_ex(o, "banned_until", NULL));
	json_object_put(o);
	http_resp_free(&r);
	admin(&r, "GET", user_path(NO_SUCH_USER, ""), NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	admin(&r, "GET", user_path("not-a-uuid", ""), NULL);
	assert_error(&r, 400, "VALIDATION");
	http_resp_free(&r);
	ck_assert_int_eq(admin_status("HEAD", user_path(s.user_id, ""), NULL), 200);
}
END_TEST

/* PATCHes the user; asserts 200 and returns the user (to put). */
static struct json_object *
patch_user(const char *id, const char *body)
{
	struct http_resp r;
	struct json_object *o;

	admin(&r, "PATCH", user_path(id, ""), body);
	ck_assert_msg(r.status == 200, "PATCH %s: %ld %s", body, r.status, r.body);
	o = json_body(&r);
	http_resp_free(&r);
	return o;
}

START_TEST(test_admin_patch)
{
	struct session s, other;
	struct http_resp r;
	struct json_object *o, *meta;

	signup(&s, "adm-patch@example.com", "10.18.3.1");
	signup(&other, "adm-patch-other@example.com", "10.18.3.1");
	json_object_put(patch_user(s.user_id, "{\"user_metadata\":{\"a\":1,\"b\":2}}"));
	/* Top-level keys merge; a key given as null goes. */
	o = patch_user(s.user_id,
	    "{\"user_metadata\":{\"b\":null,\"c\":3},\"app_metadata\":{\"plan\":\"pro\"},"
	    "\"role\":\"service_role\",\"email_confirmed\":false}");
	ck_assert(json_object_object_get_ex(o, "user_metadata", &meta));
	ck_assert_str_eq(json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN),
	    "{\"a\":1,\"c\":3}");
	ck_assert(json_object_object_get_ex(o, "app_metadata", &meta));
	ck_assert_str_eq(jstr(meta, "plan"), "pro");
	ck_assert_str_eq(jstr(o, "role"), "service_role");
	ck_assert_str_eq(jstr(o, "email_verified"), "false");
	ck_assert_str_eq(jstr(o, "confirmed_at"), "");
	json_object_put(o);
	o = patch_user(s.user_id, "{\"email_confirmed\":true,\"role\":\"authenticated\"}");
	ck_assert_str_eq(jstr(o, "email_verified"), "true");
	ck_assert_str_ne(jstr(o, "confirmed_at"), "");
	ck_assert_str_eq(jstr(o, "role"), "authenticated");
	json_object_put(o);
	/* Metadata alone leaves the session alive. */
	ck_assert_int_eq(status_of("GET", "/auth/user", s.access, "10.18.3.1"), 200);
	/* Another user's address is taken. */
	admin(&r, "PATCH", user_path(s.user_id, ""), "{\"email\":\"ADM-PATCH-OTHER@example.com\"}");
	assert_error(&r, 409, "EMAIL_TAKEN");
	http_resp_free(&r);
	/* A new address is unconfirmed unless said otherwise. */
	o = patch_user(s.user_id, "{\"email\":\"adm-patch-new@example.com\"}");
	ck_assert_str_eq(jstr(o, "email"), "adm-patch-new@example.com");
	ck_assert_str_eq(jstr(o, "email_verified"), "false");
	json_object_put(o);
	/* A new password ends every session; the new one signs in. */
	json_object_put(patch_user(s.user_id, "{\"password\":\"an admin chose this\"}"));
	ck_assert_int_eq(status_of("GET", "/auth/user", s.access, "10.18.3.1"), 401);
	ck_assert_int_eq(refresh(s.refresh, NULL, "10.18.3.1"), 401);
	ck_assert_int_eq(signin(NULL, "adm-patch-new@example.com", PASSWORD, "10.18.3.2"), 401);
	ck_assert_int_eq(signin(NULL, "adm-patch-new@example.com", "an admin chose this",
	                     "10.18.3.2"),
	    200);
	/* The other user was not touched. */
	ck_assert_int_eq(status_of("GET", "/auth/user", other.access, "10.18.3.1"), 200);
	admin(&r, "PATCH", user_path(s.user_id, ""), "{\"password\":\"short\"}");
	assert_error(&r, 400, "VALIDATION");
	http_resp_free(&r);
	admin(&r, "PATCH", user_path(s.user_id, ""), "{\"banned_until\":\"tomorrow\"}");
	assert_error(&r, 400, "VALIDATION");
	http_resp_free(&r);
	admin(&r, "PATCH", user_path(s.user_id, ""), "{\"banned_until\":\"2030-13-01T00:00:00Z\"}");
	ck_assert_int_eq(r.status, 400);
	http_resp_free(&r);
	admin(&r, "PATCH", user_path(NO_SUCH_USER, ""), "{\"role\":\"authenticated\"}");
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
}
END_TEST

/* A bucket for a test (made once) and an object in it uploaded by s. */
static void
upload_as(const struct session *s, const char *bucket, const char *key, const char *ip)
{
	char path[256];
	struct http_resp r;

	snprintf(path, sizeof(path), "/storage/buckets/%s", bucket);
	admin(&r, "POST", path, "{\"public\":false}");
	ck_assert_msg(r.status < 300 || r.status == 409, "bucket: %ld %s", r.status, r.body);
	http_resp_free(&r);
	snprintf(path, sizeof(path), "/storage/%s/%s", bucket, key);
	auth_call(&r, "POST", path, s->access, "{\"kept\":true}", ip);
	ck_assert_msg(r.status < 300, "upload: %ld %s", r.status, r.body);
	http_resp_free(&r);
}

/* A user's token on every API family: status of each must be want. */
static void
assert_token_everywhere(const struct session *s, const char *object_path, long want, const char *ip)
{
	/* Several rounds: workers that hold the token's identity on their
	 * connection must refuse it as well as the ones that set it anew. */
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(status_of("GET", "/auth/user", s->access, ip), want);
		ck_assert_int_eq(status_of("GET", "/tables/products?id=eq.1", s->access, ip), want);
		ck_assert_int_eq(status_of("GET", object_path, s->access, ip), want);
	}
}

static const char *
rfc3339_from_now(long seconds)
{
	static char buf[2][32];
	static int i;
	time_t t = time(NULL) + seconds;

	i = (i + 1) % 2;
	strftime(buf[i], sizeof(buf[i]), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return buf[i];
}

START_TEST(test_admin_ban)
{
	const char *ip = "10.18.4.1", *object = "/storage/adm-ban/notes/kept.json";
	struct session s, again;
	struct http_resp r;
	struct json_object *o;
	char body[128];

	signup(&s, "adm-ban@example.com", ip);
	upload_as(&s, "adm-ban", "notes/kept.json", ip);
	assert_token_everywhere(&s, object, 200, ip);
	/* A ban that has already ended changes nothing. */
	snprintf(body, sizeof(body), "{\"banned_until\":\"%s\"}", rfc3339_from_now(-60));
	json_object_put(patch_user(s.user_id, body));
	assert_token_everywhere(&s, object, 200, ip);
	/* A ban in the future ends every session at once. */
	snprintf(body, sizeof(body), "{\"banned_until\":\"%s\"}", rfc3339_from_now(3600));
	o = patch_user(s.user_id, body);
	ck_assert_str_ne(jstr(o, "banned_until"), "");
	json_object_put(o);
	assert_token_everywhere(&s, object, 401, ip);
	ck_assert_int_eq(refresh(s.refresh, NULL, ip), 401);
	auth_call(&r, "POST", "/auth/signin", NULL,
	    "{\"email\":\"adm-ban@example.com\",\"password\":\"" PASSWORD "\"}", ip);
	assert_error(&r, 403, "USER_BANNED");
	http_resp_free(&r);
	/* Lifted: signing in works again. */
	o = patch_user(s.user_id, "{\"banned_until\":null}");
	ck_assert_str_eq(jstr(o, "banned_until"), "");
	json_object_put(o);
	ck_assert_int_eq(signin(&again, "adm-ban@example.com", PASSWORD, ip), 200);
	assert_token_everywhere(&again, object, 200, ip);
	ck_assert_int_eq(refresh(again.refresh, NULL, ip), 200);
}
END_TEST

/* Refresh asks about the ban itself, not only whether the session lives:
 * a ban written by hand (no session ended) stops it too, and only while
 * it lasts (the token was not used up). */
START_TEST(test_admin_ban_refuses_refresh)
{
	const char *ip = "10.18.5.1";
	struct session s, again;
	char sql[256];

	signup(&s, "adm-ban-refresh@example.com", ip);
	snprintf(sql, sizeof(sql),
	    "UPDATE auth.users SET banned_until = now() + interval '1 hour' WHERE id = '%s'",
	    s.user_id);
	stack_psql(sql);
	ck_assert_int_eq(refresh(s.refresh, NULL, ip), 401);
	ck_assert_int_eq(refresh(s.refresh, NULL, ip), 401);
	snprintf(sql, sizeof(sql), "UPDATE auth.users SET banned_until = NULL WHERE id = '%s'",
	    s.user_id);
	stack_psql(sql);
	ck_assert_int_eq(refresh(s.refresh, &again, ip), 200);
}
END_TEST

START_TEST(test_admin_delete)
{
	const char *ip = "10.18.6.1";
	struct session s;
	struct http_resp r;
	struct json_object *o, *obj, *owner;

	signup(&s, "adm-delete@example.com", ip);
	upload_as(&s, "adm-delete", "mine.json", ip);
	assert_token_everywhere(&s, "/storage/adm-delete/mine.json", 200, ip);
	ck_assert_int_eq(admin_status("DELETE", user_path(s.user_id, ""), NULL), 204);
	assert_token_everywhere(&s, "/storage/adm-delete/mine.json", 401, ip);
	ck_assert_int_eq(refresh(s.refresh, NULL, ip), 401);
	ck_assert_int_eq(admin_status("GET", user_path(s.user_id, ""), NULL), 404);
	admin(&r, "DELETE", user_path(s.user_id, ""), NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	ck_assert_int_eq(signin(NULL, "adm-delete@example.com", PASSWORD, ip), 401);
	/* The object stays, readable by the service role, owned by nobody. */
	admin(&r, "GET", "/storage/adm-delete/mine.json", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"kept\":true}");
	http_resp_free(&r);
	admin(&r, "GET", "/storage/adm-delete", NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_uint_eq(json_object_array_length(o), 1);
	obj = json_object_array_get_idx(o, 0);
	ck_assert_str_eq(jstr(obj, "key"), "mine.json");
	ck_assert(json_object_object_get_ex(obj, "owner", &owner));
	ck_assert_ptr_null(owner);
	json_object_put(o);
	http_resp_free(&r);
	/* The address is free again. */
	signup(&s, "adm-delete@example.com", ip);
}
END_TEST

START_TEST(test_admin_signout)
{
	const char *ip = "10.18.7.1";
	struct session a, b, c;

	signup(&a, "adm-signout@example.com", ip);
	ck_assert_int_eq(signin(&b, "adm-signout@example.com", PASSWORD, ip), 200);
	ck_assert_int_eq(admin_status("POST", user_path(a.user_id, "/signout"), NULL), 204);
	ck_assert_int_eq(status_of("GET", "/auth/user", a.access, ip), 401);
	ck_assert_int_eq(status_of("GET", "/auth/user", b.access, ip), 401);
	ck_assert_int_eq(refresh(a.refresh, NULL, ip), 401);
	ck_assert_int_eq(refresh(b.refresh, NULL, ip), 401);
	ck_assert_int_eq(signin(&c, "adm-signout@example.com", PASSWORD, ip), 200);
	ck_assert_int_eq(status_of("GET", "/auth/user", c.access, ip), 200);
	ck_assert_int_eq(admin_status("POST", user_path(NO_SUCH_USER, "/signout"), NULL), 404);
	ck_assert_int_eq(admin_status("POST", user_path("nope", "/signout"), NULL), 400);
}
END_TEST

START_TEST(test_admin_refuses_others)
{
	static const struct {
		const char *method, *path, *body;
	} routes[] = {
		{ "GET", "/auth/admin/users", NULL },
		{ "POST", "/auth/admin/users", "{\"email\":\"adm-intruder@example.com\"}" },
		{ "GET", "/auth/admin/users/" NO_SUCH_USER, NULL },
		{ "PATCH", "/auth/admin/users/" NO_SUCH_USER, "{\"role\":\"service_role\"}" },
		{ "DELETE", "/auth/admin/users/" NO_SUCH_USER, NULL },
		{ "POST", "/auth/admin/users/" NO_SUCH_USER "/signout", NULL },
	};
	const char *ip = "10.18.8.1";
	struct session s;
	struct http_resp r;
	struct json_object *o;
	char anon[2048];

	signup(&s, "adm-user@example.com", ip);
	mint_token(anon, sizeof(anon), "anon", NULL);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		auth_call(&r, routes[i].method, routes[i].path, NULL, routes[i].body, ip);
		assert_error(&r, 401, "UNAUTHORIZED");
		http_resp_free(&r);
		auth_call(&r, routes[i].method, routes[i].path, anon, routes[i].body, ip);
		ck_assert_msg(r.status == 403, "%s %s as anon: %ld", routes[i].method,
		    routes[i].path, r.status);
		http_resp_free(&r);
		auth_call(&r, routes[i].method, routes[i].path, s.access, routes[i].body, ip);
		ck_assert_msg(r.status == 403, "%s %s as a user: %ld", routes[i].method,
		    routes[i].path, r.status);
		ck_assert_ptr_null(strstr(r.body, "adm-"));
		http_resp_free(&r);
	}
	/* Nothing was done. */
	ck_assert_int_eq(status_of("GET", "/auth/user", s.access, ip), 200);
	auth_call(&r, "GET", "/auth/admin/users?email=adm-intruder", service(), NULL, ip);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "total"), "0");
	json_object_put(o);
	http_resp_free(&r);
}
END_TEST

TCase *
auth_admin_tcase(void)
{
	TCase *tc = tcase_create("auth_admin");

	tcase_add_test(tc, test_admin_list_filter_and_pages);
	tcase_add_test(tc, test_admin_create);
	tcase_add_test(tc, test_admin_get);
	tcase_add_test(tc, test_admin_patch);
	tcase_add_test(tc, test_admin_ban);
	tcase_add_test(tc, test_admin_ban_refuses_refresh);
	tcase_add_test(tc, test_admin_delete);
	tcase_add_test(tc, test_admin_signout);
	tcase_add_test(tc, test_admin_refuses_others);
	return tc;
}
