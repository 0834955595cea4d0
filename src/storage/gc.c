/*
 * storage/gc.c - walks root/blobs/xx/yy/ and root/tmp/ (or, with the S3
 * backend, the bucket: gc_s3.c) against the blob ids of storage.objects
 * (read through the admin connection, which sees every row).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "storage/blob.h"
#include "storage/gc.h"

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

bool
idset_mark(const struct idset *s, const char *id)
{
	char(*hit)[BLOB_ID_LEN + 1] = bsearch(id, s->ids, s->n, sizeof(*s->ids), cmp_id);

	if (hit != NULL)
		s->seen[hit - s->ids] = 1;
	return hit != NULL;
}

static bool
old_enough(const char *path, long min_age)
{
	struct stat st;

	return stat(path, &st) == 0 && time(NULL) - st.st_mtime >= min_age;
}

static void
sweep_dir(const char *dir, const struct idset *s, long min_age, int check_only,
    unsigned long *orphans, unsigned long *removed)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[5200];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!blob_id_is_valid(e->d_name)) {
			fprintf(stderr, "storage-gc: not a blob, left alone: %s\n", path);
			continue;
		}
		if (idset_mark(s, e->d_name))
			continue;
		(*orphans)++;
		if (!check_only && old_enough(path, min_age) && unlink(path) == 0)
			(*removed)++;
	}
	closedir(d);
}

/* Every blob under root/blobs/xx/yy/: marked seen when a row points at
 * it, else an orphan. */
static void
sweep_blobs(const char *root, const struct idset *s, long min_age, int check_only,
    unsigned long *orphans, unsigned long *removed)
{
	char dir[4200], sub[4500], leaf[4800];
	DIR *d1, *d2;
	struct dirent *e1, *e2;

	snprintf(dir, sizeof(dir), "%s/blobs", root);
	if ((d1 = opendir(dir)) == NULL)
		return;
	while ((e1 = readdir(d1)) != NULL) {
		if (e1->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e1->d_name);
		if ((d2 = opendir(sub)) == NULL)
			continue;
		while ((e2 = readdir(d2)) != NULL) {
			if (e2->d_name[0] == '.')
				continue;
			snprintf(leaf, sizeof(leaf), "%s/%s", sub, e2->d_name);
			sweep_dir(leaf, s, min_age, check_only, orphans, removed);
		}
		closedir(d2);
	}
	closedir(d1);
}

/* The unfinished uploads under root/tmp/. */
static void
sweep_tmp(const char *root, long min_age, int check_only, unsigned long *temps,
    unsigned long *removed)
{
	char dir[4200], leaf[4800];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/tmp", root);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(leaf, sizeof(leaf), "%s/%s", dir, e->d_name);
		(*temps)++;
		if (!check_only && old_enough(leaf, min_age) && unlink(leaf) == 0)
			(*removed)++;
	}
	closedir(d);
}

int
storage_gc(const struct conf *c, long min_age, int check_only)
{
	const char *url = c->db_admin_url[0] ? c->db_admin_url : c->db_url;
	struct db *db = db_new(url, c->db_connect_timeout);
	struct db_result *res;
	struct idset s = { 0 };
	struct gc_counts k = { 0, 0, 0 };
	unsigned long missing = 0;
	int rc = 1;

	if (db == NULL || db_connect(db) < 0) {
		fprintf(stderr, "storage-gc: cannot connect: %s\n", db ? db_last_error(db) : "");
		db_free(db);
		return 1;
	}
	/* A pooler may hand this connection a role and claims its last
	 * client left on it (our workers leave none; any other client may):
	 * the objects listed would be only those that role sees, and every
	 * other object's blob would look orphaned. */
	if (db_pooled(db)) {
		fprintf(stderr,
		    "storage-gc: [database] %s leads to a connection pooler; set [database]"
		    " admin_url to PostgreSQL itself\n",
		    c->db_admin_url[0] ? "admin_url" : "url");
		db_free(db);
		return 1;
	}
	res = db_exec(db, "SELECT blob_id FROM storage.objects ORDER BY blob_id", 0, NULL);
	if (db_result_status(res) != DB_OK) {
		fprintf(stderr, "storage-gc: %s\n", db_result_message(res));
		goto done;
	}
	s.n = (size_t)db_result_rows(res);
	s.ids = calloc(s.n + 1, sizeof(*s.ids));
	s.seen = calloc(s.n + 1, 1);
	if (s.ids == NULL || s.seen == NULL)
		goto done;
	for (size_t i = 0; i < s.n; i++)
		snprintf(s.ids[i], sizeof(s.ids[i]), "%s", db_result_value(res, (int)i, 0));
	qsort(s.ids, s.n, sizeof(*s.ids), cmp_id);

	if (c->storage_backend != NULL && strcmp(c->storage_backend, "s3") == 0) {
		if (storage_gc_s3(c, &s, min_age, check_only, &k) < 0) {
			fprintf(stderr, "storage-gc: cannot list the S3 bucket %s\n", c->s3_bucket);
			goto done;
		}
	} else {
		sweep_blobs(c->storage_root, &s, min_age, check_only, &k.orphans, &k.removed);
		sweep_tmp(c->storage_root, min_age, check_only, &k.temps, &k.removed);
	}
	for (size_t i = 0; i < s.n; i++) {
		if (!s.seen[i]) {
			missing++;
			fprintf(stderr, "storage-gc: a row points at a missing blob %s\n",
			    s.ids[i]);
		}
	}
	printf("storage-gc: %zu rows, %lu orphan blobs, %lu unfinished uploads, %lu removed, %lu"
	       " rows without a blob\n",
	    s.n, k.orphans, k.temps, k.removed, missing);
	if (check_only)
		rc = missing == 0 && k.orphans == 0 && k.temps == 0 ? 0 : 1;
	else
		rc = missing == 0 ? 0 : 1;
done:
	db_result_free(res);
	free(s.ids);
	free(s.seen);
	db_free(db);
	return rc;
}
