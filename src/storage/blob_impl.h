/*
 * storage/blob_impl.h - what blob.c dispatches to: the two backends
 * (blob_fs.c, blob_s3.c), each implementing blob.h's calls for its store.
 * Nothing outside storage/blob*.c and storage/gc*.c includes this.
 */
#ifndef FLUXBASE_STORAGE_BLOB_IMPL_H
#define FLUXBASE_STORAGE_BLOB_IMPL_H

#include "storage/blob.h"

int blob_fs_put_begin(struct blob_writer *w);
int blob_fs_put_write(struct blob_writer *w, const void *buf, size_t n);
int blob_fs_put_commit(struct blob_writer *w);
void blob_fs_put_abort(struct blob_writer *w);
int blob_fs_copy(const struct conf *c, const char *src_id, char dst_id[BLOB_ID_LEN + 1]);
bool blob_fs_exists(const struct conf *c, const char *id);
int blob_fs_send(struct request *r, const char *id, uint64_t size, uint64_t from, uint64_t length);
int blob_fs_offload(struct request *r, const char *id);
int blob_fs_delete(const struct conf *c, const char *id);

int blob_s3_put_begin(struct blob_writer *w, uint64_t expected);
int blob_s3_put_write(struct blob_writer *w, const void *buf, size_t n);
int blob_s3_put_commit(struct blob_writer *w);
void blob_s3_put_abort(struct blob_writer *w);
int blob_s3_copy(const struct conf *c, const char *src_id, const char *dst_id);
int blob_s3_send(struct request *r, const char *id, uint64_t size, uint64_t from, uint64_t length);
int blob_s3_offload(struct request *r, const struct object_meta *m, bool sandbox);
int blob_s3_delete(const struct conf *c, const char *id);
int blob_s3_check(const struct conf *c, char *why, size_t n);

#endif
