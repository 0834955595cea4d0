/*
 * items_table.h - a table described by hand, as the schema cache would:
 * what the unit tests and the fuzz targets of the tables grammar and SQL
 * builder run against.  One column has a quote in its name.
 */
#ifndef FLUXBASE_TESTS_ITEMS_TABLE_H
#define FLUXBASE_TESTS_ITEMS_TABLE_H

#include "schema.h"

static struct sc_column cols[] = {
	{ .name = "id",
	    .quoted = "\"id\"",
	    .type = "integer",
	    .typname = "int4",
	    .typcategory = 'N',
	    .pk = true,
	    .notnull = true,
	    .default_expr = "nextval('items_id_seq'::regclass)" },
	{ .name = "name",
	    .quoted = "\"name\"",
	    .type = "text",
	    .typname = "text",
	    .typcategory = 'S' },
	{ .name = "age",
	    .quoted = "\"age\"",
	    .type = "integer",
	    .typname = "int4",
	    .typcategory = 'N' },
	{ .name = "tags",
	    .quoted = "\"tags\"",
	    .type = "text[]",
	    .typname = "_text",
	    .typcategory = 'A',
	    .elemtype = "text" },
	{ .name = "doc",
	    .quoted = "\"doc\"",
	    .type = "tsvector",
	    .typname = "tsvector",
	    .typcategory = 'U' },
	{ .name = "we\"ird",
	    .quoted = "\"we\"\"ird\"",
	    .type = "text",
	    .typname = "text",
	    .typcategory = 'S' },
};
static struct sc_table table = {
	.schema = "public",
	.name = "items",
	.url_name = "items",
	.url_plural = "items",
	.qualified = "\"public\".\"items\"",
	.kind = 'r',
	.insertable = true,
	.updatable = true,
	.deletable = true,
	.columns = cols,
	.ncolumns = 6,
	.pk = 0,
	.npk = 1,
};

#endif
