/*
 * handlers.h - request handlers named in the route table (routes.c).
 *
 * One return convention, for handlers and every helper that can answer:
 * 0 when it went well (a handler: its answer is set), -1 when it failed
 * with its error answer already set (response_error() and friends return
 * -1 for that), so a caller passes the failure on with "return -1".  A
 * handler that returns -1 without an answer set gets 500 INTERNAL.  A
 * handler starts with its caller settled by the route's access rule.
 */
#ifndef FLUXBASE_HANDLERS_H
#define FLUXBASE_HANDLERS_H

#include <stdint.h>

struct request;

int health_get(struct request *r);
int tables_collection(struct request *r);
int tables_item(struct request *r);
/* POST, GET and HEAD of /rpc/{function} (tables/rpc.c). */
int tables_rpc(struct request *r);
int auth_signup(struct request *r);
int auth_signin(struct request *r);
int auth_signout(struct request *r);
int auth_refresh(struct request *r);
int auth_user(struct request *r);
int auth_magiclink(struct request *r);
int auth_magiclink_verify(struct request *r);
int auth_verify(struct request *r);
int auth_recover(struct request *r);
int auth_resend(struct request *r);
int auth_admin_invite(struct request *r);
int auth_admin_generate_link(struct request *r);
int auth_admin_users(struct request *r);
int auth_admin_user(struct request *r);
int auth_admin_user_signout(struct request *r);
/* /auth/v1, GoTrue's paths (auth/gotrue.c, auth/gotrue_admin.c). */
int gotrue_settings(struct request *r);
int gotrue_signup(struct request *r);
int gotrue_token(struct request *r);
int gotrue_logout(struct request *r);
int gotrue_user_route(struct request *r);
int gotrue_otp(struct request *r);
int gotrue_verify(struct request *r);
int gotrue_recover(struct request *r);
int gotrue_resend(struct request *r);
int gotrue_invite(struct request *r);
int gotrue_generate_link(struct request *r);
int gotrue_admin_users(struct request *r);
int gotrue_admin_user(struct request *r);
int storage_buckets_list(struct request *r);
int storage_bucket(struct request *r);
int storage_list(struct request *r);
int storage_object(struct request *r);
/* /storage/v1: Supabase Storage's API (storage/compat.c, compat_objects.c). */
int storage_compat_buckets(struct request *r);
int storage_compat_bucket_get(struct request *r);
int storage_compat_bucket_create(struct request *r);
int storage_compat_bucket(struct request *r);
int storage_compat_bucket_empty(struct request *r);
int storage_compat_list(struct request *r);
int storage_compat_info(struct request *r);
int storage_compat_object(struct request *r);
int storage_compat_public(struct request *r);
int storage_compat_authenticated(struct request *r);
int storage_compat_remove(struct request *r);
int storage_compat_move(struct request *r);
int storage_compat_copy(struct request *r);
int storage_compat_sign(struct request *r);
int storage_compat_sign_many(struct request *r);
int storage_compat_upload_sign(struct request *r);
int openapi_get(struct request *r);
/* The Supabase-compatible prefixes' OpenAPI documents (openapi/supabase.c):
 * /openapi-supabase.json (all three prefixes) and /rest/v1/ (PostgREST's
 * root: its tables and functions). */
int openapi_supabase_get(struct request *r);
int openapi_postgrest_get(struct request *r);
int ops_status(struct request *r);
int ops_metrics(struct request *r);

#endif
