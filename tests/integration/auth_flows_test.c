/*
 * The account life cycle end to end, through nginx, reading the mails the
 * server writes in the stack's mail directory: confirmation, recovery,
 * e-mail change, invitations and generated links, codes and their
 * attempts, HEAD on every link, amr claims, and no difference between a
 * known address and an unknown one.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth_client.h"
#include "client.h"
#include "suites.h"

struct mail {
	char name[256], subject[256], link[2048], code[16];
	int count; /* mails to the address in all */
};

/* The newest mail to address (file names sort by time), and how many. */
static void
mail_read(const char *address, struct mail *m)
{
	char dirpath[512], path[1024], line[2048];
	DIR *d;
	struct dirent *e;

	memset(m, 0, sizeof(*m));
	snprintf(dirpath, sizeof(dirpath), "%s/mail", getenv("FB_STACK_DIR"));
	ck_assert_ptr_nonnull(d = opendir(dirpath));
	while ((e = readdir(d)) != NULL) {
		struct mail cur = { 0 };
		bool to = false;
		FILE *f;

		if (strstr(e->d_name, ".eml") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			char *p;

			line[strcspn(line, "\r\n")] = '\0';
			if (strncmp(line, "To: <", 5) == 0 &&
			    strncasecmp(line + 5, address, strlen(address)) == 0 &&
			    line[5 + strlen(address)] == '>')
				to = true;
			else if (strncmp(line, "Subject: ", 9) == 0)
				snprintf(cur.subject, sizeof(cur.subject), "%.200s", line + 9);
			else if (cur.link[0] == '\0' && (p = strstr(line, "http")) != NULL)
				snprintf(cur.link, sizeof(cur.link), "%s", p);
			else if ((p = strstr(line, "enter this code: ")) != NULL &&
			    cur.code[0] == '\0')
				snprintf(cur.code, sizeof(cur.code), "%s", p + 17);
		}
		fclose(f);
		if (!to)
			continue;
		m->count++;
		if (strcmp(e->d_name, m->name) > 0) {
			snprintf(cur.name, sizeof(cur.name), "%s", e->d_name);
			cur.count = m->count;
			*m = cur;
		}
	}
	closedir(d);
	if (strstr(m->link, "token=") != NULL)
		remember(strrchr(m->link, '=') + 1);
}

static int
mail_count(const char *address)
{
	struct mail m;

	mail_read(address, &m);
	return m.count;
}

/* Links of the address may be asked for again at once. */
static void
forget_throttle(const char *address)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "UPDATE auth.magic_links SET created_at = created_at - interval '1 hour'"
	    " WHERE lower(email) = lower('%s')",
	    address);
	stack_psql(sql);
}

/* The amr method of an access token. */
static void
assert_amr(const char *access, const char *method)
{
	char payload[4096], want[64];
	const char *dot = strchr(access, '.'), *end = dot ? strchr(dot + 1, '.') : NULL;
	size_t n;

	ck_assert_ptr_nonnull(end);
	ck_assert_int_eq(sodium_base642bin((unsigned char *)payload, sizeof(payload) - 1, dot + 1,
	                     (size_t)(end - dot - 1), NULL, &n, NULL,
	                     sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	    0);
	payload[n] = '\0';
	snprintf(want, sizeof(want), "\"amr\":[{\"method\":\"%s\",\"timestamp\":", method);
	ck_assert_msg(strstr(payload, want) != NULL, "%s in %s", want, payload);
}

/* POST /auth/verify with an address and a code: its status. */
static long
verify_code(const char *type, const char *email, const char *code, struct session *s,
    const char *ip)
{
	struct http_resp r;
	long st;

	auth_post(&r, "/auth/verify", NULL, ip,
	    "{\"type\":\"%s\",\"email\":\"%s\",\"code\":\"%s\"}", type, email, code);
	st = r.status;
	if (st == 200 && s != NULL)
		parse_session(&r, s);
	http_resp_free(&r);
	return st;
}

START_TEST(test_confirm_by_link_and_code)
{
	struct http_resp r;
	struct session s;
	struct mail m;
	struct json_object *o, *user;

	stack_set("auth", "confirm_email", "on");
	auth_post(&r, "/auth/signup", NULL, "10.0.40.1", "{\"email\":\"%s\",\"password\":\"%s\"}",
	    "confirm-link@example.com", PASSWORD);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	o = json_body(&r);
	ck_assert(json_object_object_get_ex(o, "user", &user));
	ck_assert_str_eq(jstr(user, "email_verified"), "false");
	ck_assert_ptr_null(json_object_object_get(o, "session"));
	json_object_put(o);
	http_resp_free(&r);
	/* The right password, not yet confirmed: 403; a wrong one: 401 as ever. */
	auth_call(&r, "POST", "/auth/signin", NULL,
	    "{\"email\":\"confirm-link@example.com\",\"password\":\"" PASSWORD "\"}", "10.0.40.1");
	assert_error(&r, 403, "EMAIL_NOT_CONFIRMED");
	http_resp_free(&r);
	ck_assert_int_eq(signin(NULL, "confirm-link@example.com", "wrong password", "10.0.40.1"),
	    401);
	mail_read("confirm-link@example.com", &m);
	ck_assert_str_eq(m.subject, "Confirm your address");
	ck_assert_ptr_nonnull(strstr(m.link, "/api/v1/auth/verify?type=signup&token="));
	ck_assert_uint_eq(strlen(m.code), 6);
	/* HEAD consumes nothing; GET signs in once. */
	ck_assert_int_eq(get_url("HEAD", m.link, NULL), 200);
	ck_assert_int_eq(get_url("HEAD", m.link, NULL), 200);
	ck_assert_int_eq(get_url("GET", m.link, &r), 200);
	parse_session(&r, &s);
	http_resp_free(&r);
	assert_amr(s.access, "otp");
	ck_assert_int_eq(get_url("GET", m.link, NULL), 401);
	ck_assert_int_eq(get_url("HEAD", m.link, NULL), 401);
	/* The link's code died with it. */
	ck_assert_int_eq(verify_code("signup", "confirm-link@example.com", m.code, NULL,
	                     "10.0.40.1"),
	    401);
	ck_assert_int_eq(signin(&s, "confirm-link@example.com", PASSWORD, "10.0.40.1"), 200);
	assert_amr(s.access, "password");

	/* By code. */
	auth_post(&r, "/auth/signup", NULL, "10.0.40.2", "{\"email\":\"%s\",\"password\":\"%s\"}",
	    "confirm-code@example.com", PASSWORD);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	mail_read("confirm-code@example.com", &m);
	ck_assert_int_eq(verify_code("signup", "confirm-code@example.com", m.code, &s, "10.0.40.2"),
	    200);
	ck_assert_int_eq(get_url("HEAD", m.link, NULL), 401);
	ck_assert_int_eq(signin(NULL, "confirm-code@example.com", PASSWORD, "10.0.40.2"), 200);

	/* Resend: a new link kills the previous one. */
	auth_post(&r, "/auth/signup", NULL, "10.0.40.3", "{\"email\":\"%s\",\"password\":\"%s\"}",
	    "confirm-resend@example.com", PASSWORD);
	http_resp_free(&r);
	mail_read("confirm-resend@example.com", &m);
	forget_throttle("confirm-resend@example.com");
	auth_post(&r, "/auth/resend", NULL, "10.0.40.3", "{\"type\":\"%s\",\"email\":\"%s\"}",
	    "signup", "confirm-resend@example.com");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	{
		struct mail again;

		mail_read("confirm-resend@example.com", &again);
		ck_assert_int_eq(again.count, 2);
		ck_assert_int_eq(get_url("HEAD", m.link, NULL), 401);
		ck_assert_int_eq(get_url("HEAD", again.link, NULL), 200);
		ck_assert_int_eq(get_url("GET", again.link, NULL), 200);
	}
	stack_set("auth", "confirm_email", "off");
}
END_TEST

/* A squatter signs up with the owner's address; the owner signs up too
 * and confirms: the squatter's password must not survive the proof. */
START_TEST(test_contested_signup_drops_the_password)
{
	struct http_resp r;
	struct session s;
	struct mail m;

	stack_set("auth", "confirm_email", "on");
	auth_post(&r, "/auth/signup", NULL, "10.0.40.7", "{\"email\":\"%s\",\"password\":\"%s\"}",
	    "contested@example.com", "the squatter's password");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	forget_throttle("contested@example.com");
	auth_post(&r, "/auth/signup", NULL, "10.0.40.8", "{\"email\":\"%s\",\"password\":\"%s\"}",
	    "contested@example.com", "the owner's password");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	mail_read("contested@example.com", &m);
	ck_assert_int_eq(get_url("GET", m.link, &r), 200);
	parse_session(&r, &s);
	http_resp_free(&r);
	/* Neither password works: whoever set it never proved the address. */
	ck_assert_int_eq(signin(NULL, "contested@example.com", "the squatter's password",
	                     "10.0.40.7"),
	    401);
	ck_assert_int_eq(signin(NULL, "contested@example.com", "the owner's password", "10.0.40.8"),
	    401);
	/* The owner, signed in by the link, sets one. */
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"password\":\"the owner's new one\"}",
	    "10.0.40.8");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_int_eq(signin(NULL, "contested@example.com", "the owner's new one", "10.0.40.8"),
	    200);
	stack_set("auth", "confirm_email", "off");
}
END_TEST

/* The whole .eml of the newest mail to address. */
static char *
mail_text(const char *address)
{
	struct mail m;
	char path[1024];
	FILE *f;
	char *buf = calloc(1, 65536);
	size_t n;

	mail_read(address, &m);
	ck_assert(m.count > 0);
	snprintf(path, sizeof(path), "%s/mail/%s", getenv("FB_STACK_DIR"), m.name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Templates from [mail] templates_dir, their values escaped in HTML. */
START_TEST(test_mail_templates)
{
	static const char *const files[][2] = {
		{ "signup.subject", "Welcome, {{email}}" },
		{ "signup.txt",
		    "Your code is {{code}}. Open {{link}} ({{site_url}}) as {{email}}.\n" },
		{ "signup.html",
		    "<p class=\"x\">Hello {{email}}: <a href=\"{{link}}\">go</a></p>" },
	};
	const char *addr = "o'hara&co@example.com";
	char dir[512], path[700], *eml, *html, *p, decoded[4096];
	unsigned char bin[4096];
	struct http_resp r;
	size_t n;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/templates", getenv("FB_STACK_DIR"));
	mkdir(dir, 0755);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs(files[i][1], f);
		fclose(f);
	}
	stack_set("mail", "templates_dir", dir);
	stack_set("auth", "confirm_email", "on");
	auth_post(&r, "/auth/signup", NULL, "10.0.40.9", "{\"email\":\"%s\",\"password\":\"%s\"}",
	    addr, PASSWORD);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	eml = mail_text(addr);
	ck_assert_ptr_nonnull(strstr(eml, "Subject: Welcome, o'hara&co@example.com"));
	ck_assert_ptr_nonnull(strstr(eml, "multipart/alternative"));
	/* The text part as written, with the code and the link. */
	ck_assert_ptr_nonnull(strstr(eml, "Your code is "));
	ck_assert_ptr_nonnull(strstr(eml, "as o'hara&co@example.com."));
	ck_assert_ptr_nonnull(strstr(eml, "/api/v1/auth/verify?type=signup&token="));
	/* The HTML part, in base64: the address escaped. */
	html = strstr(eml, "Content-Type: text/html");
	ck_assert_ptr_nonnull(html);
	ck_assert_ptr_nonnull(p = strstr(html, "\r\n\r\n"));
	p += 4;
	ck_assert_int_eq(sodium_base642bin(bin, sizeof(bin) - 1, p, strcspn(p, "-"), "\r\n", &n,
	                     NULL, sodium_base64_VARIANT_ORIGINAL),
	    0);
	memcpy(decoded, bin, n);
	decoded[n] = '\0';
	ck_assert_msg(strstr(decoded, "Hello o&#39;hara&amp;co@example.com:") != NULL, "%s",
	    decoded);
	ck_assert_ptr_nonnull(strstr(decoded, "<p class=\"x\">"));
	ck_assert_ptr_nonnull(strstr(decoded, "type=signup&amp;token="));
	free(eml);
	stack_set("auth", "confirm_email", "off");
	stack_set("mail", "templates_dir", "");
}
END_TEST

START_TEST(test_recover_by_link_and_code)
{
	struct session first, other, rec;
	struct http_resp r;
	struct mail m;

	signup(&first, "recover@example.com", "10.0.41.1");
	ck_assert_int_eq(signin(&other, "recover@example.com", PASSWORD, "10.0.41.1"), 200);
	auth_post(&r, "/auth/recover", NULL, "10.0.41.2", "{\"email\":\"%s\"}",
	    "recover@example.com");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	mail_read("recover@example.com", &m);
	ck_assert_str_eq(m.subject, "Reset your password");
	ck_assert_int_eq(get_url("HEAD", m.link, NULL), 200);
	ck_assert_int_eq(get_url("GET", m.link, &r), 200);
	parse_session(&r, &rec);
	http_resp_free(&r);
	assert_amr(rec.access, "recovery");
	/* The recovery session sets a password: the other sessions end. */
	auth_call(&r, "PATCH", "/auth/user", rec.access, "{\"password\":\"a recovered one\"}",
	    "10.0.41.2");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_int_eq(status_of("GET", "/auth/user", other.access, "10.0.41.1"), 401);
	ck_assert_int_eq(refresh(first.refresh, NULL, "10.0.41.1"), 401);
	ck_assert_int_eq(status_of("GET", "/auth/user", rec.access, "10.0.41.2"), 200);
	ck_assert_int_eq(signin(NULL, "recover@example.com", "a recovered one", "10.0.41.2"), 200);

	/* By code; a second request inside the interval sends nothing, says the same. */
	forget_throttle("recover@example.com");
	auth_post(&r, "/auth/recover", NULL, "10.0.41.3", "{\"email\":\"%s\"}",
	    "recover@example.com");
	http_resp_free(&r);
	auth_post(&r, "/auth/recover", NULL, "10.0.41.3", "{\"email\":\"%s\"}",
	    "recover@example.com");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	mail_read("recover@example.com", &m);
	ck_assert_int_eq(m.count, 2);
	ck_assert_int_eq(verify_code("recovery", "recover@example.com", m.code, &rec, "10.0.41.3"),
	    200);
	assert_amr(rec.access, "recovery");
}
END_TEST

START_TEST(test_email_change)
{
	struct session s, taken;
	struct http_resp r;
	struct mail to_new, to_old;
	struct json_object *o;

	signup(&s, "change-old@example.com", "10.0.42.1");
	signup(&taken, "change-taken@example.com", "10.0.42.1");
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"email\":\"change-new@example.com\"}",
	    "10.0.42.1");
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "email"), "change-old@example.com");
	ck_assert_str_eq(jstr(o, "new_email"), "change-new@example.com");
	json_object_put(o);
	http_resp_free(&r);
	mail_read("change-old@example.com", &to_old);
	ck_assert_str_eq(to_old.subject, "Your address is changing");
	ck_assert_str_eq(to_old.link, "");
	mail_read("change-new@example.com", &to_new);
	ck_assert_str_eq(to_new.subject, "Confirm your new address");
	/* Only from the new address: its code, typed with the old one, is refused. */
	ck_assert_int_eq(verify_code("email_change", "change-old@example.com", to_new.code, NULL,
	                     "10.0.42.1"),
	    401);
	ck_assert_int_eq(get_url("HEAD", to_new.link, NULL), 200);
	ck_assert_int_eq(get_url("GET", to_new.link, &r), 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "email"), "change-new@example.com");
	ck_assert_ptr_null(json_object_object_get(o, "new_email"));
	json_object_put(o);
	http_resp_free(&r);
	ck_assert_int_eq(signin(NULL, "change-new@example.com", PASSWORD, "10.0.42.1"), 200);
	ck_assert_int_eq(signin(NULL, "change-old@example.com", PASSWORD, "10.0.42.1"), 401);

	/* A taken address: the same 200, nothing mailed to its owner. */
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"email\":\"change-taken@example.com\"}",
	    "10.0.42.1");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_int_eq(mail_count("change-taken@example.com"), 0);
}
END_TEST

START_TEST(test_invite_and_generate_link)
{
	char service[2048];
	struct http_resp r;
	struct session s;
	struct mail m;
	struct json_object *o;

	mint_token(service, sizeof(service), "service_role", NULL);
	/* Not for anon or users. */
	auth_call(&r, "POST", "/auth/admin/invite", NULL, "{\"email\":\"nope@example.com\"}",
	    "10.0.43.1");
	ck_assert_int_eq(r.status, 401);
	http_resp_free(&r);
	signup(&s, "inviter@example.com", "10.0.43.1");
	auth_call(&r, "POST", "/auth/admin/invite", s.access, "{\"email\":\"nope@example.com\"}",
	    "10.0.43.1");
	ck_assert_int_eq(r.status, 403);
	http_resp_free(&r);

	auth_call(&r, "POST", "/auth/admin/invite", service,
	    "{\"email\":\"invited@example.com\",\"user_metadata\":{\"team\":\"a\"}}", "10.0.43.1");
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	mail_read("invited@example.com", &m);
	ck_assert_str_eq(m.subject, "You are invited");
	ck_assert_int_eq(get_url("HEAD", m.link, NULL), 200);
	ck_assert_int_eq(get_url("GET", m.link, &r), 200);
	parse_session(&r, &s);
	http_resp_free(&r);
	assert_amr(s.access, "invite");
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"password\":\"an invited password\"}",
	    "10.0.43.1");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_int_eq(signin(NULL, "invited@example.com", "an invited password", "10.0.43.1"),
	    200);
	/* A confirmed account is not invited again. */
	auth_call(&r, "POST", "/auth/admin/invite", service, "{\"email\":\"invited@example.com\"}",
	    "10.0.43.1");
	assert_error(&r, 409, "USER_EXISTS");
	http_resp_free(&r);

	/* A generated link: given back, never mailed. */
	auth_call(&r, "POST", "/auth/admin/generate-link", service,
	    "{\"type\":\"recovery\",\"email\":\"invited@example.com\"}", "10.0.43.1");
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "verification_type"), "recovery");
	ck_assert_uint_eq(strlen(jstr(o, "email_otp")), 6);
	ck_assert_ptr_nonnull(strstr(jstr(o, "action_link"), "/auth/verify?type=recovery&token="));
	remember(strrchr(jstr(o, "action_link"), '=') + 1);
	ck_assert_int_eq(mail_count("invited@example.com"), 1);
	ck_assert_int_eq(get_url("HEAD", jstr(o, "action_link"), NULL), 200);
	ck_assert_int_eq(verify_code("recovery", "invited@example.com", jstr(o, "email_otp"), &s,
	                     "10.0.43.1"),
	    200);
	json_object_put(o);
	http_resp_free(&r);
	auth_call(&r, "POST", "/auth/admin/generate-link", service,
	    "{\"type\":\"recovery\",\"email\":\"nobody-here@example.com\"}", "10.0.43.1");
	assert_error(&r, 404, "USER_NOT_FOUND");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_code_attempts)
{
	struct http_resp r;
	struct mail m;
	char wrong[16];

	auth_post(&r, "/auth/magiclink", NULL, "10.0.44.1", "{\"email\":\"%s\"}",
	    "guess@example.com");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	mail_read("guess@example.com", &m);
	ck_assert_uint_eq(strlen(m.code), 6);
	/* otp_max_attempts (5) wrong codes, then the right one is dead too. */
	for (int i = 0; i < 5; i++) {
		snprintf(wrong, sizeof(wrong), "%06d", (atoi(m.code) + 1 + i) % 1000000);
		ck_assert_int_eq(verify_code("magiclink", "guess@example.com", wrong, NULL,
		                     "10.0.44.2"),
		    401);
	}
	ck_assert_int_eq(verify_code("magiclink", "guess@example.com", m.code, NULL, "10.0.44.2"),
	    401);
	ck_assert_int_eq(get_url("HEAD", m.link, NULL), 401);
	/* A code of the wrong shape never reaches the database. */
	ck_assert_int_eq(verify_code("magiclink", "guess@example.com", "12ab56", NULL, "10.0.44.3"),
	    401);
}
END_TEST

static void
confirm_off(void)
{
	char path[512], line[256];
	bool on = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fluxbase.conf", getenv("FB_STACK_DIR"));
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "confirm_email", 13) == 0)
			on = strstr(line, "= on") != NULL;
	fclose(f);
	if (on)
		stack_set("auth", "confirm_email", "off");
}

TCase *
auth_flows_tcase(void)
{
	TCase *tc = tcase_create("auth_flows");

	tcase_add_checked_fixture(tc, confirm_off, NULL);
	tcase_add_test(tc, test_confirm_by_link_and_code);
	tcase_add_test(tc, test_contested_signup_drops_the_password);
	tcase_add_test(tc, test_mail_templates);
	tcase_add_test(tc, test_recover_by_link_and_code);
	tcase_add_test(tc, test_email_change);
	tcase_add_test(tc, test_invite_and_generate_link);
	tcase_add_test(tc, test_code_attempts);
	auth_enumeration_tests(tc);
	return tc;
}
