/*
 * listen.c - the pool's listening socket: a unix socket (mode, owner and
 * group as configured; a stale socket file replaced, a live one never) or
 * host:port, with a listen queue as long as listen_backlog asks or, by
 * default, as the kernel allows; or the socket systemd hands over.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "listen.h"
#include "log.h"

bool
listen_fd_is_listener(int fd)
{
	int val = 0;
	socklen_t len = sizeof(val);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) == 0 && val != 0;
}

const char *
listen_unix_path(const char *listen)
{
	if (strncmp(listen, "unix:", 5) == 0)
		return listen + 5;
	return listen[0] == '/' || listen[0] == '.' || strchr(listen, ':') == NULL ? listen : NULL;
}

/* [server] listen_backlog, or when it is -1 the kernel's limit
 * (net.core.somaxconn), which listen() would cap a larger value to. */
static int
listen_backlog_length(const struct conf *conf)
{
	FILE *f;
	int n = 0;

	if (conf->listen_backlog > 0)
		return conf->listen_backlog;
	f = fopen("/proc/sys/net/core/somaxconn", "r");
	if (f != NULL) {
		if (fscanf(f, "%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n > 0 ? n : 4096; /* the kernel's default since Linux 5.4 */
}

/* A socket file already at path: removed when stale, refused when a
 * process listens on it or it is not a socket. */
static int
listen_unix_clear(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int probe;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("%s: %s exists and is not a socket; refusing to replace it", __func__,
		    path);
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (const struct sockaddr *)sun, sizeof(*sun)) == 0) {
		close(probe);
		log_err("%s: another process is listening on %s; not taking it over", __func__,
		    path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	if (unlink(path) < 0) {
		log_err("%s: cannot remove stale socket %s: %m", __func__, path);
		return -1;
	}
	return 0;
}

/* The socket file's mode, owner and group as [server] listen_* say. */
static int
listen_unix_access(const struct conf *conf, const char *path)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (chmod(path, (mode_t)conf->listen_mode) < 0) {
		log_err("%s: chmod %s: %m", __func__, path);
		return -1;
	}
	if (conf->listen_owner[0] != '\0') {
		struct passwd *pw = getpwnam(conf->listen_owner);

		if (pw == NULL) {
			log_err("%s: [server] listen_owner: no such user %s", __func__,
			    conf->listen_owner);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (conf->listen_group[0] != '\0') {
		struct group *gr = getgrnam(conf->listen_group);

		if (gr == NULL) {
			log_err("%s: [server] listen_group: no such group %s", __func__,
			    conf->listen_group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) < 0) {
		log_err("%s: chown %s: %m", __func__, path);
		return -1;
	}
	return 0;
}

static int
listen_unix(const struct conf *conf, const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("%s: socket path too long: %s", __func__, path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (listen_unix_clear(path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		log_err("%s: socket: %m", __func__);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_err("%s: bind %s: %m", __func__, path);
		close(fd);
		return -1;
	}
	if (listen_unix_access(conf, path) < 0)
		goto fail;
	if (listen(fd, listen_backlog_length(conf)) < 0) {
		log_err("%s: listen %s: %m", __func__, path);
		goto fail;
	}
	return fd;
fail:
	unlink(path);
	close(fd);
	return -1;
}

static int
listen_tcp(const struct conf *conf, const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *res = NULL, *ai;
	size_t hlen;
	int fd = -1, one = 1, rc;

	hlen = (size_t)(colon - spec);
	if (hlen >= sizeof(host) || colon[1] == '\0') {
		log_err("%s: [server] listen: expected host:port, got %s", __func__, spec);
		return -1;
	}
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0) {
		log_err("%s: [server] listen %s: %s", __func__, spec, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, listen_backlog_length(conf)) == 0)
			break;
		log_err("%s: bind/listen %s: %m", __func__, spec);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
listen_open(const struct conf *conf)
{
	const char *path = listen_unix_path(conf->listen);

	return path != NULL ? listen_unix(conf, path) : listen_tcp(conf, conf->listen);
}

/* systemd socket activation: LISTEN_PID is us, the socket is fd 3. */
int
listen_inherited(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int fd = -1;

	if (pid != NULL && fds != NULL && atol(pid) == (long)getpid() && atoi(fds) >= 1 &&
	    listen_fd_is_listener(3))
		fd = 3;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (fd >= 0)
		fcntl(fd, F_SETFD, 0);
	return fd;
}
