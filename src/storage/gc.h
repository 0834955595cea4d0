/*
 * storage/gc.h - fluxbase-fcgi storage-gc: the orphan sweep and the
 * consistency check between storage.objects and the blobs, on disk
 * (gc.c) or in the S3 bucket (gc_s3.c).
 */
#ifndef FLUXBASE_STORAGE_GC_H
#define FLUXBASE_STORAGE_GC_H

#include <stdbool.h>
#include <stddef.h>

#include "storage/blob.h"

struct conf;

/*
 * Removes blobs no row points to and abandoned uploads, when older than
 * min_age seconds (younger ones may belong to an upload about to commit).
 * check_only: remove nothing; exit status 1 when a row lacks its blob or a
 * blob lacks its row.
 */
int storage_gc(const struct conf *c, long min_age, int check_only);

/* The blob ids rows point at (sorted), and which of them were found. */
struct idset {
	char (*ids)[BLOB_ID_LEN + 1];
	size_t n;
	unsigned char *seen;
};
struct gc_counts {
	unsigned long orphans, temps, removed;
};
/* Marks id found: true when a row points at it. */
bool idset_mark(const struct idset *s, const char *id);
/* The S3 sweep: ListObjectsV2 over the bucket (orphans) and
 * ListMultipartUploads (abandoned uploads, aborted).  -1 when the store
 * cannot be listed. */
int storage_gc_s3(const struct conf *c, const struct idset *s, long min_age, int check_only,
    struct gc_counts *n);

#endif
