/*
 * Unit tests of auth's pure pieces: redirect targets against the allow
 * list, the shapes of e-mail addresses and tokens, refresh tokens sealed
 * and opened.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "auth/fields.h"
#include "auth/tokens.h"
#include "conf.h"
#include "suites.h"

static const struct {
	const char *list, *url;
	bool ok;
} redirect_cases[] = {
	/* The review's two bypasses of a text prefix. */
	{ "https://app.example.com", "https://app.example.com.evil.example/", false },
	{ "https://app.example.com", "https://app.example.com@evil.example/", false },
	{ "https://app.example.com", "https://app.example.com", true },
	{ "https://app.example.com", "https://app.example.com/", true },
	{ "https://app.example.com", "https://app.example.com/welcome?x=1", true },
	{ "https://app.example.com", "https://APP.Example.COM/a", true },
	{ "https://app.example.com", "HTTPS://app.example.com/a", true },
	{ "https://app.example.com", "https://app.example.com:443/a", true },
	{ "https://app.example.com", "https://app.example.com:8443/a", false },
	{ "https://app.example.com", "http://app.example.com/a", false },
	{ "https://app.example.com", "https://evil.example/?https://app.example.com", false },
	{ "https://app.example.com", "https://user:pw@app.example.com/", false },
	{ "https://app.example.com", "https://app.example.com\\@evil.example/", false },
	{ "https://app.example.com", "https://app.example.com%2f@evil.example/", false },
	{ "https://app.example.com", "https://app.example.com%2eevil.example/", false },
	{ "https://app.example.com", "https://app.example.com /", false },
	{ "https://app.example.com", "https://app.example.com/\r\nx", false },
	{ "https://app.example.com", "https://app.example.com/#frag", false },
	{ "https://app.example.com", "//app.example.com/", false },
	{ "https://app.example.com", "https:app.example.com/", false },
	{ "https://app.example.com", "javascript://app.example.com/%0aalert(1)", false },
	{ "https://app.example.com", "https://app.example.com:/", false },
	{ "https://app.example.com", "https://app.example.com:99999/", false },
	{ "https://app.example.com", "https://.app.example.com/", false },
	{ "https://app.example.com", "", false },
	/* Paths match on a '/' boundary, never inside a segment. */
	{ "https://app.example/cb", "https://app.example/cb", true },
	{ "https://app.example/cb", "https://app.example/cb/", true },
	{ "https://app.example/cb", "https://app.example/cb/x?y", true },
	{ "https://app.example/cb", "https://app.example/cb?y", true },
	{ "https://app.example/cb", "https://app.example/cbevil", false },
	{ "https://app.example/cb", "https://app.example/", false },
	{ "https://app.example/cb/", "https://app.example/cb/x", true },
	{ "https://app.example/cb/", "https://app.example/cbx", false },
	{ "https://app.example/cb", "https://app.example/cb/../admin", false },
	{ "https://app.example/cb", "https://app.example/cb/%2e%2E/admin", false },
	{ "https://app.example/cb", "https://app.example/cb/./x", false },
	{ "https://app.example/cb", "https://app.example/cb/...x", true },
	/* Ports, explicit on both sides or by default. */
	{ "http://localhost:3000", "http://localhost:3000/x", true },
	{ "http://localhost:3000", "http://localhost/x", false },
	{ "http://localhost:80", "http://localhost/x", true },
	{ "http://[::1]:3000", "http://[::1]:3000/", true },
	{ "http://[::1]:3000", "http://[::1]/", false },
	/* Custom schemes of mobile apps; lists of several entries. */
	{ "com.example.app://login", "com.example.app://login/done", true },
	{ "com.example.app://login", "com.example.evil://login/done", false },
	{ "https://a.example, https://b.example/cb", "https://b.example/cb/1", true },
	{ "https://a.example,https://b.example/cb", "https://b.example/x", false },
	{ "https://a.example https://b.example", "https://a.example/", true },
	/* Entries that are not URLs allow nothing. */
	{ "app.example.com", "https://app.example.com/", false },
	{ "https://app.example.com?x", "https://app.example.com/?x", false },
	{ "", "https://app.example.com/", false },
};

START_TEST(test_redirect_allow_list)
{
	for (size_t i = 0; i < sizeof(redirect_cases) / sizeof(redirect_cases[0]); i++)
		ck_assert_msg(auth_redirect_allowed(redirect_cases[i].list,
		                  redirect_cases[i].url) == redirect_cases[i].ok,
		    "list '%s' url '%s': expected %s", redirect_cases[i].list,
		    redirect_cases[i].url, redirect_cases[i].ok ? "allowed" : "refused");
}
END_TEST

static const struct {
	const char *email;
	bool ok;
} email_cases[] = {
	{ "a@b.co", true },
	{ "first.last+tag@mail.example.com", true },
	{ "x_y-z@sub-domain.example", true },
	{ "a@b", false }, /* no dot in the domain */
	{ "@b.co", false },
	{ "a@", false },
	{ "ab.co", false },
	{ "a@@b.co", false },
	{ "a@b@c.co", false },
	{ ".a@b.co", false },
	{ "a.@b.co", false },
	{ "a..b@c.co", false },
	{ "a@.b.co", false },
	{ "a@b..co", false },
	{ "a@b.co.", false },
	{ "a@b-.co", false },
	{ "a@b_c.co", false },
	{ "a b@c.co", false },
	{ "a\tb@c.co", false },
	{ "\"a\"@b.co", false },
	{ "a<b@c.co", false },
	{ "a,b@c.co", false },
	{ "a@b.co\r\n", false },
	{ "\xc3\xa9@b.co", false },
	{ "a@b\xc3\xa9.co", false },
	{ "", false },
};

START_TEST(test_email_shapes)
{
	char local[80], long_email[300];

	for (size_t i = 0; i < sizeof(email_cases) / sizeof(email_cases[0]); i++)
		ck_assert_msg(auth_email_is_valid(email_cases[i].email) == email_cases[i].ok,
		    "'%s': expected %s", email_cases[i].email,
		    email_cases[i].ok ? "valid" : "invalid");
	/* At most 64 bytes before the '@', 254 in all. */
	memset(local, 'a', 64);
	strcpy(local + 64, "@b.co");
	ck_assert(auth_email_is_valid(local));
	memset(local, 'a', 65);
	strcpy(local + 65, "@b.co");
	ck_assert(!auth_email_is_valid(local));
	strcpy(long_email, "a@");
	memset(long_email + 2, 'b', 248);
	strcpy(long_email + 250, ".com");
	ck_assert_uint_eq(strlen(long_email), 254);
	ck_assert(auth_email_is_valid(long_email));
	strcpy(long_email + 250, ".comm");
	ck_assert(!auth_email_is_valid(long_email));
}
END_TEST

START_TEST(test_token_shapes)
{
	char t[140];

	ck_assert(!auth_token_shape_ok(NULL));
	ck_assert(!auth_token_shape_ok(""));
	memset(t, 'a', sizeof(t));
	t[19] = '\0';
	ck_assert(!auth_token_shape_ok(t));
	t[19] = 'a';
	t[20] = '\0';
	ck_assert(auth_token_shape_ok(t));
	t[20] = 'a';
	t[128] = '\0';
	ck_assert(auth_token_shape_ok(t));
	t[128] = 'a';
	t[129] = '\0';
	ck_assert(!auth_token_shape_ok(t));
	ck_assert(auth_token_shape_ok("abcdefghij-_ABCDEFGH0123456789"));
	ck_assert(!auth_token_shape_ok("abcdefghij+/ABCDEFGH0123456789"));
	ck_assert(!auth_token_shape_ok("abcdefghij=ABCDEFGH0123456789"));
	ck_assert(!auth_token_shape_ok("abcdefghij ABCDEFGH0123456789"));
}
END_TEST

START_TEST(test_refresh_token_box)
{
	char secret[] = "unit-test-secret-unit-test-secret", other_secret[] = "another-secret";
	struct conf c = { 0 }, other = { 0 };
	struct refresh_token t, u;
	char hash[REFRESH_TOKEN_HASH_SIZE], out[REFRESH_TOKEN_TEXT_MAX];

	c.jwt_secret = secret;
	other.jwt_secret = other_secret;
	refresh_token_new(&c, &t);
	refresh_token_new(&c, &u);
	/* 32 random bytes in base64url, a shape auth accepts. */
	ck_assert_uint_eq(strlen(t.token), 43);
	ck_assert(auth_token_shape_ok(t.token));
	ck_assert_str_ne(t.token, u.token);
	/* The stored hash is the hash of the token the client gets. */
	refresh_token_hash(t.token, hash);
	ck_assert_str_eq(hash, t.hash);
	ck_assert_uint_eq(strlen(hash), 2 + 64);
	ck_assert(strncmp(hash, "\\x", 2) == 0);
	/* The box opens with the same secret only, into a buffer big enough. */
	ck_assert_int_eq(refresh_token_open(&c, t.box, out, sizeof(out)), 0);
	ck_assert_str_eq(out, t.token);
	ck_assert_int_eq(refresh_token_open(&other, t.box, out, sizeof(out)), -1);
	ck_assert_int_eq(refresh_token_open(&c, t.box, out, strlen(t.token)), -1);
	t.box[10] = t.box[10] == '0' ? '1' : '0';
	ck_assert_int_eq(refresh_token_open(&c, t.box, out, sizeof(out)), -1);
	ck_assert_int_eq(refresh_token_open(&c, NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(refresh_token_open(&c, "x00", out, sizeof(out)), -1);
	ck_assert_int_eq(refresh_token_open(&c, "\\x00", out, sizeof(out)), -1);
}
END_TEST

Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("redirect");

	tcase_add_test(tc, test_redirect_allow_list);
	suite_add_tcase(s, tc);
	tc = tcase_create("fields");
	tcase_add_test(tc, test_email_shapes);
	tcase_add_test(tc, test_token_shapes);
	suite_add_tcase(s, tc);
	tc = tcase_create("tokens");
	tcase_add_test(tc, test_refresh_token_box);
	suite_add_tcase(s, tc);
	return s;
}
