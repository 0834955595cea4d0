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
#include "supabase_storage_client.h"

START_TEST(test_gateway_and_buckets)
{
	struct http_resp r;
	struct json_object *o, *v;

	sb_keys();
	/* The gateway's key, in Storage's shape. */
	http_do("GET", sb_url("/bucket"), NULL, NULL, 0, &r);
	sb_expect_error(&r, 401, "Unauthorized");
	/* Bucket writes are the service role's. */
	sb_call(&r, "POST", "/bucket", NULL, "{\"id\":\"sbx-anon\",\"name\":\"sbx-anon\"}");
	ck_assert_msg(r.status == 401 || r.status == 403, "%ld", r.status);
	http_resp_free(&r);
	sb_expect_answer("POST", "/bucket", sb_service,
	    "{\"id\":\"sbx-one\",\"name\":\"sbx-one\",\"public\":false,"
	    "\"file_size_limit\":\"1MB\",\"allowed_mime_types\":[\"text/*\",\"image/png\"]}",
	    "{\"name\":\"sbx-one\"}");
	sb_call(&r, "POST", "/bucket", sb_service, "{\"id\":\"sbx-one\",\"name\":\"sbx-one\"}");
	sb_expect_error(&r, 409, "Duplicate");
	sb_call(&r, "POST", "/bucket", sb_service, "{\"id\":\"Bad Name\"}");
	sb_expect_error(&r, 400, "Invalid Input");
	sb_call(&r, "POST", "/bucket", sb_service,
	    "{\"id\":\"sbx-two\",\"file_size_limit\":\"lots\"}");
	sb_expect_error(&r, 400, "InvalidRequest");
	/* Storage's bucket object. */
	sb_call(&r, "GET", "/bucket/sbx-one", sb_service, NULL);
	sb_expect_ok(&r, 200, "get");
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
	sb_call(&r, "GET", "/bucket/sbx-none", sb_service, NULL);
	sb_expect_error(&r, 404, "Bucket not found");
	/* Update: what is sent changes, null clears. */
	sb_expect_answer("PUT", "/bucket/sbx-one", sb_service,
	    "{\"id\":\"sbx-one\",\"name\":\"sbx-one\",\"public\":true,\"file_size_limit\":null}",
	    "{\"message\":\"Successfully updated\"}");
	sb_call(&r, "GET", "/bucket/sbx-one", NULL, NULL);
	sb_expect_ok(&r, 200, "get as anon (public now)");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "public"), "true");
	ck_assert(json_object_object_get_ex(o, "file_size_limit", &v) && v == NULL);
	json_object_put(o);
	http_resp_free(&r);
	sb_call(&r, "PUT", "/bucket/sbx-none", sb_service, "{\"public\":true}");
	sb_expect_error(&r, 404, "Bucket not found");
	/* The list: the service role sees all. */
	sb_call(&r, "GET", "/bucket", sb_service, NULL);
	sb_expect_ok(&r, 200, "list");
	ck_assert_ptr_nonnull(strstr(r.body, "\"sbx-one\""));
	http_resp_free(&r);
	/* Not empty, emptied, deleted. */
	sb_upload_ok("/object/sbx-one/f.txt", sb_service, "x", NULL);
	sb_call(&r, "DELETE", "/bucket/sbx-one", sb_service, "{}");
	sb_expect_error(&r, 409, "ResourceNotEmpty");
	sb_expect_answer("POST", "/bucket/sbx-one/empty", sb_service, "{}",
	    "{\"message\":\"Successfully emptied\"}");
	sb_expect_answer("DELETE", "/bucket/sbx-one", sb_service, "{}",
	    "{\"message\":\"Successfully deleted\"}");
	sb_call(&r, "DELETE", "/bucket/sbx-one", sb_service, "{}");
	sb_expect_error(&r, 404, "Bucket not found");
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
	http_do("POST", sb_url(path), sb_hdrs(sb_anon, token, ct, "x-upsert: false"), body,
	    (size_t)n, r);
	return r->status;
}

START_TEST(test_uploads)
{
	struct http_resp r;
	struct json_object *o, *v;
	char *h;

	sb_keys();
	sb_make_bucket("sbx-files", false);
	sb_put_raw(&r, "POST", "/object/sbx-files/docs/a.txt", sb_alice, "hello alice",
	    "cache-control: max-age=3600");
	sb_expect_ok(&r, 200, "upload");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "Key"), "sbx-files/docs/a.txt");
	ck_assert_int_eq(strlen(jstr(o, "Id")), 36);
	json_object_put(o);
	http_resp_free(&r);
	/* Taken: x-upsert replaces; PUT replaces. */
	sb_put_raw(&r, "POST", "/object/sbx-files/docs/a.txt", sb_alice, "again", NULL);
	sb_expect_error(&r, 409, "Duplicate");
	sb_upload_ok("/object/sbx-files/docs/a.txt", sb_alice, "hello again", "x-upsert: true");
	sb_put_raw(&r, "PUT", "/object/sbx-files/docs/a.txt", sb_alice, "hello, alice", NULL);
	sb_expect_ok(&r, 200, "update");
	http_resp_free(&r);
	/* Anon may not upload; Bob does not see Alice's object. */
	sb_put_raw(&r, "POST", "/object/sbx-files/anon.txt", NULL, "no", NULL);
	ck_assert_msg(r.status == 401 || r.status == 403, "%ld", r.status);
	http_resp_free(&r);
	sb_call(&r, "GET", "/object/sbx-files/docs/a.txt", sb_bob, NULL);
	sb_expect_error(&r, 404, "not_found");
	/* Download: bytes, validators, nosniff, Range, 304. */
	sb_call(&r, "GET", "/object/sbx-files/docs/a.txt", sb_alice, NULL);
	sb_expect_ok(&r, 200, "download");
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
		http_do("GET", sb_url("/object/authenticated/sbx-files/docs/a.txt"),
		    sb_hdrs(sb_anon, sb_alice, inm, NULL), NULL, 0, &r);
		ck_assert_int_eq(r.status, 304);
		http_resp_free(&r);
	}
	free(h);
	http_do("GET", sb_url("/object/authenticated/sbx-files/docs/a.txt"),
	    sb_hdrs(sb_anon, sb_alice, "Range: bytes=7-11", NULL), NULL, 0, &r);
	ck_assert_int_eq(r.status, 206);
	ck_assert_str_eq(r.body, "alice");
	http_resp_free(&r);
	/* storage-js's form: the file part named "", cacheControl and
	 * metadata fields. */
	put_form(&r, "/object/sbx-files/docs/b.png", sb_alice, "PNGDATA", "{\"k\":\"v\"}");
	sb_expect_ok(&r, 200, "form upload");
	ck_assert_ptr_nonnull(strstr(r.body, "\"Key\":\"sbx-files/docs/b.png\""));
	http_resp_free(&r);
	sb_call(&r, "GET", "/object/info/sbx-files/docs/b.png", sb_alice, NULL);
	sb_expect_ok(&r, 200, "info");
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
	sb_put_raw(&r, "POST", "/object/sbx-files/docs/c.txt", sb_alice, "c",
	    "x-metadata: eyJjb2xvciI6ImJsdWUifQ==");
	sb_expect_ok(&r, 200, "upload with metadata");
	http_resp_free(&r);
	sb_call(&r, "GET", "/object/info/sbx-files/docs/c.txt", sb_alice, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, "\"color\":\"blue\""));
	http_resp_free(&r);
	/* A copy keeps it unless copyMetadata is false. */
	sb_call(&r, "POST", "/object/copy", sb_alice,
	    "{\"bucketId\":\"sbx-files\",\"sourceKey\":\"docs/c.txt\","
	    "\"destinationKey\":\"docs/bare.txt\",\"copyMetadata\":false}");
	sb_expect_ok(&r, 200, "copy without metadata");
	http_resp_free(&r);
	sb_call(&r, "GET", "/object/info/sbx-files/docs/bare.txt", sb_alice, NULL);
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

	sb_make_bucket(bucket, false);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/object/%s/%s", bucket, files[i][0]);
		if (strstr(path, ".png") != NULL)
			http_do("POST", sb_url(path),
			    sb_hdrs(sb_anon, sb_alice, "Content-Type: image/png", "x-upsert: true"),
			    files[i][1], strlen(files[i][1]), &r);
		else
			sb_put_raw(&r, "POST", path, sb_alice, files[i][1], "x-upsert: true");
		sb_expect_ok(&r, 200, path);
		http_resp_free(&r);
	}
}

START_TEST(test_list)
{
	struct http_resp r;
	struct json_object *a, *e, *v;

	sb_keys();
	seed("sbx-list");
	/* List: one level, folders with id null. */
	sb_call(&r, "POST", "/object/list/sbx-list", sb_alice,
	    "{\"prefix\":\"\",\"limit\":100,\"offset\":0,"
	    "\"sortBy\":{\"column\":\"name\",\"order\":\"asc\"}}");
	sb_expect_ok(&r, 200, "list");
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
	sb_call(&r, "POST", "/object/list/sbx-list", sb_alice,
	    "{\"prefix\":\"docs\",\"search\":\"b\",\"sortBy\":{\"column\":\"name\","
	    "\"order\":\"desc\"}}");
	sb_expect_ok(&r, 200, "list search");
	a = json_body(&r);
	ck_assert_int_eq(json_object_array_length(a), 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(a, 0), "name"), "b.png");
	json_object_put(a);
	http_resp_free(&r);
	sb_expect_answer("POST", "/object/list/sbx-list", sb_bob, "{\"prefix\":\"docs/\"}", "[]");
	sb_call(&r, "POST", "/object/list/sbx-list", sb_alice,
	    "{\"sortBy\":{\"column\":\"size\"}}");
	sb_expect_error(&r, 400, "InvalidRequest");
	sb_call(&r, "POST", "/object/list/sbx-nope", sb_alice, "{}");
	sb_expect_error(&r, 404, "Bucket not found");
}
END_TEST

START_TEST(test_move_copy_remove)
{
	struct http_resp r;
	struct json_object *o, *a;

	sb_keys();
	seed("sbx-move");
	/* Move and copy. */
	sb_call(&r, "POST", "/object/move", sb_alice,
	    "{\"bucketId\":\"sbx-move\",\"sourceKey\":\"docs/c.txt\","
	    "\"destinationKey\":\"moved/c.txt\"}");
	sb_expect_ok(&r, 200, "move");
	ck_assert_ptr_nonnull(strstr(r.body, "\"message\":\"Successfully moved\""));
	http_resp_free(&r);
	sb_call(&r, "GET", "/object/sbx-move/docs/c.txt", sb_alice, NULL);
	sb_expect_error(&r, 404, "not_found");
	sb_call(&r, "POST", "/object/move", sb_alice,
	    "{\"bucketId\":\"sbx-move\",\"sourceKey\":\"top.txt\",\"destinationKey\":\"docs/a.txt\"}");
	sb_expect_error(&r, 409, "Duplicate");
	sb_call(&r, "POST", "/object/copy", sb_alice,
	    "{\"bucketId\":\"sbx-move\",\"sourceKey\":\"moved/c.txt\","
	    "\"destinationKey\":\"copy/c.txt\"}");
	sb_expect_ok(&r, 200, "copy");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "Key"), "sbx-move/copy/c.txt");
	json_object_put(o);
	http_resp_free(&r);
	sb_expect_answer("GET", "/object/sbx-move/copy/c.txt", sb_alice, NULL, "c");
	sb_call(&r, "POST", "/object/copy", sb_bob,
	    "{\"bucketId\":\"sbx-move\",\"sourceKey\":\"top.txt\",\"destinationKey\":\"b.txt\"}");
	sb_expect_error(&r, 404, "not_found");
	/* Remove: the objects removed; the copy's bytes are its own. */
	sb_call(&r, "DELETE", "/object/sbx-move", sb_alice,
	    "{\"prefixes\":[\"moved/c.txt\",\"nothing.txt\"]}");
	sb_expect_ok(&r, 200, "remove");
	a = json_body(&r);
	ck_assert_int_eq(json_object_array_length(a), 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(a, 0), "name"), "moved/c.txt");
	json_object_put(a);
	http_resp_free(&r);
	sb_call(&r, "GET", "/object/sbx-move/copy/c.txt", sb_alice, NULL);
	sb_expect_ok(&r, 200, "copy survives");
	http_resp_free(&r);
	sb_call(&r, "DELETE", "/object/sbx-move", sb_alice, "{\"prefixes\":[]}");
	sb_expect_error(&r, 400, "InvalidRequest");
	sb_expect_answer("DELETE", "/object/sbx-move/copy/c.txt", sb_alice, NULL,
	    "{\"message\":\"Successfully deleted\"}");
}
END_TEST

START_TEST(test_public_and_limits)
{
	struct http_resp r;

	sb_keys();
	sb_make_bucket("sbx-pub", true);
	sb_make_bucket("sbx-priv", false);
	sb_upload_ok("/object/sbx-pub/p.txt", sb_alice, "public bytes", NULL);
	sb_upload_ok("/object/sbx-priv/p.txt", sb_alice, "private bytes", NULL);
	sb_expect_answer("GET", "/object/public/sbx-pub/p.txt", NULL, NULL, "public bytes");
	sb_call(&r, "GET", "/object/public/sbx-priv/p.txt", sb_alice, NULL);
	sb_expect_error(&r, 404, "Bucket not found");
	sb_call(&r, "GET", "/object/public/sbx-pub/none.txt", NULL, NULL);
	sb_expect_error(&r, 404, "not_found");
	/* A bucket's limits and types, in Storage's words. */
	sb_call(&r, "POST", "/bucket", sb_service,
	    "{\"id\":\"sbx-small\",\"file_size_limit\":4,\"allowed_mime_types\":[\"text/plain\"]}");
	http_resp_free(&r);
	sb_put_raw(&r, "POST", "/object/sbx-small/big.txt", sb_alice, "too large", NULL);
	sb_expect_error(&r, 413, "Payload too large");
	http_do("POST", sb_url("/object/sbx-small/x.png"),
	    sb_hdrs(sb_anon, sb_alice, "Content-Type: image/png", NULL), "png", 3, &r);
	sb_expect_error(&r, 415, "invalid_mime_type");
	sb_put_raw(&r, "POST", "/object/sbx-small/a%5Cb.txt", sb_alice, "x", NULL);
	sb_expect_error(&r, 400, "InvalidKey");
	/* Copies and moves into a bucket meet its rules too. */
	sb_call(&r, "POST", "/object/copy", sb_alice,
	    "{\"bucketId\":\"sbx-pub\",\"sourceKey\":\"p.txt\",\"destinationBucket\":"
	    "\"sbx-small\",\"destinationKey\":\"p.txt\"}");
	sb_expect_error(&r, 413, "Payload too large");
	http_do("POST", sb_url("/object/sbx-pub/i.png"),
	    sb_hdrs(sb_anon, sb_alice, "Content-Type: image/png", NULL), "png", 3, &r);
	http_resp_free(&r);
	sb_call(&r, "POST", "/object/move", sb_alice,
	    "{\"bucketId\":\"sbx-pub\",\"sourceKey\":\"i.png\",\"destinationBucket\":"
	    "\"sbx-small\",\"destinationKey\":\"i.png\"}");
	sb_expect_error(&r, 415, "invalid_mime_type");
	sb_upload_ok("/object/sbx-pub/t.txt", sb_alice, "tiny", NULL);
	sb_call(&r, "POST", "/object/move", sb_alice,
	    "{\"bucketId\":\"sbx-pub\",\"sourceKey\":\"t.txt\",\"destinationBucket\":"
	    "\"sbx-small\",\"destinationKey\":\"t.txt\"}");
	sb_expect_ok(&r, 200, "move across buckets");
	ck_assert_ptr_nonnull(strstr(r.body, "\"Key\":\"sbx-small/t.txt\""));
	http_resp_free(&r);
	sb_expect_answer("GET", "/object/sbx-small/t.txt", sb_alice, NULL, "tiny");
	sb_call(&r, "POST", "/bucket", sb_service, "{\"id\":\"sbx-ice\",\"type\":\"ANALYTICS\"}");
	sb_expect_error(&r, 400, "InvalidRequest");
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

	sb_keys();
	sb_make_bucket("sbx-sign", false);
	sb_upload_ok("/object/sbx-sign/d/s.txt", sb_alice, "signed bytes", NULL);
	sb_call(&r, "POST", "/object/sign/sbx-sign/d/s.txt", sb_alice, "{\"expiresIn\":60}");
	sb_expect_ok(&r, 200, "sign");
	o = json_body(&r);
	ck_assert_msg(starts(jstr(o, "signedURL"), "/object/sign/sbx-sign/d/s.txt?token="), "%s",
	    r.body);
	snprintf(path, sizeof(path), "%s", jstr(o, "signedURL"));
	tok = token_of(path);
	json_object_put(o);
	http_resp_free(&r);
	/* Anyone with the URL; &download= makes it an attachment. */
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "&download=");
	sb_call(&r, "GET", path, NULL, NULL);
	sb_expect_ok(&r, 200, "signed download");
	ck_assert_str_eq(r.body, "signed bytes");
	ck_assert_ptr_nonnull(strstr(r.headers, "attachment"));
	http_resp_free(&r);
	sb_call(&r, "GET", "/object/sign/sbx-sign/d/other.txt?token=1", NULL, NULL);
	sb_expect_error(&r, 401, "InvalidSignature");
	sb_call(&r, "POST", "/object/sign/sbx-sign/d/s.txt", sb_bob, "{\"expiresIn\":60}");
	sb_expect_error(&r, 404, "not_found");
	sb_call(&r, "POST", "/object/sign/sbx-sign/d/s.txt", sb_alice, "{\"expiresIn\":0}");
	sb_expect_error(&r, 400, "InvalidRequest");
	/* Many: one entry per path, an error for what the caller cannot see. */
	sb_call(&r, "POST", "/object/sign/sbx-sign", sb_alice,
	    "{\"expiresIn\":60,\"paths\":[\"d/s.txt\",\"d/none.txt\"]}");
	sb_expect_ok(&r, 200, "sign many");
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
	sb_call(&r, "POST", "/object/upload/sign/sbx-sign/u/up.txt", NULL, "{}");
	ck_assert_msg(r.status == 401 || r.status == 403, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	sb_call(&r, "POST", "/object/upload/sign/sbx-sign/u/up.txt", sb_alice, "{}");
	sb_expect_ok(&r, 200, "upload sign");
	o = json_body(&r);
	ck_assert(starts(jstr(o, "url"), "/object/upload/sign/sbx-sign/u/up.txt?token="));
	up = token_of(jstr(o, "url"));
	ck_assert_str_eq(jstr(o, "token"), up);
	json_object_put(o);
	http_resp_free(&r);
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/u/up.txt?token=%s", up);
	sb_put_raw(&r, "PUT", path, NULL, "uploaded by token", NULL);
	sb_expect_ok(&r, 200, "signed upload");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "Key"), "sbx-sign/u/up.txt");
	json_object_put(o);
	http_resp_free(&r);
	/* The object is its signer's. */
	sb_expect_answer("GET", "/object/sbx-sign/u/up.txt", sb_alice, NULL, "uploaded by token");
	sb_call(&r, "GET", "/object/sbx-sign/u/up.txt", sb_bob, NULL);
	sb_expect_error(&r, 404, "not_found");
	/* Another owner named in the token breaks its MAC. */
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/u/up.txt?token=%s%s", BOB,
	    strchr(up, '.'));
	sb_put_raw(&r, "PUT", path, NULL, "as bob", NULL);
	sb_expect_error(&r, 401, "InvalidSignature");
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/u/up.txt?token=%s", up);
	/* Made without upsert: the key is taken now. */
	sb_put_raw(&r, "PUT", path, NULL, "again", NULL);
	sb_expect_error(&r, 409, "Duplicate");
	/* Neither token opens the other's door, nor another key's. */
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/d/s.txt?token=%s", tok);
	sb_put_raw(&r, "PUT", path, NULL, "overwrite", NULL);
	sb_expect_error(&r, 401, "InvalidSignature");
	snprintf(path, sizeof(path), "/object/sign/sbx-sign/u/up.txt?token=%s", up);
	sb_call(&r, "GET", path, NULL, NULL);
	sb_expect_error(&r, 401, "InvalidSignature");
	snprintf(path, sizeof(path), "/object/upload/sign/sbx-sign/u/other.txt?token=%s", up);
	sb_put_raw(&r, "PUT", path, NULL, "x", NULL);
	sb_expect_error(&r, 401, "InvalidSignature");
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

	sb_keys();
	sb_make_bucket("sbx-big", false);
	randombytes_buf(buf, size);
	crypto_hash_sha256(digest, buf, size);
	sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
	snprintf(file, sizeof(file), "%s/sbx-big.bin", getenv("FB_STACK_DIR"));
	f = fopen(file, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, size, f), size);
	fclose(f);
	free(buf);
	http_upload_file("POST", sb_url("/object/sbx-big/big.bin"),
	    sb_hdrs(sb_anon, sb_alice, "Content-Type: application/octet-stream", NULL), file, false,
	    NULL, &r);
	sb_expect_ok(&r, 200, "large upload");
	http_resp_free(&r);
	http_download("GET", sb_url("/object/sbx-big/big.bin"),
	    sb_hdrs(sb_anon, sb_alice, NULL, NULL), got, &n, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(n, size);
	ck_assert_str_eq(got, sha);
	http_resp_free(&r);
	/* Offloaded: the web server sends the same bytes. */
	stack_set("storage", "offload", "x-accel-redirect");
	http_download("GET", sb_url("/object/authenticated/sbx-big/big.bin"),
	    sb_hdrs(sb_anon, sb_alice, NULL, NULL), got, &n, &r);
	stack_set("storage", "offload", "off");
	ck_assert_msg(r.status == 200 && n == size, "offloaded: %ld %llu", r.status,
	    (unsigned long long)n);
	ck_assert_str_eq(got, sha);
	http_resp_free(&r);
	/* And as storage-js's form, through the signed upload too. */
	http_upload_file("PUT", sb_url("/object/sbx-big/big.bin"),
	    sb_hdrs(sb_anon, sb_alice, NULL, NULL), file, true, "application/octet-stream", &r);
	sb_expect_ok(&r, 200, "large form update");
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
