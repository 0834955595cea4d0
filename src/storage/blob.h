/*
 * storage/blob.h - the blob backend: put from a stream, get to a stream
 * (optionally a byte range), stat, delete.  One implementation, the
 * filesystem under [storage] root:
 *   root/tmp/<random>.part      uploads in progress
 *   root/blobs/ab/cd/<id>       finished blobs, id = 32 random hex digits
 * A copy (an object copied to another key) is a new blob: rows never
 * share one, so deleting a row may always delete its blob.
 * A blob is written to tmp, fsynced, renamed into place and its directory
 * fsynced, so a blob either exists whole or not at all.  Names are the
 * server's; nothing a client sends ever becomes part of a path.
 */
#ifndef FLUXBASE_STORAGE_BLOB_H
#define FLUXBASE_STORAGE_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define BLOB_ID_LEN 32
#define BLOB_CHUNK (64 * 1024)

struct blob_writer {
	const char *root;
	int fd;
	int mode;
	char id[BLOB_ID_LEN + 1];
	char tmp[4200];
	uint64_t size;
	crypto_hash_sha256_state sha;
};

int blob_put_begin(struct blob_writer *w, const char *root, int mode);
/* -1 with errno set (ENOSPC, EDQUOT...) on failure. */
int blob_put_write(struct blob_writer *w, const void *buf, size_t n);
/* Makes the blob durable and visible; etag gets the SHA-256 in hex. */
int blob_put_commit(struct blob_writer *w, char etag[65]);
void blob_put_abort(struct blob_writer *w);

/* A new blob (w->id) with src_id's bytes, durable when this returns 0. */
int blob_copy(const char *root, int mode, const char *src_id, struct blob_writer *w, char etag[65]);

bool blob_exists(const char *root, const char *id);
/* The blob's file, open for reading, and its size; -1 when it is missing. */
int blob_open(const char *root, const char *id, uint64_t *size);
int blob_delete(const char *root, const char *id);
/* root/blobs/ab/cd/id, or the part after root/blobs/ with relative. */
void blob_path(const char *root, const char *id, bool relative, char *out, size_t n);
bool blob_id_is_valid(const char *id);

#endif
