/*
 * storage/objects.h - the pieces of an object's route shared between
 * handlers.c, which checks the names and dispatches, upload.c (the bytes
 * in) and download.c (the bytes out).  The bucket and key given have
 * passed storage_bucket_check and storage_key_check.
 */
#ifndef FLUXBASE_STORAGE_OBJECTS_H
#define FLUXBASE_STORAGE_OBJECTS_H

struct request;

int storage_upload(struct request *r, const char *bucket, const char *key);
int storage_download(struct request *r, const char *bucket, const char *key);
/* 404 NOT_FOUND, "<what> not found". */
int storage_not_found(struct request *r, const char *what);

#endif
