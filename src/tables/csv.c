/*
 * tables/csv.c - RFC 4180 CSV bodies read into JSON rows.
 * (placeholder: being written)
 */
#include "config.h"
