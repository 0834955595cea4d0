/*
 * storage/blob_fs.c - the filesystem blob backend (blob.h) under
 * [storage] root: root/tmp/<id>.part while an upload is in progress,
 * fsynced and renamed to root/blobs/ab/cd/<id>, its directory fsynced.
 * Downloads go out with sendfile; offloaded ones name the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "http.h"
#include "log.h"
#include "storage/blob.h"
#include "storage/blob_impl.h"

/* root/blobs/ab/cd/id, or the part after root/blobs/ with relative. */
static void
blob_path(const char *root, const char *id, bool relative, char *out, size_t n)
{
	if (relative)
		snprintf(out, n, "%.2s/%.2s/%s", id, id + 2, id);
	else
		snprintf(out, n, "%s/blobs/%.2s/%.2s/%s", root, id, id + 2, id);
}

/* Directories readable by whoever may read the files. */
static int
dir_mode(int file_mode)
{
	return 0700 | (file_mode & 0040 ? 0050 : 0) | (file_mode & 0004 ? 0005 : 0);
}

static int
mkdir_one(const char *path, int mode)
{
	if (mkdir(path, (mode_t)mode) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

static int
fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
blob_fs_put_begin(struct blob_writer *w)
{
	const char *root = w->conf->storage_root;
	int mode = w->conf->storage_file_mode;
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/tmp", root);
	if (mkdir_one(root, dir_mode(mode)) < 0 || mkdir_one(dir, 0700) < 0) {
		log_err("storage: cannot create %s: %m", dir);
		return -1;
	}
	snprintf(w->tmp, sizeof(w->tmp), "%s/tmp/%s.part", root, w->id);
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (w->fd < 0) {
		log_err("storage: cannot create %s: %m", w->tmp);
		w->tmp[0] = '\0';
		return -1;
	}
	fchmod(w->fd, (mode_t)mode);
	return 0;
}

int
blob_fs_put_write(struct blob_writer *w, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
blob_fs_put_commit(struct blob_writer *w)
{
	const char *root = w->conf->storage_root;
	char dir[4200], final[4200];
	int dmode = dir_mode(w->conf->storage_file_mode);

	if (fsync(w->fd) < 0 || close(w->fd) < 0) {
		w->fd = -1;
		return -1;
	}
	w->fd = -1;
	snprintf(dir, sizeof(dir), "%s/blobs", root);
	if (mkdir_one(dir, dmode) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/blobs/%.2s", root, w->id);
	if (mkdir_one(dir, dmode) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/blobs/%.2s/%.2s", root, w->id, w->id + 2);
	if (mkdir_one(dir, dmode) < 0)
		return -1;
	blob_path(root, w->id, false, final, sizeof(final));
	if (rename(w->tmp, final) < 0)
		return -1;
	w->tmp[0] = '\0';
	/* The rename itself must survive a crash before the row commits. */
	return fsync_dir(dir);
}

void
blob_fs_put_abort(struct blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp[0] != '\0')
		unlink(w->tmp);
	w->tmp[0] = '\0';
}

bool
blob_fs_exists(const struct conf *c, const char *id)
{
	char path[4200];

	blob_path(c->storage_root, id, false, path, sizeof(path));
	return access(path, R_OK) == 0;
}

/* The blob's file, open for reading, and its size; -1 when it is missing. */
static int
blob_open(const char *root, const char *id, uint64_t *size)
{
	char path[4200];
	struct stat st;
	int fd;

	blob_path(root, id, false, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("storage: blob %s is missing: %m", id);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int
blob_fs_send(struct request *r, const char *id, uint64_t size, uint64_t from, uint64_t length)
{
	uint64_t actual = 0;
	int fd = blob_open(r->conf->storage_root, id, &actual);

	if (fd < 0 || actual != size) {
		if (fd >= 0)
			close(fd);
		return errno = ENOENT, -1;
	}
	if (response_start(r) == 0 && r->method != HTTP_HEAD && length > 0 &&
	    response_send_file(r, fd, from, length) < 0 && !r->resp.failed)
		log_err("storage: reading blob %s failed mid-download", id);
	close(fd);
	return 0;
}

int
blob_fs_offload(struct request *r, const char *id)
{
	char path[4300];

	if (strcmp(r->conf->storage_offload, "x-accel-redirect") == 0) {
		char rel[200];

		blob_path(r->conf->storage_root, id, true, rel, sizeof(rel));
		snprintf(path, sizeof(path), "%s%s", r->conf->storage_offload_prefix, rel);
		response_header(r, "X-Accel-Redirect", arena_strdup(r->arena, path));
	} else {
		blob_path(r->conf->storage_root, id, false, path, sizeof(path));
		response_header(r, "X-Sendfile", arena_strdup(r->arena, path));
	}
	return 0;
}

int
blob_fs_delete(const struct conf *c, const char *id)
{
	char path[4200];

	blob_path(c->storage_root, id, false, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT) {
		log_err("storage: cannot delete blob %s: %m", id);
		return -1;
	}
	return 0;
}

int
blob_fs_copy(const struct conf *c, const char *src_id, char dst_id[BLOB_ID_LEN + 1])
{
	char buf[BLOB_CHUNK], etag[65];
	struct blob_writer w;
	uint64_t size;
	ssize_t got;
	int fd = blob_open(c->storage_root, src_id, &size);

	if (fd < 0)
		return -1;
	if (blob_put_begin(&w, c, size) < 0) {
		close(fd);
		return -1;
	}
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		if (blob_put_write(&w, buf, (size_t)got) < 0)
			break;
	close(fd);
	if (got != 0 || blob_put_commit(&w, etag) < 0) {
		blob_put_abort(&w);
		return -1;
	}
	memcpy(dst_id, w.id, BLOB_ID_LEN + 1);
	return 0;
}
