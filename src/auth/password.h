/*
 * auth/password.h - Argon2id password hashes (libsodium crypto_pwhash).
 */
#ifndef FLUXBASE_AUTH_PASSWORD_H
#define FLUXBASE_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

struct conf;

#define PASSWORD_MAX_BYTES 1024

int password_hash(const struct conf *c, const char *pw, size_t len,
    char out[crypto_pwhash_STRBYTES]);
/* 0 when pw matches hash. */
int password_verify(const char *hash, const char *pw, size_t len);
bool password_needs_rehash(const struct conf *c, const char *hash);
/* The dummy hash for the current costs: called by the master at start and
 * on reload, so workers inherit it. */
void password_dummy_prepare(const struct conf *c);
/* Costs what a real verification costs, for unknown accounts. */
void password_dummy_verify(const struct conf *c, const char *pw, size_t len);
/* NULL when acceptable, else the reason. */
const char *password_check_strength(const struct conf *c, const char *pw, size_t len);

#endif
