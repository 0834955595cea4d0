/*
 * tables/select_parse.c - the select grammar: columns, JSON paths, casts, aggregates, embedded resources.
 * (placeholder: being written)
 */
#include "config.h"
