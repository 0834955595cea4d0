/*
 * handlers.h - request handlers named in the route table (routes.c).
 */
#ifndef FLUXBASE_HANDLERS_H
#define FLUXBASE_HANDLERS_H

#include <stdint.h>

struct request;

int health_get(struct request *r);
int tables_collection(struct request *r);
int tables_item(struct request *r);
int auth_signup(struct request *r);
int auth_signin(struct request *r);
int auth_signout(struct request *r);
int auth_refresh(struct request *r);
int auth_user(struct request *r);
int auth_magiclink(struct request *r);
int auth_magiclink_verify(struct request *r);
int storage_buckets_list(struct request *r);
int storage_bucket(struct request *r);
int storage_list(struct request *r);
int storage_object(struct request *r);
/* The per-worker cache of public objects' metadata ([storage] public_cache_ttl). */
void storage_public_cache_clear(void);
uint64_t storage_public_cache_hits(void);
int openapi_get(struct request *r);
int ops_status(struct request *r);
int ops_metrics(struct request *r);

#endif
