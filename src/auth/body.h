/*
 * auth/body.h - the JSON bodies of the auth endpoints, read and taken
 * apart with the answer set on failure: the strict object of jsonbody.h
 * (freed with the request) and its fields by type, an e-mail address, a
 * new password's strength.  Field readers return 1 when the field is
 * there, 0 when it is absent or null, and -1 with the 400 answer set.
 */
#ifndef FLUXBASE_AUTH_BODY_H
#define FLUXBASE_AUTH_BODY_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct request;

/* The body's object, keys held against allowed and forbidden (see
 * json_body_object); NULL when the answer is set.  A body preset for the
 * request is returned instead of the one sent. */
struct json_object *auth_body_read(struct request *r, const char *const *allowed,
    const char *const *forbidden);
/*
 * The body auth_body_read gives the rest of this request: /auth/v1 reads
 * GoTrue's body and hands its translation (only keys the handler allows)
 * to the /api/v1 handler.  Takes o; released with the request.
 */
void auth_body_preset(struct request *r, struct json_object *o);
int auth_body_string(struct request *r, struct json_object *o, const char *key, const char **out,
    size_t *len);
int auth_body_bool(struct request *r, struct json_object *o, const char *key, bool *out);
/* An object field as compact JSON text (at most JSON_METADATA_MAX bytes),
 * copied to the request's arena. */
int auth_body_metadata(struct request *r, struct json_object *o, const char *key,
    const char **text);
/* The "email" field, a valid address; absent is 400 when required. */
int auth_body_email(struct request *r, struct json_object *o, const char **email, bool required);
/* A new password is strong enough ([auth] password_min_length, at most
 * PASSWORD_MAX_BYTES): 0, or -1 with 400 set. */
int auth_body_new_password(struct request *r, const char *password, size_t len);

#endif
