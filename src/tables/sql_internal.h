/*
 * tables/sql_internal.h - what query_sql.c and embed_sql.c share
 * (placeholder: being written).
 */
#ifndef FLUXBASE_TABLES_SQL_INTERNAL_H
#define FLUXBASE_TABLES_SQL_INTERNAL_H
#endif
