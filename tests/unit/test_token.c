#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "suites.h"
#include "token.h"

static const char secret[] = "0123456789abcdef0123456789abcdef";
static const struct token_key key = { secret, "fluxbase", "authenticated" };

START_TEST(test_roundtrip)
{
	struct token_claims c = { .role = "service_role",
		.ttl = 60,
		.sub = "3f2a0e44-7a4c-4d3b-9d1e-0a6b0c1d2e3f" };
	char *tok = token_mint(&key, &c, time(NULL)), *claims;

	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(token_verify(&key, tok, time(NULL), &claims), TOKEN_OK);
	ck_assert_ptr_nonnull(strstr(claims, "\"role\":\"service_role\""));
	ck_assert_ptr_nonnull(strstr(claims, "\"iss\":\"fluxbase\""));
	ck_assert_ptr_nonnull(strstr(claims, "3f2a0e44-7a4c-4d3b-9d1e-0a6b0c1d2e3f"));
	free(claims);
	/* Wrong key, expiry past the skew, not yet valid. */
	ck_assert_int_eq(token_verify(&(struct token_key){ "another-secret-another-secret-xx",
	                                  "fluxbase", "authenticated" },
	                     tok, time(NULL), &claims),
	    TOKEN_INVALID);
	ck_assert_int_eq(token_verify(&key, tok, time(NULL) + 60 + TOKEN_SKEW + 5, &claims),
	    TOKEN_EXPIRED);
	ck_assert_int_eq(token_verify(&key, tok, time(NULL) + 60 + TOKEN_SKEW - 5, &claims),
	    TOKEN_OK);
	free(claims);
	ck_assert_int_eq(token_verify(&key, tok, time(NULL) - 3600, &claims), TOKEN_INVALID);
	/* Tampered payload. */
	tok[strlen(tok) / 2] ^= 1;
	ck_assert_int_eq(token_verify(&key, tok, time(NULL), &claims), TOKEN_INVALID);
	free(tok);
}
END_TEST

START_TEST(test_other_algorithms_refused)
{
	jwt_t *jwt;
	char *tok, *claims;
	/* {"alg":"none","typ":"JWT"}.{"role":"service_role","exp":9999999999}. */
	const char *none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
	                   "eyJyb2xlIjoic2VydmljZV9yb2xlIiwiZXhwIjo5OTk5OTk5OTk5fQ.";

	ck_assert_int_eq(token_verify(&key, none, time(NULL), &claims), TOKEN_INVALID);
	ck_assert_int_eq(jwt_new(&jwt), 0);
	jwt_set_alg(jwt, JWT_ALG_HS384, (const unsigned char *)secret, (int)strlen(secret));
	jwt_add_grant(jwt, "role", "service_role");
	jwt_add_grant_int(jwt, "exp", (long)time(NULL) + 60);
	tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(token_verify(&key, tok, time(NULL), &claims), TOKEN_INVALID);
	free(tok);
	ck_assert_int_eq(token_verify(&key, "not.a.token", time(NULL), &claims), TOKEN_INVALID);
	ck_assert_int_eq(token_verify(&key, "", time(NULL), &claims), TOKEN_INVALID);
}
END_TEST

/* A token signed with our secret by hand, with the given iss and aud
 * (raw JSON, or NULL for none). */
static char *
signed_with(const char *iss, const char *aud_json)
{
	jwt_t *jwt;
	char *tok, grants[256];

	snprintf(grants, sizeof(grants), "{\"role\":\"authenticated\",\"exp\":%ld%s%s%s%s%s}",
	    (long)time(NULL) + 60, iss ? ",\"iss\":\"" : "", iss ? iss : "", iss ? "\"" : "",
	    aud_json ? ",\"aud\":" : "", aud_json ? aud_json : "");
	ck_assert_int_eq(jwt_new(&jwt), 0);
	jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret));
	ck_assert_int_eq(jwt_add_grants_json(jwt, grants), 0);
	tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	ck_assert_ptr_nonnull(tok);
	return tok;
}

START_TEST(test_issuer_and_audience)
{
	static const struct {
		const char *iss, *aud;
		enum token_status want;
	} cases[] = {
		{ "fluxbase", "\"authenticated\"", TOKEN_OK },
		{ "fluxbase", "[\"other\",\"authenticated\"]", TOKEN_OK },
		{ "fluxbase", "\"other\"", TOKEN_INVALID },
		{ "fluxbase", "[\"other\"]", TOKEN_INVALID },
		{ "fluxbase", "[]", TOKEN_INVALID },
		{ "fluxbase", "17", TOKEN_INVALID },
		{ "fluxbase", NULL, TOKEN_INVALID },
		{ "supabase", "\"authenticated\"", TOKEN_INVALID },
		{ "fluxbase2", "\"authenticated\"", TOKEN_INVALID },
		{ NULL, "\"authenticated\"", TOKEN_INVALID },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *tok = signed_with(cases[i].iss, cases[i].aud), *claims = NULL;

		ck_assert_msg(token_verify(&key, tok, time(NULL), &claims) == cases[i].want,
		    "iss %s aud %s", cases[i].iss ? cases[i].iss : "-",
		    cases[i].aud ? cases[i].aud : "-");
		free(claims);
		free(tok);
	}
	/* A configured issuer and audience are what tokens are made with. */
	{
		struct token_key other = { secret, "https://auth.example", "api" };
		struct token_claims c = { .role = "authenticated", .ttl = 60 };
		char *tok = token_mint(&other, &c, time(NULL)), *claims = NULL;

		ck_assert_int_eq(token_verify(&other, tok, time(NULL), &claims), TOKEN_OK);
		free(claims);
		ck_assert_int_eq(token_verify(&key, tok, time(NULL), &claims), TOKEN_INVALID);
		free(tok);
	}
}
END_TEST

START_TEST(test_validators)
{
	ck_assert(token_role_is_valid("service_role"));
	ck_assert(!token_role_is_valid("Service"));
	ck_assert(!token_role_is_valid("x;drop"));
	ck_assert(!token_role_is_valid(""));
	ck_assert(token_uuid_is_valid("3f2a0e44-7a4c-4d3b-9d1e-0a6b0c1d2e3f"));
	ck_assert(!token_uuid_is_valid("3f2a0e44-7a4c-4d3b-9d1e-0a6b0c1d2e3"));
	ck_assert(!token_uuid_is_valid("3f2a0e44x7a4c-4d3b-9d1e-0a6b0c1d2e3f"));
}
END_TEST

Suite *
token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_other_algorithms_refused);
	tcase_add_test(tc, test_issuer_and_audience);
	tcase_add_test(tc, test_validators);
	suite_add_tcase(s, tc);
	return s;
}
