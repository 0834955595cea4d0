/* Unit tests of auth's pure pieces: redirect targets against the allow list. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "auth/fields.h"
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
		ck_assert_msg(auth_redirect_allowed(redirect_cases[i].list, redirect_cases[i].url) ==
		        redirect_cases[i].ok, "list '%s' url '%s': expected %s", redirect_cases[i].list,
		    redirect_cases[i].url, redirect_cases[i].ok ? "allowed" : "refused");
}
END_TEST

Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("redirect");

	tcase_add_test(tc, test_redirect_allow_list);
	suite_add_tcase(s, tc);
	return s;
}
