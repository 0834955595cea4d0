/*
 * storage/gc.h - fluxbase-fcgi storage-gc: the orphan sweep and the
 * consistency check between storage.objects and the blobs on disk.
 */
#ifndef FLUXBASE_STORAGE_GC_H
#define FLUXBASE_STORAGE_GC_H

struct conf;

/*
 * Removes blobs no row points to and abandoned uploads, when older than
 * min_age seconds (younger ones may belong to an upload about to commit).
 * check_only: remove nothing; exit status 1 when a row lacks its blob or a
 * blob lacks its row.
 */
int storage_gc(const struct conf *c, long min_age, int check_only);

#endif
