/*
 * pool.h - the master process: the listening socket, the workers, signals.
 */
#ifndef FLUXBASE_POOL_H
#define FLUXBASE_POOL_H

#include <stdbool.h>

struct conf;

/* Whether fd is a listening socket (started by a web server or spawn-fcgi). */
bool pool_fd_is_listener(int fd);
/*
 * Binds conf->listen: a unix socket path (refusing a path where a live
 * process listens) or host:port.  Returns the fd or -1.
 */
int pool_listen(const struct conf *conf);
/* Runs the master until stopped; takes *conf (replaced on reload, freed at the end). */
int pool_run(struct conf *conf, const char *conf_path);

#endif
