/*
 * storage/supabase.h - what the /storage/v1 files share: compat.c (the
 * error shape, buckets, listing and info) and compat_objects.c (an
 * object's bytes, moves, copies, signed URLs).  Both translate Supabase
 * Storage's paths and bodies onto the cores of /api/v1/storage
 * (objects.h); nothing here decides who may do what: the route table and
 * the policies on storage.objects do.
 */
#ifndef FLUXBASE_STORAGE_SUPABASE_H
#define FLUXBASE_STORAGE_SUPABASE_H

#include <json-c/json.h>

struct request;

/* Most paths a batch (remove, sign) names, as Supabase Storage. */
#define SUPABASE_BATCH_MAX 1000

/* The request's JSON object body, its keys among allowed (NULL-terminated);
 * an empty body is {}.  NULL with the error answer set.  The caller puts
 * the object. */
struct json_object *storage_compat_body(struct request *r, const char *const *allowed);
/* Checks a bucket name and, unless NULL, a key: 0 or -1 with a 400 set. */
int storage_compat_names(struct request *r, const char *bucket, const char *key);
/* A string member: its value, NULL when absent or null; *bad set when it
 * is there but not a string. */
const char *storage_compat_string(struct json_object *o, const char *key, bool *bad);
/* Answers 200 {"message": message}. */
int storage_compat_message(struct request *r, const char *message);

#endif
