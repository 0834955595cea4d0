#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "suites.h"
#include "token.h"

static const char secret[] = "0123456789abcdef0123456789abcdef";

START_TEST(test_roundtrip)
{
	struct token_claims c = { .role = "service_role", .ttl = 60,
		.sub = "3f2a0e44-7a4c-4d3b-9d1e-0a6b0c1d2e3f" };
	char *tok = token_mint(secret, &c, time(NULL)), *claims;

	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(token_verify(secret, tok, time(NULL), &claims), TOKEN_OK);
	ck_assert_ptr_nonnull(strstr(claims, "\"role\":\"service_role\""));
	ck_assert_ptr_nonnull(strstr(claims, "\"iss\":\"fluxbase\""));
	ck_assert_ptr_nonnull(strstr(claims, "3f2a0e44-7a4c-4d3b-9d1e-0a6b0c1d2e3f"));
	free(claims);
	/* Wrong key, expiry past the skew, not yet valid. */
	ck_assert_int_eq(token_verify("another-secret-another-secret-xx", tok, time(NULL),
	    &claims), TOKEN_INVALID);
	ck_assert_int_eq(token_verify(secret, tok, time(NULL) + 60 + TOKEN_SKEW + 5, &claims),
	    TOKEN_EXPIRED);
	ck_assert_int_eq(token_verify(secret, tok, time(NULL) + 60 + TOKEN_SKEW - 5, &claims),
	    TOKEN_OK);
	free(claims);
	ck_assert_int_eq(token_verify(secret, tok, time(NULL) - 3600, &claims), TOKEN_INVALID);
	/* Tampered payload. */
	tok[strlen(tok) / 2] ^= 1;
	ck_assert_int_eq(token_verify(secret, tok, time(NULL), &claims), TOKEN_INVALID);
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

	ck_assert_int_eq(token_verify(secret, none, time(NULL), &claims), TOKEN_INVALID);
	ck_assert_int_eq(jwt_new(&jwt), 0);
	jwt_set_alg(jwt, JWT_ALG_HS384, (const unsigned char *)secret, (int)strlen(secret));
	jwt_add_grant(jwt, "role", "service_role");
	jwt_add_grant_int(jwt, "exp", (long)time(NULL) + 60);
	tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(token_verify(secret, tok, time(NULL), &claims), TOKEN_INVALID);
	free(tok);
	ck_assert_int_eq(token_verify(secret, "not.a.token", time(NULL), &claims),
	    TOKEN_INVALID);
	ck_assert_int_eq(token_verify(secret, "", time(NULL), &claims), TOKEN_INVALID);
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
	tcase_add_test(tc, test_validators);
	suite_add_tcase(s, tc);
	return s;
}
