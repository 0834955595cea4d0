/*
 * storage/gc_s3.c - storage-gc on the S3 backend: the bucket listed with
 * ListObjectsV2 (1000 keys a page, continuation tokens) against the ids
 * rows point at, and the multipart uploads left behind (a worker killed
 * mid-upload) listed with ListMultipartUploads and aborted.  Both only when
 * older than --min-age: a younger one may belong to an upload about to
 * commit.  Keys that are not blob ids are not ours: left alone.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "storage/gc.h"
#include "storage/s3.h"

/* "2026-12-07T04:40:16.000Z" (S3's times) old enough to go. */
static bool
old_enough(const char *iso, long min_age)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return false;
	return time(NULL) - timegm(&tm) >= min_age;
}

static void
sweep_object(const struct conf *c, const struct idset *s, const char *key, const char *when,
    long min_age, int check_only, struct gc_counts *n)
{
	struct s3_xfer x;

	if (!blob_id_is_valid(key)) {
		fprintf(stderr, "storage-gc: not a blob, left alone: %s/%s\n", c->s3_bucket, key);
		return;
	}
	if (idset_mark(s, key))
		return;
	n->orphans++;
	if (check_only || !old_enough(when, min_age))
		return;
	if (s3_call(&x, c, "DELETE", key, "", NULL, 0, NULL) == 0)
		n->removed++;
	s3_free(&x);
}

/* One page of ListObjectsV2; *token: the next page's, "" after the last. */
static int
list_page(const struct conf *c, const struct idset *s, char *token, size_t tlen, long min_age,
    int check_only, struct gc_counts *n)
{
	char q[2400], enc[2200], block[4096], key[1100], when[64], truncated[8] = "";
	const char *pos, *in;
	struct s3_xfer x;

	s3_encode(token, false, enc, sizeof(enc));
	if (token[0] != '\0')
		snprintf(q, sizeof(q), "continuation-token=%s&list-type=2&max-keys=1000", enc);
	else
		snprintf(q, sizeof(q), "list-type=2&max-keys=1000");
	if (s3_call(&x, c, "GET", "", q, NULL, 0, NULL) < 0) {
		s3_free(&x);
		return -1;
	}
	pos = x.resp;
	while (s3_xml_next(&pos, "Contents", block, sizeof(block))) {
		in = block;
		if (!s3_xml_next(&in, "Key", key, sizeof(key)))
			continue;
		in = block;
		if (!s3_xml_next(&in, "LastModified", when, sizeof(when)))
			when[0] = '\0';
		sweep_object(c, s, key, when, min_age, check_only, n);
	}
	pos = x.resp;
	s3_xml_next(&pos, "IsTruncated", truncated, sizeof(truncated));
	pos = x.resp;
	if (strcmp(truncated, "true") != 0 ||
	    !s3_xml_next(&pos, "NextContinuationToken", token, tlen))
		token[0] = '\0';
	s3_free(&x);
	return 0;
}

/* One page of ListMultipartUploads; the markers move to the next page's. */
static int
uploads_page(const struct conf *c, char *kmark, char *umark, size_t mlen, long min_age,
    int check_only, struct gc_counts *n)
{
	char q[2400], ek[1100], eu[1100], block[4096], key[1100], id[1024], when[64];
	char truncated[8] = "";
	const char *pos, *in;
	struct s3_xfer x;

	s3_encode(kmark, false, ek, sizeof(ek));
	s3_encode(umark, false, eu, sizeof(eu));
	if (kmark[0] != '\0')
		snprintf(q, sizeof(q), "key-marker=%s&upload-id-marker=%s&uploads=", ek, eu);
	else
		snprintf(q, sizeof(q), "uploads=");
	if (s3_call(&x, c, "GET", "", q, NULL, 0, NULL) < 0) {
		s3_free(&x);
		return -1;
	}
	pos = x.resp;
	while (s3_xml_next(&pos, "Upload", block, sizeof(block))) {
		struct s3_xfer d;
		char eid[1100], dq[1200];

		in = block;
		if (!s3_xml_next(&in, "Key", key, sizeof(key)) || !blob_id_is_valid(key))
			continue;
		in = block;
		if (!s3_xml_next(&in, "UploadId", id, sizeof(id)))
			continue;
		in = block;
		if (!s3_xml_next(&in, "Initiated", when, sizeof(when)))
			when[0] = '\0';
		n->temps++;
		if (check_only || !old_enough(when, min_age))
			continue;
		s3_encode(id, false, eid, sizeof(eid));
		snprintf(dq, sizeof(dq), "uploadId=%s", eid);
		if (s3_call(&d, c, "DELETE", key, dq, NULL, 0, NULL) == 0)
			n->removed++;
		s3_free(&d);
	}
	pos = x.resp;
	s3_xml_next(&pos, "IsTruncated", truncated, sizeof(truncated));
	kmark[0] = umark[0] = '\0';
	if (strcmp(truncated, "true") == 0) {
		pos = x.resp;
		s3_xml_next(&pos, "NextKeyMarker", kmark, mlen);
		pos = x.resp;
		s3_xml_next(&pos, "NextUploadIdMarker", umark, mlen);
	}
	s3_free(&x);
	return 0;
}

int
storage_gc_s3(const struct conf *c, const struct idset *s, long min_age, int check_only,
    struct gc_counts *n)
{
	char token[2048] = "", kmark[1024] = "", umark[1024] = "";

	do {
		if (list_page(c, s, token, sizeof(token), min_age, check_only, n) < 0)
			return -1;
	} while (token[0] != '\0');
	do {
		if (uploads_page(c, kmark, umark, sizeof(kmark), min_age, check_only, n) < 0)
			return -1;
	} while (kmark[0] != '\0');
	return 0;
}
