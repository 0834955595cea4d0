/*
 * storage/multipart.h - a streaming multipart/form-data reader.
 *
 * Bytes are fed as they arrive; the content of the part named "file" is
 * handed to a sink chunk by chunk and never held whole.  Memory is bounded
 * by the chunk size plus the boundary plus 8 KiB of part headers.
 *
 * Supabase's clients name the file part "" and send small text fields
 * beside it (cacheControl, metadata): with any_file set, the first part
 * with a filename (or named "file") is the file, and the fields the caller
 * lists are kept, each up to its own bound (longer: too_long).
 */
#ifndef FLUXBASE_STORAGE_MULTIPART_H
#define FLUXBASE_STORAGE_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

#define MULTIPART_MAX_CHUNK (64 * 1024)
#define MULTIPART_MAX_HEADERS 8192

typedef int (*multipart_sink)(void *arg, const char *buf, size_t n);

/* A text field to keep: name and max set by the caller, value (NUL
 * terminated, in the arena) NULL until the field is seen. */
struct multipart_field {
	const char *name;
	size_t max;
	char *value;
	size_t len;
	bool too_long;
};

struct multipart {
	char *boundary; /* "\r\n--" + boundary */
	size_t blen;
	char *buf;
	size_t len, cap;
	int state;
	bool in_file;
	bool seen_file;
	bool any_file; /* set after multipart_init: Supabase's file part */
	struct multipart_field *fields; /* likewise, nfields of them to keep */
	size_t nfields;
	struct multipart_field *in_field;
	struct arena *arena;
	char content_type[256]; /* of the part named "file" */
	char filename[256]; /* likewise */
	const char *error;
};

/* From a Content-Type header; NULL when it is not multipart/form-data with
 * a usable boundary. */
const char *multipart_boundary(struct arena *a, const char *content_type);
void multipart_init(struct multipart *m, struct arena *a, const char *boundary);
/* n at most MULTIPART_MAX_CHUNK.  -1 with m->error set, or the sink's -1. */
int multipart_feed(struct multipart *m, const char *data, size_t n, multipart_sink sink, void *arg);
/* 0 when the closing boundary was seen after a file part. */
int multipart_finish(struct multipart *m);

#endif
