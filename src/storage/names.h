/*
 * storage/names.h - what a bucket name and an object key may be, and the
 * signed-URL tokens that name one object.
 */
#ifndef FLUXBASE_STORAGE_NAMES_H
#define FLUXBASE_STORAGE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define STORAGE_KEY_MAX 1024
#define SIGNED_URL_SUFFIX "/signed-url"

/* NULL when acceptable, else the reason. */
const char *storage_bucket_check(const char *name);
const char *storage_key_check(const char *key);
bool utf8_is_valid(const char *s, size_t n);

/* "<expires>.<base64url HMAC-SHA256 over method, bucket, key, expires>" */
int signed_token_make(const char *secret, const char *bucket, const char *key, time_t expires,
    char *out, size_t n);
/* 0 when token names exactly this object and has not expired. */
int signed_token_check(const char *secret, const char *bucket, const char *key,
    const char *token, time_t now);

#endif
