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
/* The pool's hashing gate (auth/password.c): the master makes it at start
 * and sets its size from [auth] hash_concurrency at start and on reload,
 * before it forks the generation's workers; each worker joins it once
 * forked.  Outside a pool, or when the gate cannot be made, hashes pass
 * freely.  0, or -1 logged. */
int password_gate_setup(const struct conf *c);
void password_gate_join(void);
/* The dummy hash for the current costs: called by the master at start and
 * on reload, so workers inherit it. */
void password_dummy_prepare(const struct conf *c);
/* Costs what a real verification costs, for unknown accounts. */
void password_dummy_verify(const struct conf *c, const char *pw, size_t len);
/* NULL when acceptable, else the reason. */
const char *password_check_strength(const struct conf *c, const char *pw, size_t len);

#endif
