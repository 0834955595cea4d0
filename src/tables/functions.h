/*
 * tables/functions.h - (placeholder: being written).
 */
#ifndef FLUXBASE_TABLES_FUNCTIONS_H
#define FLUXBASE_TABLES_FUNCTIONS_H
#endif
