/*
 * tables/embed_sql.c - SQL for embedded resources (lateral subqueries).
 * (placeholder: being written)
 */
#include "config.h"
