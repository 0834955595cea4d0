#ifndef FLUXBASE_TEST_SUITES_H
#define FLUXBASE_TEST_SUITES_H

#include <check.h>

Suite *arena_suite(void);
Suite *conf_suite(void);
Suite *request_suite(void);
Suite *response_suite(void);
Suite *router_suite(void);
Suite *token_suite(void);
Suite *tables_suite(void);
Suite *tables_select_suite(void);
Suite *tables_sql_suite(void);
Suite *storage_suite(void);
Suite *openapi_suite(void);
Suite *auth_suite(void);
Suite *access_suite(void);
Suite *migrate_suite(void);
Suite *session_sql_suite(void);

#endif
