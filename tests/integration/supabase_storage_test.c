/*
 * supabase_storage_test.c - /storage/v1, Supabase Storage's API as
 * storage-js calls it, through nginx: buckets, uploads (raw, storage-js's
 * multipart form, x-upsert, cache-control, x-metadata, streamed past
 * max_body_size), downloads (authenticated, public, Range, 304), info,
 * list, move, copy, remove, signed URLs one and many, signed uploads, the
 * policies as each caller, and every error in Storage's shape.
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "client.h"
#include "suites.h"

#define ALICE "aaaaaaaa-1111-4111-8111-111111111111"
#define BOB "bbbbbbbb-2222-4222-8222-222222222222"

static char anon[2048], service[2048], alice[2048], bob[2048];

static void
keys(void)
{
	mint_token(anon, sizeof(anon), "anon", NULL);
	mint_token(service, sizeof(service), "service_role", NULL);
	mint_token(alice, sizeof(alice), "authenticated", ALICE);
	mint_token(bob, sizeof(bob), "authenticated", BOB);
}

/* $FB_URL without its /api/v1: where /storage/v1 lives. */
static const char *
url(const char *path)
{
	static char out[4096];
	const char *base = getenv("FB_URL");
	size_t n = strlen(base) - strlen("/api/v1");

	snprintf(out, sizeof(out), "%.*s/storage/v1%s", (int)n, base, path);
	return out;
}

/* The headers storage-js sends: the apikey, the caller's bearer (NULL:
 * none) and one more. */
static const char **
hdrs(const char *key, const char *token, const char *extra, const char *extra2)
{
	static char k[2100], auth[2100];
	static const char *h[6];
	int n = 0;

	if (key != NULL) {
		snprintf(k, sizeof(k), "apikey: %s", key);
		h[n++] = k;
	}
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (extra != NULL)
		h[n++] = extra;
	if (extra2 != NULL)
		h[n++] = extra2;
	h[n] = NULL;
	return h;
}

/* A call as storage-js makes it: JSON body, anon key, caller's token. */
static long
sb(struct http_resp *r, const char *method, const char *path, const char *token, const char *json)
{
	http_do(method, url(path),
	    hdrs(anon, token, json ? "Content-Type: application/json" : NULL, NULL), json,
	    json ? strlen(json) : 0, r);
	return r->status;
}

/* Storage's error: {"statusCode": "<status>", "error": error, "message"}. */
static void
expect_error(struct http_resp *r, long status, const char *error)
{
	struct json_object *o = json_body(r);
	char st[16];

	snprintf(st, sizeof(st), "%ld", status);
	ck_assert_msg(r->status == status, "status %ld, wanted %ld: %s", r->status, status,
	    r->body);
	ck_assert_str_eq(jstr(o, "statusCode"), st);
	ck_assert_msg(strcmp(jstr(o, "error"), error) == 0, "error %s, wanted %s", r->body, error);
	ck_assert_msg(jstr(o, "message")[0] != '\0', "no message: %s", r->body);
	json_object_put(o);
	http_resp_free(r);
}

static void
expect_ok(struct http_resp *r, long status, const char *what)
{
	ck_assert_msg(r->status == status, "%s: %ld %s", what, r->status, r->body);
}

static void
make_bucket(const char *id, bool public)
{
	struct http_resp r;
	char body[256];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"%s\",\"public\":%s}", id, id,
	    public ? "true" : "false");
	sb(&r, "POST", "/bucket", service, body);
	ck_assert_msg(r.status == 200 || r.status == 409, "bucket %s: %ld %s", id, r.status,
	    r.body);
	http_resp_free(&r);
}

/* A raw upload as storage-js sends a string or Buffer. */
static long
put_raw(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *data, const char *extra)
{
	http_do(method, url(path),
	    hdrs(anon, token, "Content-Type: text/plain;charset=UTF-8", extra), data, strlen(data),
	    r);
	return r->status;
}

/* A raw upload that must succeed. */
static void
upload_ok(const char *path, const char *token, const char *data, const char *extra)
{
	struct http_resp r;

	put_raw(&r, "POST", path, token, data, extra);
	expect_ok(&r, 200, path);
	http_resp_free(&r);
}

/* A call that must answer 200 with exactly want. */
static void
expect_answer(const char *method, const char *path, const char *token, const char *json,
    const char *want)
{
	struct http_resp r;

	sb(&r, method, path, token, json);
	expect_ok(&r, 200, path);
	ck_assert_str_eq(r.body, want);
	http_resp_free(&r);
}

START_TEST(test_gateway_and_buckets)
{
	struct http_resp r;
	struct json_object *o, *v;

	keys();
	/* The gateway's key, in Storage's shape. */
	http_do("GET", url("/bucket"), NULL, NULL, 0, &r);
	expect_error(&r, 401, "Unauthorized");
	/* Bucket writes are the service role's. */
	sb(&r, "POST", "/bucket", NULL, "{\"id\":\"sbx-anon\",\"name\":\"sbx-anon\"}");
	ck_assert_msg(r.status == 401 || r.status == 403, "%ld", r.status);
	http_resp_free(&r);
	expect_answer("POST", "/bucket", service,
	    "{\"id\":\"sbx-one\",\"name\":\"sbx-one\",\"public\":false,"
	    "\"file_size_limit\":\"1MB\",\"allowed_mime_types\":[\"text/*\",\"image/png\"]}",
	    "{\"name\":\"sbx-one\"}");
	sb(&r, "POST", "/bucket", service, "{\"id\":\"sbx-one\",\"name\":\"sbx-one\"}");
	expect_error(&r, 409, "Duplicate");
	sb(&r, "POST", "/bucket", service, "{\"id\":\"Bad Name\"}");
	expect_error(&r, 400, "Invalid Input");
	sb(&r, "POST", "/bucket", service, "{\"id\":\"sbx-two\",\"file_size_limit\":\"lots\"}");
	expect_error(&r, 400, "InvalidRequest");
	/* Storage's bucket object. */
	sb(&r, "GET", "/bucket/sbx-one", service, NULL);
	expect_ok(&r, 200, "get");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "id"), "sbx-one");
	ck_assert_str_eq(jstr(o, "name"), "sbx-one");
	ck_assert_str_eq(jstr(o, "public"), "false");
	ck_assert_str_eq(jstr(o, "file_size_limit"), "1000000");
	ck_assert(json_object_object_get_ex(o, "owner", NULL));
	ck_assert(json_object_object_get_ex(o, "allowed_mime_types", &v));
	ck_assert_int_eq(json_object_array_length(v), 2);
	ck_assert(jstr(o, "created_at")[0] != '\0' && jstr(o, "updated_at")[0] != '\0');
	json_object_put(o);
	http_resp_free(&r);
	sb(&r, "GET", "/bucket/sbx-none", service, NULL);
	expect_error(&r, 404, "Bucket not found");
	/* Update: what is sent changes, null clears. */
	expect_answer("PUT", "/bucket/sbx-one", service,
	    "{\"id\":\"sbx-one\",\"name\":\"sbx-one\",\"public\":true,\"file_size_limit\":null}",
	    "{\"message\":\"Successfully updated\"}");
	sb(&r, "GET", "/bucket/sbx-one", NULL, NULL);
	expect_ok(&r, 200, "get as anon (public now)");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "public"), "true");
	ck_assert(json_object_object_get_ex(o, "file_size_limit", &v) && v == NULL);
	json_object_put(o);
	http_resp_free(&r);
	sb(&r, "PUT", "/bucket/sbx-none", service, "{\"public\":true}");
	expect_error(&r, 404, "Bucket not found");
	/* The list: the service role sees all. */
	sb(&r, "GET", "/bucket", service, NULL);
	expect_ok(&r, 200, "list");
	ck_assert_ptr_nonnull(strstr(r.body, "\"sbx-one\""));
	http_resp_free(&r);
	/* Not empty, emptied, deleted. */
	upload_ok("/object/sbx-one/f.txt", service, "x", NULL);
	sb(&r, "DELETE", "/bucket/sbx-one", service, "{}");
	expect_error(&r, 409, "ResourceNotEmpty");
	expect_answer("POST", "/bucket/sbx-one/empty", service, "{}",
	    "{\"message\":\"Successfully emptied\"}");
	expect_answer("DELETE", "/bucket/sbx-one", service, "{}",
	    "{\"message\":\"Successfully deleted\"}");
	sb(&r, "DELETE", "/bucket/sbx-one", service, "{}");
	expect_error(&r, 404, "Bucket not found");
}
END_TEST

/* storage-js's FormData: cacheControl, then the Blob under the name "". */
static long
put_form(struct http_resp *r, const char *path, const char *token, const char *data,
    const char *metadata)
{
	char body[4096], ct[128];
	const char *b = "sbxBoundary7MA4YWxk";
	int n;

	n = snprintf(body, sizeof(body),
	    "--%s\r\nContent-Disposition: form-data; name=\"cacheControl\"\r\n\r\n60\r\n", b);
	if (metadata != NULL)
		n += snprintf(body + n, sizeof(body) - (size_t)n,
		    "--%s\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n%s\r\n", b,
		    metadata);
	n += snprintf(body + n, sizeof(body) - (size_t)n,
	    "--%s\r\nContent-Disposition: form-data; name=\"\"; filename=\"blob\"\r\n"
	    "Content-Type: image/png\r\n\r\n%s\r\n--%s--\r\n",
	    b, data, b);
	snprintf(ct, sizeof(ct), "Content-Type: multipart/form-data; boundary=%s", b);
	http_do("POST", url(path), hdrs(anon, token, ct, "x-upsert: false"), body, (size_t)n, r);
	return r->status;
}

START_TEST(test_uploads)
{
	struct http_resp r;
	struct json_object *o, *v;
	char *h;

	keys();
	make_bucket("sbx-files", false);
	put_raw(&r, "POST", "/object/sbx-files/docs/a.txt", alice, "hello alice",
	    "cache-control: max-age=3600");
	expect_ok(&r, 200, "upload");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "Key"), "sbx-files/docs/a.txt");
	ck_assert_int_eq(strlen(jstr(o, "Id")), 36);
	json_object_put(o);
	http_resp_free(&r);
	/* Taken: x-upsert replaces; PUT replaces. */
	put_raw(&r, "POST", "/object/sbx-files/docs/a.txt", alice, "again", NULL);
	expect_error(&r, 409, "Duplicate");
	upload_ok("/object/sbx-files/docs/a.txt", alice, "hello again", "x-upsert: true");
	put_raw(&r, "PUT", "/object/sbx-files/docs/a.txt", alice, "hello, alice", NULL);
	expect_ok(&r, 200, "update");
	http_resp_free(&r);
	/* Anon may not upload; Bob does not see Alice's object. */
	put_raw(&r, "POST", "/object/sbx-files/anon.txt", NULL, "no", NULL);
	ck_assert_msg(r.status == 401 || r.status == 403, "%ld", r.status);
	http_resp_free(&r);
	sb(&r, "GET", "/object/sbx-files/docs/a.txt", bob, NULL);
	expect_error(&r, 404, "not_found");
	/* Download: bytes, validators, nosniff, Range, 304. */
	sb(&r, "GET", "/object/sbx-files/docs/a.txt", alice, NULL);
	expect_ok(&r, 200, "download");
	ck_assert_str_eq(r.body, "hello, alice");
	h = http_header(&r, "X-Content-Type-Options");
	ck_assert_str_eq(h, "nosniff");
	free(h);
	h = http_header(&r, "ETag");
	ck_assert_ptr_nonnull(h);
	http_resp_free(&r);
	{
		char inm[200];

		snprintf(inm, sizeof(inm), "If-None-Match: %s", h);
		http_do("GET", url("/object/authenticated/sbx-files/docs/a.txt"),
		    hdrs(anon, alice, inm, NULL), NULL, 0, &r);
		ck_assert_int_eq(r.status, 304);
		http_resp_free(&r);
	}
	free(h);
	http_do("GET", url("/object/authenticated/sbx-files/docs/a.txt"),
	    hdrs(anon, alice, "Range: bytes=7-11", NULL), NULL, 0, &r);
	ck_assert_int_eq(r.status, 206);
	ck_assert_str_eq(r.body, "alice");
	http_resp_free(&r);
	/* storage-js's form: the file part named "", cacheControl and
	 * metadata fields. */
	put_form(&r, "/object/sbx-files/docs/b.png", alice, "PNGDATA", "{\"k\":\"v\"}");
	expect_ok(&r, 200, "form upload");
	ck_assert_ptr_nonnull(strstr(r.body, "\"Key\":\"sbx-files/docs/b.png\""));
	http_resp_free(&r);
	sb(&r, "GET", "/object/info/sbx-files/docs/b.png", alice, NULL);
	expect_ok(&r, 200, "info");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "name"), "docs/b.png");
	ck_assert_str_eq(jstr(o, "bucket_id"), "sbx-files");
	ck_assert_str_eq(jstr(o, "size"), "7");
	ck_assert_str_eq(jstr(o, "content_type"), "image/png");
	ck_assert_str_eq(jstr(o, "cache_control"), "max-age=60");
	ck_assert(json_object_object_get_ex(o, "metadata", &v));
	ck_assert_str_eq(jstr(v, "k"), "v");
	ck_assert_int_eq(strlen(jstr(o, "id")), 36);
	ck_assert(jstr(o, "version")[0] != '\0' && jstr(o, "etag")[0] == '"');
	json_object_put(o);
	http_resp_free(&r);
	/* x-metadata: base64 of JSON, as storage-js sends it with a string. */
	put_raw(&r, "POST", "/object/sbx-files/docs/c.txt", alice, "c",
	    "x-metadata: eyJjb2xvciI6ImJsdWUifQ==");
	expect_ok(&r, 200, "upload with metadata");
	http_resp_free(&r);
	sb(&r, "GET", "/object/info/sbx-files/docs/c.txt", alice, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, "\"color\":\"blue\""));
	http_resp_free(&r);
	/* A copy keeps it unless copyMetadata is false. */
	sb(&r, "POST", "/object/copy", alice,
	    "{\"bucketId\":\"sbx-files\",\"sourceKey\":\"docs/c.txt\","
	    "\"destinationKey\":\"docs/bare.txt\",\"copyMetadata\":false}");
	expect_ok(&r, 200, "copy without metadata");
	http_resp_free(&r);
	sb(&r, "GET", "/object/info/sbx-files/docs/bare.txt", alice, NULL);
	ck_assert_msg(strstr(r.body, "color") == NULL && strstr(r.body, "\"size\":1") != NULL, "%s",
	    r.body);
	http_resp_free(&r);
}
END_TEST

/* Alice's files in bucket: docs/a.txt, docs/b.png, docs/c.txt, top.txt. */
static void
seed(const char *bucket)
{
	static const char *const files[][2] = { { "docs/a.txt", "hello" },
		{ "docs/b.png", "PNGDATA" }, { "docs/c.txt", "c" }, { "top.txt", "top" } };
	struct http_resp r;
	char path[256];

	make_bucket(bucket, false);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/object/%s/%s", bucket, files[i][0]);
		if (strstr(path, ".png") != NULL)
			http_do("POST", url(path),
			    hdrs(anon, alice, "Content-Type: image/png", "x-upsert: true"),
			    files[i][1], strlen(files[i][1]), &r);
		else
			put_raw(&r, "POST", path, alice, files[i][1], "x-upsert: true");
		expect_ok(&r, 200, path);
		http_resp_free(&r);
	}
}

START_TEST(test_list)
{
	struct http_resp r;
	struct json_object *a, *e, *v;

	keys();
	seed("sbx-list");
	/* List: one level, folders with id null. */
	sb(&r, "POST", "/object/list/sbx-list", alice,
	    "{\"prefix\":\"\",\"limit\":100,\"offset\":0,"
	    "\"sortBy\":{\"column\":\"name\",\"order\":\"asc\"}}");
	expect_ok(&r, 200, "list");
	a = json_body(&r);
	ck_assert_int_eq(json_object_array_length(a), 2);
	e = json_object_array_get_idx(a, 0);
	ck_assert_str_eq(jstr(e, "name"), "docs");
	ck_assert(json_object_object_get_ex(e, "id", &v) && v == NULL);
	e = json_object_array_get_idx(a, 1);
	ck_assert_str_eq(jstr(e, "name"), "top.txt");
	ck_assert(json_object_object_get_ex(e, "metadata", &v));
	ck_assert_str_eq(jstr(v, "size"), "3");
	ck_assert_str_eq(jstr(v, "mimetype"), "text/plain; charset=utf-8");
	json_object_put(a);
	http_resp_free(&r);
	sb(&r, "POST", "/object/list/sbx-list", alice,
	    "{\"prefix\":\"docs\",\"search\":\"b\",\"sortBy\":{\"column\":\"name\","
	    "\"order\":\"desc\"}}");
	expect_ok(&r, 200, "list search");
	a = json_body(&r);
	ck_assert_int_eq(json_object_array_length(a), 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(a, 0), "name"), "b.png");
	json_object_put(a);
	http_resp_free(&r);
	expect_answer("POST", "/object/list/sbx-list", bob, "{\"prefix\":\"docs/\"}", "[]");
	sb(&r, "POST", "/object/list/sbx-list", alice, "{\"sortBy\":{\"column\":\"size\"}}");
	expect_error(&r, 400, "InvalidRequest");
	sb(&r, "POST", "/object/list/sbx-nope", alice, "{}");
	expect_error(&r, 404, "Bucket not found");
}
END_TEST

START_TEST(test_move_copy_remove)
{
	struct http_resp r;
	struct json_object *o, *a;

	keys();
	seed("sbx-move");
	/* Move and copy. */
	sb(&r, "POST", "/object/move", alice,
	    "{\"bucketId\":\"sbx-move\",\"sourceKey\":\"docs/c.txt\","
	    "\"destinationKey\":\"moved/c.txt\"}");
	expect_ok(&r, 200, "move");
	ck_assert_ptr_nonnull(strstr(r.body, "\"message\":\"Successfully moved\""));
	http_resp_free(&r);
	sb(&r, "GET", "/object/sbx-move/docs/c.txt", alice, NULL);
	expect_error(&r, 404, "not_found");
	sb(&r, "POST", "/object/move", alice,
	    "{\"bucketId\":\"sbx-move\",\"sourceKey\":\"top.txt\",\"destinationKey\":\"docs/a.txt\"}");
	expect_error(&r, 409, "Duplicate");
	sb(&r, "POST", "/object/copy", alice,
	    "{\"bucketId\":\"sbx-move\",\"sourceKey\":\"moved/c.txt\","
	    "\"destinationKey\":\"copy/c.txt\"}");
	expect_ok(&r, 200, "copy");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "Key"), "sbx-move/copy/c.txt");
	json_object_put(o);
	http_resp_free(&r);
	expect_answer("GET", "/object/sbx-move/copy/c.txt", alice, NULL, "c");
	sb(&r, "POST", "/object/copy", bob,
	    "{\"bucketId\":\"sbx-move\",\"sourceKey\":\"top.txt\",\"destinationKey\":\"b.txt\"}");
	expect_error(&r, 404, "not_found");
	/* Remove: the objects removed; the copy's bytes are its own. */
	sb(&r, "DELETE", "/object/sbx-move", alice,
	    "{\"prefixes\":[\"moved/c.txt\",\"nothing.txt\"]}");
	expect_ok(&r, 200, "remove");
	a = json_body(&r);
	ck_assert_int_eq(json_object_array_length(a), 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(a, 0), "name"), "moved/c.txt");
	json_object_put(a);
	http_resp_free(&r);
	sb(&r, "GET", "/object/sbx-move/copy/c.txt", alice, NULL);
	expect_ok(&r, 200, "copy survives");
	http_resp_free(&r);
	sb(&r, "DELETE", "/object/sbx-move", alice, "{\"prefixes\":[]}");
	expect_error(&r, 400, "InvalidRequest");
	expect_answer("DELETE", "/object/sbx-move/copy/c.txt", alice, NULL,
	    "{\"message\":\"Successfully deleted\"}");
}
END_TEST

START_TEST(test_public_and_limits)
{
	struct http_resp r;

	keys();
	make_bucket("sbx-pub", true);
	make_bucket("sbx-priv", false);
	upload_ok("/object/sbx-pub/p.txt", alice, "public bytes", NULL);
	upload_ok("/object/sbx-priv/p.txt", alice, "private bytes", NULL);
	expect_answer("GET", "/object/public/sbx-pub/p.txt", NULL, NULL, "public bytes");
	sb(&r, "GET", "/object/public/sbx-priv/p.txt", alice, NULL);
	expect_error(&r, 404, "Bucket not found");
	sb(&r, "GET", "/object/public/sbx-pub/none.txt", NULL, NULL);
	expect_error(&r, 404, "not_found");
	/* A bucket's limits and types, in Storage's words. */
	sb(&r, "POST", "/bucket", service,
	    "{\"id\":\"sbx-small\",\"file_size_limit\":4,\"allowed_mime_types\":[\"text/plain\"]}");
	http_resp_free(&r);
	put_raw(&r, "POST", "/object/sbx-small/big.txt", alice, "too large", NULL);
	expect_error(&r, 413, "Payload too large");
	http_do("POST", url("/object/sbx-small/x.png"),
	    hdrs(anon, alice, "Content-Type: image/png", NULL), "png", 3, &r);
	expect_error(&r, 415, "invalid_mime_type");
	put_raw(&r, "POST", "/object/sbx-small/a%5Cb.txt", alice, "x", NULL);
	expect_error(&r, 400, "InvalidKey");
	/* Copies and moves into a bucket meet its rules too. */
	sb(&r, "POST", "/object/copy", alice,
	    "{\"bucketId\":\"sbx-pub\",\"sourceKey\":\"p.txt\",\"destinationBucket\":"
	    "\"sbx-small\",\"destinationKey\":\"p.txt\"}");
	expect_error(&r, 413, "Payload too large");
	http_do("POST", url("/object/sbx-pub/i.png"),
	    hdrs(anon, alice, "Content-Type: image/png", NULL), "png", 3, &r);
	http_resp_free(&r);
	sb(&r, "POST", "/object/move", alice,
	    "{\"bucketId\":\"sbx-pub\",\"sourceKey\":\"i.png\",\"destinationBucket\":"
	    "\"sbx-small\",\"destinationKey\":\"i.png\"}");
	expect_error(&r, 415, "invalid_mime_type");
	upload_ok("/object/sbx-pub/t.txt", alice, "tiny", NULL);
	sb(&r, "POST", "/object/move", alice,
	    "{\"bucketId\":\"sbx-pub\",\"sourceKey\":\"t.txt\",\"destinationBucket\":"
	    "\"sbx-small\",\"destinationKey\":\"t.txt\"}");
	expect_ok(&r, 200, "move across buckets");
	ck_assert_ptr_nonnull(strstr(r.body, "\"Key\":\"sbx-small/t.txt\""));
	http_resp_free(&r);
	expect_answer("GET", "/object/sbx-small/t.txt", alice, NULL, "tiny");
	sb(&r, "POST", "/bucket", service, "{\"id\":\"sbx-ice\",\"type\":\"ANALYTICS\"}");
	expect_error(&r, 400, "InvalidRequest");
}
END_TEST

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The token of a signed URL's path ("...?token=T"). */
static char *
token_of(const char *path)
{
	const char *t = strstr(path, "?token=");

	ck_assert_ptr_nonnull(t);
	return strdup(t + 7);
}

START_TEST(test_signed_urls)
{
	struct http_resp r;
	struct json_object *o, *a;
	char path[512], *tok, *up;

	keys();
	make_bucket("sbx-sign", false);
	upload_ok("/object/sbx-sign/d/s.txt", alice, "signed bytes", NULL);
	sb(&r, "POST", "/object/sign/sbx-sign/d/s.txt", alice, "{\"expiresIn\":60}");
	expect_ok(&r, 200, "sign");
	o = json_body(&r);
	ck_assert_msg(starts(jstr(o, "signedURL"), "/object/sign/sbx-sign/d/s.txt?token="), "%s",
	    r.body);
	snprintf(path, sizeof(path), "%s", jstr(o, "signedURL"));
	tok = token_of(path);
	json_object_put(o);
	http_resp_free(&r);
	/* Anyone with the URL; &download= makes it an attachment. */
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "&download=");
	sb(&r, "GET", path, NULL, NULL);
	expect_ok(&r, 200, "signed download");
	ck_assert_str_eq(r.body, "signed bytes");
	ck_assert_ptr_nonnull(strstr(r.headers, "attachment"));
	http_resp_free(&r);
	sb(&r, "GET", "/object/sign/sbx-sign/d/other.txt?token=1", NULL, NULL);
	expect_error(&r, 401, "InvalidSignature");
	sb(&r, "POST", "/object/sign/sbx-sign/d/s.txt", bob, "{\"expiresIn\":60}");
	expect_error(&r, 404, "not_found");
	sb(&r, "POST", "/object/sign/sbx-sign/d/s.txt", alice, "{\"expiresIn\":0}");
	expect_error(&r, 400, "InvalidRequest");
	/* Many: one entry per path, an error for what the caller cannot see. */
	sb(&r, "POST", "/object/sign/sbx-sign", alice,
	    "{\"expiresIn\":60,\"paths\":[\"d/s.txt\",\"d/none.txt\"]}");
	expect_ok(&r, 200, "sign many");
	a = json_body(&r);
	ck_assert_int_eq(json_object_array_length(a), 2);
	o = json_object_array_get_idx(a, 0);
	ck_assert_str_eq(jstr(o, "path"), "d/s.txt");
	ck_assert(starts(jstr(o, "signedURL"), "/object/sign/sbx-sign/d/s.txt?token="));
	ck_assert(json_object_object_get_ex(o, "error", NULL) && jstr(o, "error")[0] == '\0');
	o = json_object_array_get_idx(a, 1);
	ck_assert_str_eq(jstr(o, "path"), "d/none.txt");
	ck_assert(jstr(o, "error")[0] != '\0' && jstr(o, "signedURL")[0] == '\0');
	json_object_put(a);
	http_resp_free(&r);
	/* A signed upload: made by who may write, used by whoever holds it. */
	sb(&r, "POST", "/object/upload/sign/sbx-sign/u/up.txt", NULL, "{}");
	ck_assert_msg(r.status == 401 || r.status == 403, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	sb(&r, "POST", "/object/upload/sign/sbx-sign/u/up.txt", alice, "{}");
	expect_ok(&r, 200, "upload sign");
	o = json_body(&r);
	ck_assert(starts(jstr(o, "url"), "/object/upload/sign/sbx-sign/u/up.txt?token="));
	up = token_of(jstr(o, "url"));
	ck_assert_str_eq(jstr(o, "token"), up);
	json_object_put(o);
	http_resp_free(&r);
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/u/up.txt?token=%s", up);
	put_raw(&r, "PUT", path, NULL, "uploaded by token", NULL);
	expect_ok(&r, 200, "signed upload");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "Key"), "sbx-sign/u/up.txt");
	json_object_put(o);
	http_resp_free(&r);
	/* The object is its signer's. */
	expect_answer("GET", "/object/sbx-sign/u/up.txt", alice, NULL, "uploaded by token");
	sb(&r, "GET", "/object/sbx-sign/u/up.txt", bob, NULL);
	expect_error(&r, 404, "not_found");
	/* Another owner named in the token breaks its MAC. */
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/u/up.txt?token=%s%s", BOB,
	    strchr(up, '.'));
	put_raw(&r, "PUT", path, NULL, "as bob", NULL);
	expect_error(&r, 401, "InvalidSignature");
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/u/up.txt?token=%s", up);
	/* Made without upsert: the key is taken now. */
	put_raw(&r, "PUT", path, NULL, "again", NULL);
	expect_error(&r, 409, "Duplicate");
	/* Neither token opens the other's door, nor another key's. */
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/d/s.txt?token=%s", tok);
	put_raw(&r, "PUT", path, NULL, "overwrite", NULL);
	expect_error(&r, 401, "InvalidSignature");
	snprintf(path, sizeof(path), "/object/sign/sbx-sign/u/up.txt?token=%s", up);
	sb(&r, "GET", path, NULL, NULL);
	expect_error(&r, 401, "InvalidSignature");
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/u/other.txt?token=%s", up);
	put_raw(&r, "PUT", path, NULL, "x", NULL);
	expect_error(&r, 401, "InvalidSignature");
	free(tok);
	free(up);
}
END_TEST

/* A raw upload past [server] max_body_size streams in, and out again. */
START_TEST(test_large_upload_streams)
{
	char file[512], sha[65], got[65];
	unsigned char digest[32];
	struct http_resp r;
	uint64_t n;
	size_t size = 3 * 1024 * 1024 + 17;
	FILE *f;
	unsigned char *buf = malloc(size);

	keys();
	make_bucket("sbx-big", false);
	randombytes_buf(buf, size);
	crypto_hash_sha256(digest, buf, size);
	sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
	snprintf(file, sizeof(file), "%s/sbx-big.bin", getenv("FB_STACK_DIR"));
	f = fopen(file, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, size, f), size);
	fclose(f);
	free(buf);
	http_upload_file("POST", url("/object/sbx-big/big.bin"),
	    hdrs(anon, alice, "Content-Type: application/octet-stream", NULL), file, false, NULL,
	    &r);
	expect_ok(&r, 200, "large upload");
	http_resp_free(&r);
	http_download("GET", url("/object/sbx-big/big.bin"), hdrs(anon, alice, NULL, NULL), got, &n,
	    &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(n, size);
	ck_assert_str_eq(got, sha);
	http_resp_free(&r);
	/* Offloaded: the web server sends the same bytes. */
	stack_set("storage", "offload", "x-accel-redirect");
	http_download("GET", url("/object/authenticated/sbx-big/big.bin"),
	    hdrs(anon, alice, NULL, NULL), got, &n, &r);
	stack_set("storage", "offload", "off");
	ck_assert_msg(r.status == 200 && n == size, "offloaded: %ld %llu", r.status,
	    (unsigned long long)n);
	ck_assert_str_eq(got, sha);
	http_resp_free(&r);
	/* And as storage-js's form, through the signed upload too. */
	http_upload_file("PUT", url("/object/sbx-big/big.bin"), hdrs(anon, alice, NULL, NULL), file,
	    true, "application/octet-stream", &r);
	expect_ok(&r, 200, "large form update");
	http_resp_free(&r);
	remove(file);
}
END_TEST

TCase *
supabase_storage_tcase(void)
{
	TCase *tc = tcase_create("supabase_storage");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_gateway_and_buckets);
	tcase_add_test(tc, test_uploads);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_move_copy_remove);
	tcase_add_test(tc, test_public_and_limits);
	tcase_add_test(tc, test_signed_urls);
	tcase_add_test(tc, test_large_upload_streams);
	return tc;
}
