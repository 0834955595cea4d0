/*
 * tables/relationship.h - (placeholder: being written).
 */
#ifndef FLUXBASE_TABLES_RELATIONSHIP_H
#define FLUXBASE_TABLES_RELATIONSHIP_H
#endif
