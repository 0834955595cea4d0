/*
 * storage/cache.h - the per-worker cache of public objects' metadata.
 *
 * With [storage] public_cache_ttl set, an anonymous download found here
 * skips the database.  Entries come only from anonymous lookups (the
 * policies let anyone read the object), in a fixed table of slots chosen
 * by a keyed hash of bucket and key (slothash.h); a new entry takes its
 * slot from whatever held it.  An entry dies after public_cache_ttl
 * seconds whatever happens, when its blob is gone from disk (replaced or
 * deleted, the notice not read yet; the S3 backend does not ask the
 * store), and all die on any change to
 * storage.objects or storage.buckets (a NOTIFY from their triggers), on
 * any schema change (policies) and after a reconnection (notices may have
 * been missed): the worker calls storage_public_cache_clear() then.
 */
#ifndef FLUXBASE_STORAGE_CACHE_H
#define FLUXBASE_STORAGE_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct arena;
struct conf;

/* What a download needs to know of an object. */
struct object_meta {
	uint64_t size;
	time_t updated;
	bool active_ok; /* the bucket allows active content */
	const char *content_type, *etag, *cache_control, *blob_id; /* cache_control: NULL */
};

/* true with *m filled (its strings in a) when bucket/key has a live
 * entry whose blob is still there (blob_exists: the S3 backend does not
 * ask the store; the notice and the TTL bound a stale entry). */
bool storage_public_cache_get(struct arena *a, const struct conf *c, const char *bucket,
    const char *key, struct object_meta *m);
/* Remembers m for bucket/key for ttl seconds. */
void storage_public_cache_put(const char *bucket, const char *key, const struct object_meta *m,
    int ttl);
void storage_public_cache_clear(void);
/* Downloads answered from the cache by this worker (for /metrics). */
uint64_t storage_public_cache_hits(void);

#endif
