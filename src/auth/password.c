/*
 * auth/password.c - hashing, verification and the dummy verification that
 * makes "no such account" cost as much as "wrong password".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "conf.h"
#include "log.h"

int
password_hash(const struct conf *c, const char *pw, size_t len, char out[crypto_pwhash_STRBYTES])
{
	if (crypto_pwhash_str(out, pw, len, (unsigned long long)c->password_ops_limit,
	        c->password_mem_limit) != 0) {
		log_err("%s: out of memory for Argon2id (%zu bytes)", __func__,
		    c->password_mem_limit);
		return -1;
	}
	return 0;
}

int
password_verify(const char *hash, const char *pw, size_t len)
{
	if (hash == NULL ||
	    strncmp(hash, crypto_pwhash_STRPREFIX, strlen(crypto_pwhash_STRPREFIX)) != 0)
		return -1;
	return crypto_pwhash_str_verify(hash, pw, len) == 0 ? 0 : -1;
}

bool
password_needs_rehash(const struct conf *c, const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, (unsigned long long)c->password_ops_limit,
	           c->password_mem_limit) != 0;
}

static char dummy[crypto_pwhash_STRBYTES];
static int dummy_ops;
static size_t dummy_mem;

void
password_dummy_prepare(const struct conf *c)
{
	unsigned char junk[32];
	char pass[65];

	if (dummy[0] != '\0' && dummy_ops == c->password_ops_limit &&
	    dummy_mem == c->password_mem_limit)
		return;
	randombytes_buf(junk, sizeof(junk));
	sodium_bin2hex(pass, sizeof(pass), junk, sizeof(junk));
	if (password_hash(c, pass, strlen(pass), dummy) < 0) {
		dummy[0] = '\0';
		return;
	}
	dummy_ops = c->password_ops_limit;
	dummy_mem = c->password_mem_limit;
}

void
password_dummy_verify(const struct conf *c, const char *pw, size_t len)
{
	/* Normally made by the master before the workers fork, so the first
	 * unknown email a worker sees costs no more than the next one. */
	password_dummy_prepare(c);
	(void)password_verify(dummy, pw, len);
}

const char *
password_check_strength(const struct conf *c, const char *pw, size_t len)
{
	size_t chars = 0;

	if (len > PASSWORD_MAX_BYTES)
		return "The password is longer than 1024 bytes";
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)pw[i] & 0xC0) != 0x80)
			chars++;
	if (chars < (size_t)c->password_min_length)
		return "The password is too short";
	return NULL;
}
