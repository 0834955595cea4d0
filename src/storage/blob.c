/*
 * storage/blob.c - the filesystem blob backend.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "storage/blob.h"

bool
blob_id_is_valid(const char *id)
{
	size_t n = 0;

	for (; id[n] != '\0'; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	return n == BLOB_ID_LEN;
}

void
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
blob_put_begin(struct blob_writer *w, const char *root, int mode)
{
	unsigned char rnd[BLOB_ID_LEN / 2];
	char dir[4200];

	memset(w, 0, sizeof(*w));
	w->root = root;
	w->mode = mode;
	w->fd = -1;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(w->id, sizeof(w->id), rnd, sizeof(rnd));
	snprintf(dir, sizeof(dir), "%s/tmp", root);
	if (mkdir_one(root, dir_mode(mode)) < 0 || mkdir_one(dir, 0700) < 0) {
		log_err("storage: cannot create %s: %m", dir);
		return -1;
	}
	snprintf(w->tmp, sizeof(w->tmp), "%s/tmp/%s.part", root, w->id);
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (w->fd < 0) {
		log_err("storage: cannot create %s: %m", w->tmp);
		return -1;
	}
	fchmod(w->fd, (mode_t)mode);
	crypto_hash_sha256_init(&w->sha);
	return 0;
}

int
blob_put_write(struct blob_writer *w, const void *buf, size_t n)
{
	const char *p = buf;

	crypto_hash_sha256_update(&w->sha, buf, n);
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		w->size += (uint64_t)k;
	}
	return 0;
}

int
blob_put_commit(struct blob_writer *w, char etag[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char dir[4200], final[4200];
	int dmode = dir_mode(w->mode);

	crypto_hash_sha256_final(&w->sha, digest);
	sodium_bin2hex(etag, 65, digest, sizeof(digest));
	if (fsync(w->fd) < 0 || close(w->fd) < 0) {
		w->fd = -1;
		return -1;
	}
	w->fd = -1;
	snprintf(dir, sizeof(dir), "%s/blobs", w->root);
	if (mkdir_one(dir, dmode) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/blobs/%.2s", w->root, w->id);
	if (mkdir_one(dir, dmode) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/blobs/%.2s/%.2s", w->root, w->id, w->id + 2);
	if (mkdir_one(dir, dmode) < 0)
		return -1;
	blob_path(w->root, w->id, false, final, sizeof(final));
	if (rename(w->tmp, final) < 0)
		return -1;
	w->tmp[0] = '\0';
	/* The rename itself must survive a crash before the row commits. */
	return fsync_dir(dir);
}

void
blob_put_abort(struct blob_writer *w)
{
	int saved = errno;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp[0] != '\0')
		unlink(w->tmp);
	w->tmp[0] = '\0';
	errno = saved;
}

bool
blob_exists(const char *root, const char *id)
{
	char path[4200];

	if (!blob_id_is_valid(id))
		return false;
	blob_path(root, id, false, path, sizeof(path));
	return access(path, R_OK) == 0;
}

int
blob_open(const char *root, const char *id, uint64_t *size)
{
	char path[4200];
	struct stat st;
	int fd;

	if (!blob_id_is_valid(id))
		return -1;
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
blob_delete(const char *root, const char *id)
{
	char path[4200];

	if (!blob_id_is_valid(id))
		return -1;
	blob_path(root, id, false, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT) {
		log_err("storage: cannot delete blob %s: %m", id);
		return -1;
	}
	return 0;
}

int
blob_copy(const char *root, int mode, const char *src_id, struct blob_writer *w, char etag[65])
{
	char buf[BLOB_CHUNK];
	uint64_t size;
	ssize_t got;
	int fd = blob_open(root, src_id, &size);

	if (fd < 0)
		return -1;
	if (blob_put_begin(w, root, mode) < 0) {
		close(fd);
		return -1;
	}
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		if (blob_put_write(w, buf, (size_t)got) < 0)
			break;
	close(fd);
	if (got != 0 || blob_put_commit(w, etag) < 0) {
		blob_put_abort(w);
		return -1;
	}
	return 0;
}
