/* Shared helpers of the integration tests (implemented in client.c). */
#ifndef FLUXBASE_TEST_SUITES_H
#define FLUXBASE_TEST_SUITES_H

#include <check.h>
#include <stdbool.h>
#include <sys/types.h>

struct json_object;
struct http_resp;

/* A token from "fluxbase-fcgi token" for the test stack (sub may be NULL). */
void mint_token(char *out, size_t n, const char *role, const char *sub);
/* Runs tests/lib/stack.sh on the test stack with the given arguments. */
int stack_cmd(const char *cmd);
/* Runs sql with psql on the test stack's database; it must succeed. */
void stack_psql(const char *sql);
/* A raw connection to the stack's nginx, for clients that misbehave. */
int nginx_connect(void);
/* [section] name = value in the stack's configuration (replacing an
 * earlier line of that name), then a reload of the pool. */
void stack_set(const char *section, const char *name, const char *value);
pid_t master_pid(void);
int worker_pids(pid_t *out, int max);
bool pid_in(pid_t p, const pid_t *set, int n);
void sleep_ms(long ms);
/* Until a pool (process pid, or 0) started by a test listens on path:
 * fails the test after 10 s or when pid exits; then a moment for its
 * workers. */
void wait_for_socket(const char *path, pid_t pid);
double now_s(void);
struct json_object *json_body(const struct http_resp *r);
const char *jstr(struct json_object *o, const char *key);
void assert_error(const struct http_resp *r, long status, const char *code);
long get_status(const char *path);
bool log_contains(const char *needle);

/* Request loops in child processes, counting non-200 answers. */
struct load {
	pid_t pids[8];
	int fds[8];
	int n;
};
void load_start(struct load *l, int procs, double seconds);
void load_wait(struct load *l, int *total, int *failed);

TCase *modes_tcase(void);
TCase *tables_tcase(void);
TCase *tables_conformance_tcase(void);
TCase *tables_media_tcase(void);
TCase *tables_session_tcase(void);
TCase *tables_embed_tcase(void);
TCase *tables_rpc_tcase(void);
TCase *tables_formats_tcase(void);
TCase *supabase_rest_tcase(void);
TCase *supabase_auth_tcase(void);
TCase *supabase_storage_tcase(void);
TCase *ratelimit_tcase(void);
TCase *auth_smtp_tcase(void);
TCase *auth_tcase(void);
TCase *auth_flows_tcase(void);
TCase *auth_admin_tcase(void);
TCase *storage_tcase(void);
TCase *storage_s3_tcase(void);
TCase *openapi_tcase(void);
TCase *ops_tcase(void);
TCase *hardening_tcase(void);

#endif
