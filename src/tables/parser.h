/*
 * tables/parser.h - the parser state shared by query_parse.c and
 * select_parse.c (placeholder: being written).
 */
#ifndef FLUXBASE_TABLES_PARSER_H
#define FLUXBASE_TABLES_PARSER_H
#endif
