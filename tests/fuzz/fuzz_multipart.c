/*
 * fuzz_multipart: the streaming multipart/form-data reader.  Input: a
 * Content-Type line, then the body.  The body is fed in chunks whose sizes
 * come from the Content-Type's length, so split points move with the input.
 * Invariants: the file part's bytes handed to the sink never exceed the
 * body; a reader that finished cleanly saw a file part; an error names
 * itself; the same body fed in one piece gives the same outcome and bytes.
 */
#include "config.h"

#include "arena.h"
#include "fuzz.h"
#include "storage/multipart.h"

struct sink {
	size_t bytes;
	unsigned long hash;
};

static int
collect(void *arg, const char *buf, size_t n)
{
	struct sink *s = arg;

	s->bytes += n;
	for (size_t i = 0; i < n; i++)
		s->hash = s->hash * 131 + (unsigned char)buf[i];
	return 0;
}

static int
run(const char *boundary, const char *body, size_t len, size_t step, struct sink *s, bool *saw_file)
{
	struct arena a;
	struct multipart m;
	int rc = 0;

	arena_init(&a, 4096);
	multipart_init(&m, &a, boundary);
	memset(s, 0, sizeof(*s));
	for (size_t off = 0; off < len && rc == 0; off += step) {
		size_t n = len - off < step ? len - off : step;

		rc = multipart_feed(&m, body + off, n, collect, s);
		if (rc < 0)
			FUZZ_ASSERT(m.error != NULL, "failed without a reason");
	}
	if (rc == 0) {
		rc = multipart_finish(&m);
		if (rc < 0)
			FUZZ_ASSERT(m.error != NULL, "finish failed without a reason");
	}
	*saw_file = m.seen_file;
	arena_destroy(&a);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	struct arena a;
	const char *boundary;
	char *ctype;
	size_t clen, blen, step;
	struct sink s1, s2;
	bool f1, f2;
	int rc1, rc2;

	if (nl == NULL)
		return 0;
	clen = (size_t)(nl - (const char *)data);
	ctype = fuzz_cstr(data, clen);
	arena_init(&a, 1024);
	boundary = multipart_boundary(&a, ctype);
	if (boundary != NULL) {
		const char *body = nl + 1;

		blen = size - clen - 1;
		step = clen % 7 + 1;
		rc1 = run(boundary, body, blen, step, &s1, &f1);
		rc2 = run(boundary, body, blen, blen > 0 && blen <= MULTIPART_MAX_CHUNK ? blen : 1,
		    &s2, &f2);
		FUZZ_ASSERT(s1.bytes <= blen, "%zu file bytes from a %zu-byte body", s1.bytes,
		    blen);
		FUZZ_ASSERT(rc1 == rc2 && s1.bytes == s2.bytes && s1.hash == s2.hash && f1 == f2,
		    "split into %zu-byte pieces: rc %d/%d, %zu/%zu bytes", step, rc1, rc2, s1.bytes,
		    s2.bytes);
		if (rc1 == 0)
			FUZZ_ASSERT(f1, "finished without a file part");
	}
	arena_destroy(&a);
	free(ctype);
	return 0;
}
