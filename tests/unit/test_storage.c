/* Storage's pure pieces: names, signed-URL tokens, the multipart reader,
 * the public-object cache and the slot hash under it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "slothash.h"
#include "storage/blob.h"
#include "storage/cache.h"
#include "storage/multipart.h"
#include "storage/mime.h"
#include "storage/names.h"
#include "storage/s3.h"
#include "storage/signed_url.h"
#include "suites.h"

START_TEST(test_keys)
{
	static const char *good[] = { "a", "a/b/c.txt", "photos/2024/cat one.jpg",
		"\xc3\xa9t\xc3\xa9/\xe2\x82\xac.txt", "..a/b..", "signed-url", "a.b/.c" };
	static const char *bad[] = { "", "/abs", "a//b", "a/", "./a", "a/./b", "../a", "a/../b",
		"a/..", "a\\b", "a\x01z", "a\x7f", "\xff", "\xc0\xaf", "\xed\xa0\x80",
		"a/signed-url" };
	char longkey[1100];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(storage_key_check(good[i]) == NULL, "refused %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(storage_key_check(bad[i]) != NULL, "accepted bad key %zu", i);
	memset(longkey, 'k', 1024);
	longkey[1024] = '\0';
	ck_assert_ptr_null(storage_key_check(longkey));
	longkey[1024] = 'k';
	longkey[1025] = '\0';
	ck_assert_ptr_nonnull(storage_key_check(longkey));
}
END_TEST

START_TEST(test_buckets)
{
	ck_assert_ptr_null(storage_bucket_check("photos"));
	ck_assert_ptr_null(storage_bucket_check("a1.b_c-d"));
	ck_assert_ptr_nonnull(storage_bucket_check("a"));
	ck_assert_ptr_nonnull(storage_bucket_check("Photos"));
	ck_assert_ptr_nonnull(storage_bucket_check("-x"));
	ck_assert_ptr_nonnull(storage_bucket_check("a/b"));
	ck_assert_ptr_nonnull(storage_bucket_check("buckets"));
	ck_assert_ptr_nonnull(storage_bucket_check(
	    "a123456789012345678901234567890123456789012345678901234567890123"));
}
END_TEST

START_TEST(test_mime_parse)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "image/png", "image/png" },
		{ "IMAGE/PNG", "image/png" },
		{ " image/png ", "image/png" },
		{ "text/plain; charset=UTF-8", "text/plain; charset=utf-8" },
		{ "text/plain;charset=\"utf-8\"", "text/plain; charset=utf-8" },
		{ "image/svg+xml; q=1", "image/svg+xml" },
		{ "application/vnd.api+json", "application/vnd.api+json" },
		{ "image/png;", "image/png" },
	};
	static const char *const bad[] = {
		"image/png,text/html",
		"image/png, text/html",
		"image/png text/html",
		"image/png;text/html",
		"image",
		"image/",
		"/png",
		"image/png/x",
		"image/png; charset",
		"image/png; a=\"b",
		"text/plain; charset=utf-8; charset=latin1",
		"text/plain; charset=\"a b\"",
		"",
		"image/png\r\ntext/html",
		"image/png; =x",
		"ima ge/png",
		"image/png\"",
	};
	char out[MIME_MAX + 1];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(mime_parse(ok[i].in, out) == 0, "%s refused", ok[i].in);
		ck_assert_str_eq(out, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mime_parse(bad[i], out) < 0, "%s accepted", bad[i]);
}
END_TEST

START_TEST(test_mime_policy)
{
	ck_assert(mime_allowed("[\"image/*\"]", "image/png"));
	ck_assert(!mime_allowed("[\"image/*\"]", "text/html"));
	ck_assert(!mime_allowed("[\"image/*\"]", "image/"));
	ck_assert(mime_allowed("[\"text/plain\"]", "text/plain; charset=utf-8"));
	ck_assert(!mime_allowed("[\"text/plain\"]", "text/plain2"));
	ck_assert(mime_allowed(NULL, "text/html"));
	/* What a browser would run is never passive. */
	ck_assert(!mime_is_passive("text/html"));
	ck_assert(!mime_is_passive("text/html; charset=utf-8"));
	ck_assert(!mime_is_passive("image/svg+xml"));
	ck_assert(!mime_is_passive("application/xhtml+xml"));
	ck_assert(!mime_is_passive("text/xml"));
	ck_assert(!mime_is_passive("application/javascript"));
	ck_assert(!mime_is_passive("text/javascript"));
	ck_assert(!mime_is_passive("application/x-shockwave-flash"));
	ck_assert(!mime_is_passive("image/pngx"));
	ck_assert(!mime_is_passive("video/"));
	ck_assert(mime_is_passive("image/png"));
	ck_assert(mime_is_passive("text/plain; charset=utf-8"));
	ck_assert(mime_is_passive("video/mp4"));
	ck_assert(mime_is_passive("application/octet-stream"));
}
END_TEST

START_TEST(test_signed_tokens)
{
	const char *k = "0123456789abcdef0123456789abcdef";
	char tok[128], bad[160], ver[SIGNED_VERSION_LEN + 1], v2[SIGNED_VERSION_LEN + 1], got[16];
	time_t now = 1800000000;

	signed_version("blob-one", ver);
	signed_version("blob-two", v2);
	ck_assert_uint_eq(strlen(ver), SIGNED_VERSION_LEN);
	ck_assert_str_ne(ver, v2);
	ck_assert_int_eq(signed_token_make(k, "b", "dir/f.txt", ver, now + 60, tok, sizeof(tok)),
	    0);
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", tok, now, got), 0);
	/* The token names the version it was made for, and only that one. */
	ck_assert_str_eq(got, ver);
	ck_assert(signed_version_is(got, "blob-one"));
	ck_assert(!signed_version_is(got, "blob-two"));
	ck_assert(!signed_version_is("short", "blob-one"));
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", tok, now + 61, got), -1);
	ck_assert_int_eq(signed_token_check(k, "b", "dir/g.txt", tok, now, got), -1);
	ck_assert_int_eq(signed_token_check(k, "c", "dir/f.txt", tok, now, got), -1);
	/* Moving the split between bucket and key changes the MAC. */
	ck_assert_int_eq(signed_token_check(k, "bd", "ir/f.txt", tok, now, got), -1);
	ck_assert_int_eq(signed_token_check("another-key-another-key-another!!", "b", "dir/f.txt",
	                     tok, now, got),
	    -1);
	strcpy(bad, tok);
	bad[strlen(bad) - 2] ^= 1;
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", bad, now, got), -1);
	/* Another version pasted in is a different MAC. */
	strcpy(bad, tok);
	memcpy(strchr(bad, '.') + 1, v2, SIGNED_VERSION_LEN);
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", bad, now, got), -1);
	/* A later expiry pasted on is a different MAC. */
	strcpy(bad, tok);
	bad[0] = '9';
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", bad, now, got), -1);
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", "", now, got), -1);
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", "123", now, got), -1);
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", "x.y", now, got), -1);
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", "1900000000.abc.def", now, got),
	    -1);
	/* Found by fuzz_signed_url: a leading zero was a second spelling of a
	 * valid token (same expiry, same MAC).  One token, one spelling. */
	bad[0] = '0';
	strcpy(bad + 1, tok);
	ck_assert_int_eq(signed_token_check(k, "b", "dir/f.txt", bad, now, got), -1);
}
END_TEST

struct collected {
	char data[4096];
	size_t len;
};

static int
collect(void *arg, const char *buf, size_t n)
{
	struct collected *c = arg;

	memcpy(c->data + c->len, buf, n);
	c->len += n;
	return 0;
}

static const char body[] =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
    "not the file, but it has --XyZ-ish text\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".bin\"\r\n"
    "Content-Type: image/png\r\n\r\n"
    "\x00\x01line one\r\n--XyZnot a boundary\r\n\r\nend\xff"
    "\r\n--XyZ--\r\nepilogue";
static const char file_part[] = "\x00\x01line one\r\n--XyZnot a boundary\r\n\r\nend\xff";

/* Every split of the body into two feeds gives the same file bytes. */
START_TEST(test_multipart_any_split)
{
	size_t n = sizeof(body) - 1;

	for (size_t cut = 0; cut <= n; cut++) {
		struct arena a;
		struct multipart m;
		struct collected c = { .len = 0 };

		arena_init(&a, 4096);
		multipart_init(&m, &a, "XyZ");
		ck_assert_int_eq(multipart_feed(&m, body, cut, collect, &c), 0);
		ck_assert_int_eq(multipart_feed(&m, body + cut, n - cut, collect, &c), 0);
		ck_assert_msg(multipart_finish(&m) == 0, "cut %zu: %s", cut, m.error);
		ck_assert_uint_eq(c.len, sizeof(file_part) - 1);
		ck_assert_int_eq(memcmp(c.data, file_part, c.len), 0);
		ck_assert_str_eq(m.content_type, "image/png");
		ck_assert_str_eq(m.filename, "a \"b\".bin");
		arena_destroy(&a);
	}
}
END_TEST

START_TEST(test_multipart_byte_by_byte_and_errors)
{
	struct arena a;
	struct multipart m;
	struct collected c = { .len = 0 };

	arena_init(&a, 4096);
	multipart_init(&m, &a, "XyZ");
	for (size_t i = 0; i < sizeof(body) - 1; i++)
		ck_assert_int_eq(multipart_feed(&m, body + i, 1, collect, &c), 0);
	ck_assert_int_eq(multipart_finish(&m), 0);
	ck_assert_uint_eq(c.len, sizeof(file_part) - 1);

	/* Truncated: no closing boundary. */
	multipart_init(&m, &a, "XyZ");
	ck_assert_int_eq(multipart_feed(&m, body, 150, collect, &c), 0);
	ck_assert_int_eq(multipart_finish(&m), -1);
	/* No file part. */
	multipart_init(&m, &a, "B");
	{
		static const char nofile[] =
		    "--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--B--";

		ck_assert_int_eq(multipart_feed(&m, nofile, sizeof(nofile) - 1, collect, &c), 0);
	}
	ck_assert_int_eq(multipart_finish(&m), -1);
	ck_assert_ptr_nonnull(strstr(m.error, "file"));
	/* Garbage after a delimiter's padding. */
	multipart_init(&m, &a, "B");
	ck_assert_int_eq(multipart_feed(&m, "--B \tzz\r\n", 9, collect, &c), -1);
	/* Text that only looks like a delimiter is content. */
	multipart_init(&m, &a, "B");
	ck_assert_int_eq(multipart_feed(&m, "--Bxx", 5, collect, &c), 0);
	ck_assert_ptr_null(m.error);
	arena_destroy(&a);
}
END_TEST

START_TEST(test_multipart_boundary_header)
{
	struct arena a;

	arena_init(&a, 1024);
	ck_assert_str_eq(multipart_boundary(&a, "multipart/form-data; boundary=abc"), "abc");
	ck_assert_str_eq(multipart_boundary(&a, "Multipart/Form-Data; charset=x; boundary=\"a b\""),
	    "a b");
	ck_assert_ptr_null(multipart_boundary(&a, "application/json"));
	ck_assert_ptr_null(multipart_boundary(&a, "multipart/form-data"));
	ck_assert_ptr_null(multipart_boundary(&a, "multipart/form-data; boundary="));
	arena_destroy(&a);
}
END_TEST

START_TEST(test_slothash)
{
	struct slothash h = { .keyed = false }, other = { .keyed = false };
	bool used[256] = { false };
	size_t first = slothash_index(&h, "abc", 3, 256), nused = 0;
	char buf[16];

	ck_assert(h.keyed);
	ck_assert_uint_lt(first, 256);
	ck_assert_uint_eq(slothash_index(&h, "abc", 3, 256), first);
	ck_assert_uint_eq(slothash_index(&h, "", 0, 1), 0);
	/* Distinct keys spread over the slots. */
	for (int i = 0; i < 2048; i++) {
		int n = snprintf(buf, sizeof(buf), "key%d", i);
		size_t at = slothash_index(&h, buf, (size_t)n, 256);

		ck_assert_uint_lt(at, 256);
		if (!used[at])
			used[at] = true, nused++;
	}
	ck_assert_uint_gt(nused, 240);
	/* Each cache has its own key. */
	slothash_index(&other, "abc", 3, 256);
	ck_assert(memcmp(h.key, other.key, sizeof(h.key)) != 0);
}
END_TEST

START_TEST(test_public_cache)
{
	char root[] = "/tmp/fluxbase-cache-XXXXXX", etag[65], longkey[1100];
	struct object_meta m = { .size = 3,
		.updated = 1000,
		.active_ok = true,
		.content_type = "text/plain",
		.etag = "e1",
		.cache_control = NULL };
	struct object_meta got;
	struct blob_writer w;
	struct arena a;
	struct conf c = { .storage_root = root, .storage_file_mode = 0600 }; /* backend fs */
	uint64_t hits = storage_public_cache_hits();

	arena_init(&a, 1024);
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(blob_put_begin(&w, &c, 3), 0);
	ck_assert_int_eq(blob_put_write(&w, "abc", 3), 0);
	ck_assert_int_eq(blob_put_commit(&w, etag), 0);
	m.blob_id = w.id;

	ck_assert(!storage_public_cache_get(&a, &c, "pub", "a.txt", &got));
	storage_public_cache_put("pub", "a.txt", &m, 60);
	ck_assert(storage_public_cache_get(&a, &c, "pub", "a.txt", &got));
	ck_assert_uint_eq(storage_public_cache_hits(), hits + 1);
	ck_assert_uint_eq(got.size, 3);
	ck_assert(got.active_ok);
	ck_assert_str_eq(got.content_type, "text/plain");
	ck_assert_str_eq(got.blob_id, w.id);
	ck_assert_ptr_null(got.cache_control);
	ck_assert(!storage_public_cache_get(&a, &c, "pub", "b.txt", &got));
	ck_assert(!storage_public_cache_get(&a, &c, "other", "a.txt", &got));
	/* Cleared (a notice), expired, or its blob gone: a miss. */
	storage_public_cache_clear();
	ck_assert(!storage_public_cache_get(&a, &c, "pub", "a.txt", &got));
	storage_public_cache_put("pub", "a.txt", &m, 0);
	ck_assert(!storage_public_cache_get(&a, &c, "pub", "a.txt", &got));
	storage_public_cache_put("pub", "a.txt", &m, 60);
	ck_assert_int_eq(blob_delete(&c, w.id), 0);
	ck_assert(!storage_public_cache_get(&a, &c, "pub", "a.txt", &got));
	/* Names longer than any valid one are never cached. */
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	storage_public_cache_put("pub", longkey, &m, 60);
	ck_assert(!storage_public_cache_get(&a, &c, "pub", longkey, &got));
	ck_assert_uint_eq(storage_public_cache_hits(), hits + 1);
	storage_public_cache_clear();
	arena_destroy(&a);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

/* The presigned URL of an offloaded S3 download, against AWS's own
 * example ("Authenticating Requests: Using Query Parameters"). */
START_TEST(test_s3_presign)
{
	struct conf c = { .s3_access_key = "AKIAIOSFODNN7EXAMPLE",
		.s3_secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		.s3_region = "us-east-1" };
	char out[2000];

	s3_presign(&c, "examplebucket.s3.amazonaws.com", "/test.txt", 86400, 1369353600, out,
	    sizeof(out));
	ck_assert_str_eq(out,
	    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524"
	    "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
	    "&X-Amz-SignedHeaders=host&X-Amz-Signature="
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}
END_TEST

/* S3's URI encoding and the XML of its answers. */
START_TEST(test_s3_encode_and_xml)
{
	char out[128];
	const char *xml = "<R><Key>a&amp;b</Key><Key>c</Key><Code>NoSuchKey</Code></R>", *pos = xml;

	s3_encode("a b/c~d+e=", true, out, sizeof(out));
	ck_assert_str_eq(out, "a%20b/c~d%2Be%3D");
	s3_encode("a/b", false, out, sizeof(out));
	ck_assert_str_eq(out, "a%2Fb");
	ck_assert(s3_xml_next(&pos, "Key", out, sizeof(out)));
	ck_assert_str_eq(out, "a&b");
	ck_assert(s3_xml_next(&pos, "Key", out, sizeof(out)));
	ck_assert_str_eq(out, "c");
	ck_assert(!s3_xml_next(&pos, "Key", out, sizeof(out)));
	pos = xml;
	ck_assert(s3_xml_next(&pos, "Code", out, sizeof(out)));
	ck_assert_str_eq(out, "NoSuchKey");
}
END_TEST

Suite *
storage_suite(void)
{
	Suite *s = suite_create("storage");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_buckets);
	tcase_add_test(tc, test_mime_parse);
	tcase_add_test(tc, test_mime_policy);
	tcase_add_test(tc, test_signed_tokens);
	tcase_add_test(tc, test_multipart_any_split);
	tcase_add_test(tc, test_multipart_byte_by_byte_and_errors);
	tcase_add_test(tc, test_multipart_boundary_header);
	tcase_add_test(tc, test_slothash);
	tcase_add_test(tc, test_public_cache);
	tcase_add_test(tc, test_s3_presign);
	tcase_add_test(tc, test_s3_encode_and_xml);
	suite_add_tcase(s, tc);
	return s;
}
