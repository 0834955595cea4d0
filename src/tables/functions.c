/*
 * tables/functions.c - the functions of the exposed schemas, cached like the tables.
 * (placeholder: being written)
 */
#include "config.h"
