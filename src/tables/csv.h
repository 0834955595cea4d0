/*
 * tables/csv.h - a CSV request body (Content-Type: text/csv) read into
 * the JSON rows a bulk insert takes, as PostgREST 12 reads it: RFC 4180,
 * the header line naming the columns, every field a JSON string but the
 * literal NULL, which is null.  A pure function of the body, so it can be
 * unit-tested and fuzzed; the caller checks the names against the table.
 */
#ifndef FLUXBASE_TABLES_CSV_H
#define FLUXBASE_TABLES_CSV_H

#include <stddef.h>

#include "arena.h"

struct csv_rows {
	const char *json; /* a JSON array of one object per record */
	const char **names; /* the header's names, in order */
	int nnames;
	size_t nrows;
};

struct csv_error {
	long line; /* where the offending record starts (the header is line 1) */
	char message[160];
};

/*
 * Reads body[0..len) into *out (in the arena); -1 with *e saying what and
 * where when it is not CSV with a header: a quote left open or followed
 * by anything but a separator, a record with another number of fields
 * than the header, an empty or repeated name in the header.
 */
int csv_to_json(struct arena *a, const char *body, size_t len, struct csv_rows *out,
    struct csv_error *e);

#endif
