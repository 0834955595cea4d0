/*
 * storage/signed_url.h - the tokens of signed URLs.
 *
 * "<expires>.<version>.<mac>": the expiry in canonical decimal, the
 * version of the object the URL was made for (12 base64url characters
 * derived from its blob, which every upload replaces), and a base64url
 * HMAC-SHA256 with [storage] signing_key over method, bucket, key, expiry
 * and version.  The MAC is checked before anything is looked up; the
 * version then has to be the object's current one, so a URL dies with its
 * object even when another object is uploaded at the same key.
 *
 * A token has a purpose, part of what the MAC covers: a download URL's
 * (GET) or a signed upload's (PUT, /storage/v1/object/upload/sign), so
 * neither opens the other's door.  An upload token's version field names
 * its mode (signed_upload_mode) instead of an object version.
 */
#ifndef FLUXBASE_STORAGE_SIGNED_URL_H
#define FLUXBASE_STORAGE_SIGNED_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SIGNED_VERSION_LEN 12

enum signed_purpose { SIGNED_DOWNLOAD, SIGNED_UPLOAD };

/* The version of the object whose bytes are blob_id. */
void signed_version(const char *blob_id, char out[SIGNED_VERSION_LEN + 1]);
int signed_token_make(const char *secret, const char *bucket, const char *key, const char *version,
    time_t expires, char *out, size_t n);
/* 0 when token is the server's own for this bucket and key and has not
 * expired; version receives the object version it names. */
int signed_token_check(const char *secret, const char *bucket, const char *key, const char *token,
    time_t now, char version[SIGNED_VERSION_LEN + 1]);
/* The version named by a checked token is blob_id's (constant time). */
bool signed_version_is(const char *version, const char *blob_id);

/* The same for a purpose (the two above are SIGNED_DOWNLOAD's). */
int signed_token_make_for(enum signed_purpose purpose, const char *secret, const char *bucket,
    const char *key, const char *version, time_t expires, char *out, size_t n);
int signed_token_check_for(enum signed_purpose purpose, const char *secret, const char *bucket,
    const char *key, const char *token, time_t now, char version[SIGNED_VERSION_LEN + 1]);
/* The version field of an upload token: its mode, replace or create. */
void signed_upload_mode(bool upsert, char out[SIGNED_VERSION_LEN + 1]);

#endif
