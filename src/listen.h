/*
 * listen.h - the pool's listening socket (see listen.c).
 */
#ifndef FLUXBASE_LISTEN_H
#define FLUXBASE_LISTEN_H

#include <stdbool.h>

struct conf;

/* Whether fd is a listening socket (started by a web server or spawn-fcgi). */
bool listen_fd_is_listener(int fd);
/* The socket path [server] listen names, or NULL for host:port. */
const char *listen_unix_path(const char *listen);
/*
 * Binds conf->listen: a unix socket path (refusing a path where a live
 * process listens) or host:port.  Returns the fd or -1.
 */
int listen_open(const struct conf *conf);
/* systemd socket activation: the socket it passed, or -1. */
int listen_inherited(void);

#endif
