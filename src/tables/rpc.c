/*
 * tables/rpc.c - POST/GET /rpc/{function}.
 * (placeholder: being written)
 */
#include "config.h"
