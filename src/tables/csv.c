/*
 * tables/csv.c - RFC 4180 CSV bodies read into JSON rows (see csv.h).
 *
 * One pass over the body: a field is quoted ("a, ""b""" holds a comma, a
 * doubled quote and maybe line breaks) or not (anything up to the next
 * comma or line end; a quote there is an error rather than a guess);
 * records end with CRLF or LF (a last CR alone too); a UTF-8 byte order mark before the header
 * and empty lines are skipped.  Like PostgREST (its csvToJson), every
 * field becomes a JSON string except the literal NULL, quoted or not,
 * which becomes null: so an empty field is the empty string, and there is
 * no way to write the four-letter text NULL.  json-c writes the JSON, so
 * escaping is its one copy; the body is already capped by [server]
 * max_body_size, and the rows are as large as it at most.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonbody.h"
#include "tables/csv.h"

struct csv_field {
	const char *s;
	size_t n;
};

struct csv_reader {
	struct arena *arena;
	const char *p, *end;
	long line; /* the line p is on */
	long record_line; /* where the record being read starts */
	struct strbuf text; /* the field being read */
	struct csv_field *fields; /* the record being read */
	int nfields, cap;
};

enum csv_stop { CSV_FIELD, CSV_RECORD, CSV_END, CSV_ERROR };

static int csv_fail(struct csv_error *e, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
csv_fail(struct csv_error *e, long line, const char *fmt, ...)
{
	va_list ap;

	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* What follows a field: a comma, a line end (CRLF or LF) or the end. */
static enum csv_stop
csv_separator(struct csv_reader *rd, struct csv_error *e)
{
	if (rd->p == rd->end || (*rd->p == '\r' && rd->p + 1 == rd->end)) {
		rd->p = rd->end;
		return CSV_END;
	}
	if (*rd->p == ',') {
		rd->p++;
		return CSV_FIELD;
	}
	if (*rd->p == '\r' && rd->p + 1 < rd->end && rd->p[1] == '\n')
		rd->p++;
	if (*rd->p == '\n') {
		rd->p++;
		rd->line++;
		return CSV_RECORD;
	}
	csv_fail(e, rd->line, "a closing quote must be followed by a comma or a line end");
	return CSV_ERROR;
}

/* A quoted field, from its opening quote: doubled quotes are one. */
static enum csv_stop
csv_quoted(struct csv_reader *rd, struct csv_error *e)
{
	long start = rd->line;

	for (rd->p++;; rd->p++) {
		if (rd->p == rd->end) {
			csv_fail(e, start, "a quoted field is not closed");
			return CSV_ERROR;
		}
		if (*rd->p == '"') {
			if (rd->p + 1 < rd->end && rd->p[1] == '"')
				rd->p++;
			else
				break;
		} else if (*rd->p == '\n') {
			rd->line++;
		}
		strbuf_putc(&rd->text, *rd->p);
	}
	rd->p++;
	return csv_separator(rd, e);
}

/* One field into rd->text; what ended it. */
static enum csv_stop
csv_field(struct csv_reader *rd, struct csv_error *e)
{
	const char *s = rd->p;

	rd->text.len = 0;
	if (rd->p < rd->end && *rd->p == '"')
		return csv_quoted(rd, e);
	while (rd->p < rd->end && *rd->p != ',' && *rd->p != '\n' &&
	    !(*rd->p == '\r' && (rd->p + 1 == rd->end || rd->p[1] == '\n'))) {
		if (*rd->p == '"') {
			csv_fail(e, rd->line,
			    "a quote inside a field that does not start with one");
			return CSV_ERROR;
		}
		rd->p++;
	}
	strbuf_append(&rd->text, s, (size_t)(rd->p - s));
	return csv_separator(rd, e);
}

static void
csv_keep(struct csv_reader *rd)
{
	struct csv_field *f;

	if (rd->nfields == rd->cap) {
		struct csv_field *grown;

		rd->cap = rd->cap ? rd->cap * 2 : 16;
		grown = arena_alloc(rd->arena, (size_t)rd->cap * sizeof(*grown));
		if (rd->nfields > 0)
			memcpy(grown, rd->fields, (size_t)rd->nfields * sizeof(*grown));
		rd->fields = grown;
	}
	f = &rd->fields[rd->nfields++];
	f->n = rd->text.len;
	f->s = arena_strndup(rd->arena, rd->text.data, rd->text.len);
}

/*
 * The next record's fields into rd->fields: their number, 0 at the end of
 * the body, -1 on an error.  Empty lines are no records.
 */
static int
csv_record(struct csv_reader *rd, struct csv_error *e)
{
	for (;;) {
		enum csv_stop stop = CSV_FIELD;
		bool quoted_first = rd->p < rd->end && *rd->p == '"';

		if (rd->p == rd->end)
			return 0;
		rd->record_line = rd->line;
		rd->nfields = 0;
		while (stop == CSV_FIELD) {
			if ((stop = csv_field(rd, e)) == CSV_ERROR)
				return -1;
			csv_keep(rd);
		}
		if (rd->nfields > 1 || rd->fields[0].n > 0 || quoted_first)
			return rd->nfields;
	}
}

/* The header's names: each one there, and once. */
static int
csv_names(struct csv_reader *rd, struct csv_rows *out, struct csv_error *e)
{
	int n = csv_record(rd, e);

	if (n < 0)
		return -1;
	if (n == 0)
		return csv_fail(e, 1, "the body has no header line naming the columns");
	out->names = arena_alloc(rd->arena, (size_t)n * sizeof(*out->names));
	for (int i = 0; i < n; i++) {
		const struct csv_field *f = &rd->fields[i];

		if (f->n == 0 || memchr(f->s, '\0', f->n) != NULL)
			return csv_fail(e, 1, "column %d of the header has no name", i + 1);
		for (int k = 0; k < i; k++)
			if (strcmp(out->names[k], f->s) == 0)
				return csv_fail(e, 1, "the header names \"%.60s\" twice", f->s);
		out->names[i] = f->s;
	}
	out->nnames = n;
	return 0;
}

/* One record as a JSON object of the header's names. */
static struct json_object *
csv_object(const struct csv_reader *rd, const struct csv_rows *out)
{
	struct json_object *o = json_object_new_object();

	for (int i = 0; o != NULL && i < rd->nfields; i++) {
		const struct csv_field *f = &rd->fields[i];
		struct json_object *v = NULL;

		if (!(f->n == 4 && memcmp(f->s, "NULL", 4) == 0))
			v = json_object_new_string_len(f->s, (int)f->n);
		json_object_object_add(o, out->names[i], v);
	}
	return o;
}

int
csv_to_json(struct arena *a, const char *body, size_t len, struct csv_rows *out,
    struct csv_error *e)
{
	struct csv_reader rd = { .arena = a, .p = body, .end = body + len, .line = 1 };
	struct json_object *rows;
	int n;

	memset(out, 0, sizeof(*out));
	strbuf_init(&rd.text, a, 256);
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		rd.p += 3;
	if (csv_names(&rd, out, e) < 0)
		return -1;
	if ((rows = json_object_new_array()) == NULL)
		return csv_fail(e, 0, "out of memory");
	while ((n = csv_record(&rd, e)) > 0) {
		if (n != out->nnames) {
			json_object_put(rows);
			return csv_fail(e, rd.record_line, "%d field%s where the header has %d", n,
			    n == 1 ? "" : "s", out->nnames);
		}
		json_object_array_add(rows, csv_object(&rd, out));
		out->nrows++;
	}
	if (n == 0)
		out->json = json_arena_text(a, rows);
	json_object_put(rows);
	return n < 0 ? -1 : 0;
}
