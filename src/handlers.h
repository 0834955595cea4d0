/*
 * handlers.h - request handlers named in the route table (routes.c).
 */
#ifndef FLUXBASE_HANDLERS_H
#define FLUXBASE_HANDLERS_H

struct request;

int health_get(struct request *r);
int tables_collection(struct request *r);
int tables_item(struct request *r);

#endif
