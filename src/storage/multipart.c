/*
 * storage/multipart.c - the state machine behind multipart_feed().
 *
 * The body is read as if it began with CRLF, so every delimiter is
 * "\r\n--boundary".  After a delimiter come "--" (the end) or CRLF and the
 * part's headers; data runs to the next delimiter.  While looking for a
 * delimiter, all but its length minus one bytes can be handed on at once.
 * process() runs the step of the current state (scan_data, after_delimiter,
 * part_headers) until one needs more input.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "storage/multipart.h"

enum { MP_PREAMBLE, MP_AFTER_DELIM, MP_HEADERS, MP_DATA, MP_END };

const char *
multipart_boundary(struct arena *a, const char *ct)
{
	const char *p, *end;

	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return NULL;
	p = strcasestr(ct, "boundary=");
	if (p == NULL)
		return NULL;
	p += 9;
	if (*p == '"') {
		p++;
		end = strchr(p, '"');
		if (end == NULL)
			return NULL;
	} else {
		end = p + strcspn(p, "; \t");
	}
	if (end == p || end - p > 70)
		return NULL;
	return arena_strndup(a, p, (size_t)(end - p));
}

void
multipart_init(struct multipart *m, struct arena *a, const char *boundary)
{
	memset(m, 0, sizeof(*m));
	m->boundary = arena_printf(a, "\r\n--%s", boundary);
	m->blen = strlen(m->boundary);
	m->cap = MULTIPART_MAX_CHUNK + MULTIPART_MAX_HEADERS + m->blen + 8;
	m->buf = arena_alloc(a, m->cap);
	/* The virtual CRLF before the first delimiter. */
	memcpy(m->buf, "\r\n", 2);
	m->len = 2;
	m->state = MP_PREAMBLE;
	m->arena = a;
}

static void
consume(struct multipart *m, size_t n)
{
	memmove(m->buf, m->buf + n, m->len - n);
	m->len -= n;
}

/* Value of a parameter (name="...") in a Content-Disposition line. */
static void
disposition_param(const char *line, const char *name, char *out, size_t n)
{
	char key[32];
	const char *p;

	out[0] = '\0';
	snprintf(key, sizeof(key), "%s=", name);
	for (p = line; (p = strcasestr(p, key)) != NULL; p++) {
		if (p > line && (isalnum((unsigned char)p[-1]) || p[-1] == '*'))
			continue;
		p += strlen(key);
		if (*p == '"') {
			size_t i = 0;

			for (p++; *p && *p != '"' && i + 1 < n; p++) {
				if (*p == '\\' && p[1])
					p++;
				out[i++] = *p;
			}
			out[i] = '\0';
		} else {
			size_t len = strcspn(p, "; \r\n");

			snprintf(out, n, "%.*s", (int)len, p);
		}
		return;
	}
}

static int
parse_headers(struct multipart *m, const char *h, size_t n)
{
	char name[64] = "", line[MULTIPART_MAX_HEADERS + 1];
	char ctype[sizeof(m->content_type)] = "", fname[sizeof(m->filename)] = "";
	const char *p = h, *end = h + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((eol ? eol : end) - p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		memcpy(line, p, len);
		line[len] = '\0';
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
				return m->error = "A part header contains a control character", -1;
		if (strncasecmp(line, "Content-Disposition:", 20) == 0) {
			disposition_param(line + 20, "name", name, sizeof(name));
			disposition_param(line + 20, "filename", fname, sizeof(fname));
		} else if (strncasecmp(line, "Content-Type:", 13) == 0) {
			const char *v = line + 13;

			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(ctype, sizeof(ctype), "%.255s", v);
		}
		p = eol ? eol + 1 : end;
	}
	/* Only the file part's headers describe the upload: a later part
	 * never changes the type that was checked. */
	m->in_file =
	    (strcmp(name, "file") == 0 || (m->any_file && fname[0] != '\0')) && !m->seen_file;
	m->in_field = NULL;
	for (size_t i = 0; !m->in_file && i < m->nfields; i++)
		if (strcmp(name, m->fields[i].name) == 0 && m->fields[i].value == NULL) {
			m->in_field = &m->fields[i];
			m->in_field->value = arena_alloc(m->arena, m->in_field->max + 1);
			m->in_field->value[0] = '\0';
		}
	if (m->in_file) {
		m->seen_file = true;
		memcpy(m->content_type, ctype, sizeof(ctype));
		memcpy(m->filename, fname, sizeof(fname));
	}
	return 0;
}

/*
 * The steps of the state machine, one per state: each returns 1 when it
 * moved on (the next step may run), 0 when it needs more input, -1 on a
 * malformed body or when the sink refused.
 */

/* n bytes of a part's data: the file's to the sink, a kept field's to its
 * value, anything else dropped. */
static int
deliver(struct multipart *m, size_t n, multipart_sink sink, void *arg)
{
	struct multipart_field *f = m->in_field;

	if (m->state != MP_DATA || n == 0)
		return 0;
	if (m->in_file)
		return sink(arg, m->buf, n);
	if (f != NULL) {
		if (f->len + n > f->max) {
			f->too_long = true;
			return 0;
		}
		memcpy(f->value + f->len, m->buf, n);
		f->len += n;
		f->value[f->len] = '\0';
	}
	return 0;
}

/* Preamble or data: hands on all that cannot be the start of a delimiter
 * (the file part's data to the sink), up to the next delimiter. */
static int
scan_data(struct multipart *m, multipart_sink sink, void *arg)
{
	char *hit = memmem(m->buf, m->len, m->boundary, m->blen);
	size_t keep = m->blen + 1, emit, after;

	if (hit == NULL) {
		if (m->len <= keep)
			return 0;
		emit = m->len - keep;
		if (deliver(m, emit, sink, arg) < 0)
			return -1;
		consume(m, emit);
		return 0;
	}
	emit = (size_t)(hit - m->buf);
	after = emit + m->blen;
	if (m->len < after + 2) {
		/* Cannot tell yet whether it is a delimiter. */
		if (deliver(m, emit, sink, arg) < 0)
			return -1;
		consume(m, emit);
		return 0;
	}
	/* A delimiter is followed by "--", CRLF or padding; anything else is
	 * content that happens to look like one. */
	if (memcmp(m->buf + after, "--", 2) != 0 && memcmp(m->buf + after, "\r\n", 2) != 0 &&
	    m->buf[after] != ' ' && m->buf[after] != '\t') {
		emit++;
		if (deliver(m, emit, sink, arg) < 0)
			return -1;
		consume(m, emit);
		return 1;
	}
	if (deliver(m, emit, sink, arg) < 0)
		return -1;
	consume(m, after);
	m->state = MP_AFTER_DELIM;
	return 1;
}

/* After a delimiter: "--" ends the body, CRLF starts a part's headers. */
static int
after_delimiter(struct multipart *m)
{
	while (m->len > 0 && (m->buf[0] == ' ' || m->buf[0] == '\t'))
		consume(m, 1);
	if (m->len < 2)
		return 0;
	if (memcmp(m->buf, "--", 2) == 0) {
		m->state = MP_END;
		m->len = 0;
		return 0;
	}
	if (memcmp(m->buf, "\r\n", 2) != 0)
		return m->error = "Malformed multipart body after a boundary", -1;
	consume(m, 2);
	m->state = MP_HEADERS;
	return 1;
}

/* A part's headers, once all of them are in. */
static int
part_headers(struct multipart *m)
{
	char *end;

	if (m->len >= 2 && memcmp(m->buf, "\r\n", 2) == 0) {
		/* A part without headers. */
		parse_headers(m, "", 0);
		consume(m, 2);
		m->state = MP_DATA;
		return 1;
	}
	end = memmem(m->buf, m->len, "\r\n\r\n", 4);
	if (end == NULL) {
		if (m->len > MULTIPART_MAX_HEADERS)
			return m->error = "Multipart part headers are too large", -1;
		return 0;
	}
	if (parse_headers(m, m->buf, (size_t)(end - m->buf)) < 0)
		return -1;
	consume(m, (size_t)(end - m->buf) + 4);
	m->state = MP_DATA;
	return 1;
}

static int
process(struct multipart *m, multipart_sink sink, void *arg)
{
	int rc;

	do {
		switch (m->state) {
		case MP_PREAMBLE:
		case MP_DATA:
			rc = scan_data(m, sink, arg);
			break;
		case MP_AFTER_DELIM:
			rc = after_delimiter(m);
			break;
		case MP_HEADERS:
			rc = part_headers(m);
			break;
		default: /* MP_END: the epilogue is ignored */
			m->len = 0;
			rc = 0;
			break;
		}
	} while (rc > 0);
	return rc;
}

int
multipart_feed(struct multipart *m, const char *data, size_t n, multipart_sink sink, void *arg)
{
	if (m->error != NULL)
		return -1;
	if (n > MULTIPART_MAX_CHUNK || m->len + n > m->cap)
		return m->error = "Multipart chunk too large", -1;
	memcpy(m->buf + m->len, data, n);
	m->len += n;
	return process(m, sink, arg);
}

int
multipart_finish(struct multipart *m)
{
	if (m->error != NULL)
		return -1;
	if (m->state != MP_END)
		return m->error = "The multipart body ends before its closing boundary", -1;
	if (!m->seen_file)
		return m->error = "The multipart body has no part named \"file\"", -1;
	return 0;
}
