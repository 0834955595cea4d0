/*
 * worker.h - one FastCGI worker: accept, handle, finish, repeat.
 */
#ifndef FLUXBASE_WORKER_H
#define FLUXBASE_WORKER_H

#include <stdbool.h>

struct conf;
struct scoreboard;
struct sb_slot;

/*
 * Serves requests on listen_fd until told to stop or max_requests is
 * reached.  standalone: started by a web server or spawn-fcgi (no master),
 * so SIGINT stops it too.  Returns the process exit status.
 */
int worker_run(const struct conf *conf, int listen_fd, struct scoreboard *sb, struct sb_slot *slot,
    bool standalone);

#endif
