/*
 * storage/cache.c - the per-worker cache of public objects' metadata (see
 * storage/cache.h for what it holds and when entries die).
 *
 * A fixed table of slots, each owning malloc'd copies of its strings: an
 * entry outlives the requests that read it, which get arena copies.  The
 * slot is a keyed hash of "bucket\0key"; lookups compare both names, so a
 * collision only costs a miss.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "slothash.h"
#include "storage/blob.h"
#include "storage/cache.h"

#define PUBLIC_CACHE_SLOTS 256
/* Bucket names are at most 63 bytes and keys 1024 (checked). */
#define BUCKET_MAX 64
#define KEY_MAX 1024

struct public_entry {
	char *bucket, *key; /* NULL when empty */
	time_t expires;
	struct object_meta m;
};

static struct public_entry public_cache[PUBLIC_CACHE_SLOTS];
static struct slothash public_cache_hash;
static uint64_t public_cache_hits;

static void
public_entry_clear(struct public_entry *e)
{
	free(e->bucket);
	free(e->key);
	free((char *)e->m.content_type);
	free((char *)e->m.etag);
	free((char *)e->m.cache_control);
	free((char *)e->m.blob_id);
	memset(e, 0, sizeof(*e));
}

void
storage_public_cache_clear(void)
{
	for (int i = 0; i < PUBLIC_CACHE_SLOTS; i++)
		if (public_cache[i].bucket != NULL)
			public_entry_clear(&public_cache[i]);
}

uint64_t
storage_public_cache_hits(void)
{
	return public_cache_hits;
}

/* The slot of bucket/key; NULL when the names are too long to cache. */
static struct public_entry *
public_cache_slot(const char *bucket, const char *key)
{
	size_t bl = strlen(bucket), kl = strlen(key);
	unsigned char buf[BUCKET_MAX + 1 + KEY_MAX];

	if (bl > BUCKET_MAX || kl > KEY_MAX)
		return NULL;
	memcpy(buf, bucket, bl);
	buf[bl] = '\0';
	memcpy(buf + bl + 1, key, kl);
	return &public_cache[slothash_index(&public_cache_hash, buf, bl + 1 + kl,
	    PUBLIC_CACHE_SLOTS)];
}

bool
storage_public_cache_get(struct arena *a, const struct conf *c, const char *bucket, const char *key,
    struct object_meta *m)
{
	struct public_entry *e = public_cache_slot(bucket, key);

	if (e == NULL || e->bucket == NULL || strcmp(e->bucket, bucket) != 0 ||
	    strcmp(e->key, key) != 0)
		return false;
	if (time(NULL) >= e->expires || !blob_exists(c, e->m.blob_id)) {
		public_entry_clear(e);
		return false;
	}
	*m = e->m;
	m->content_type = arena_strdup(a, e->m.content_type);
	m->etag = arena_strdup(a, e->m.etag);
	m->cache_control = e->m.cache_control ? arena_strdup(a, e->m.cache_control) : NULL;
	m->blob_id = arena_strdup(a, e->m.blob_id);
	public_cache_hits++;
	return true;
}

void
storage_public_cache_put(const char *bucket, const char *key, const struct object_meta *m, int ttl)
{
	struct public_entry *e = public_cache_slot(bucket, key);

	if (e == NULL)
		return;
	public_entry_clear(e);
	e->bucket = strdup(bucket);
	e->key = strdup(key);
	e->expires = time(NULL) + ttl;
	e->m = *m;
	e->m.content_type = strdup(m->content_type);
	e->m.etag = strdup(m->etag);
	e->m.cache_control = m->cache_control ? strdup(m->cache_control) : NULL;
	e->m.blob_id = strdup(m->blob_id);
	/* Out of memory: no entry rather than half of one. */
	if (e->bucket == NULL || e->key == NULL || e->m.content_type == NULL || e->m.etag == NULL ||
	    e->m.blob_id == NULL || (m->cache_control != NULL && e->m.cache_control == NULL))
		public_entry_clear(e);
}
