/*
 * pool.h - the master process: the workers, signals, reloads.
 */
#ifndef FLUXBASE_POOL_H
#define FLUXBASE_POOL_H

#include <stdbool.h>

struct conf;

/* Runs the master until stopped; takes *conf (replaced on reload, freed at the end). */
int pool_run(struct conf *conf, const char *conf_path);

#endif
