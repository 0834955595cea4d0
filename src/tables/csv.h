/*
 * tables/csv.h - (placeholder: being written).
 */
#ifndef FLUXBASE_TABLES_CSV_H
#define FLUXBASE_TABLES_CSV_H
#endif
