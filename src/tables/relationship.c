/*
 * tables/relationship.c - relationships between tables from the foreign keys in the schema cache.
 * (placeholder: being written)
 */
#include "config.h"
