/*
 * health.c - GET /api/v1/health: is the worker up and the database there.
 */
#include "config.h"

#include <string.h>

#include "db.h"
#include "handlers.h"
#include "http.h"
#include "log.h"

int
health_get(struct request *r)
{
	static const char ok[] = "{\"status\":\"ok\",\"database\":\"ok\"}";
	struct db_result *res = db_exec(r->db, "SELECT 1", 0, NULL);
	enum db_status st = db_result_status(res);

	/* A connection that died while idle (PostgreSQL restarted) is only
	 * noticed by its first statement; SELECT 1 is safe to try again. */
	if (st == DB_UNAVAILABLE) {
		db_result_free(res);
		res = db_exec(r->db, "SELECT 1", 0, NULL);
		st = db_result_status(res);
	}

	if (st == DB_ERROR)
		log_err("%s: %s", __func__, db_result_message(res));
	db_result_free(res);
	response_header(r, "Cache-Control", "no-store");
	if (st != DB_OK)
		return response_db_unavailable(r);
	response_json(r, 200, ok, sizeof(ok) - 1);
	return 0;
}
