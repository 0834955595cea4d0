#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "conf.h"
#include "log.h"
#include "suites.h"

static char tmpdir[] = "/tmp/fbconf.XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/fbconf.XXXXXX");
}

START_TEST(test_defaults)
{
	char err[512];
	struct conf *c = conf_load(NULL, NULL, err, sizeof(err));

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->workers, 4);
	ck_assert_int_eq(c->listen_mode, 0660);
	ck_assert_uint_eq(c->max_body_size, 1024 * 1024);
	ck_assert_str_eq(c->listen, RUNSTATEDIR "/fluxbase/fluxbase.sock");
	ck_assert_int_eq(c->cors_allow_credentials, 0);
	ck_assert_str_eq(c->rate_limit_store, "memory");
	ck_assert_int_eq(c->tables_aggregates, 1);
	ck_assert_int_eq(conf_check_serving(c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "jwt_secret"));
	conf_free(c);
}
END_TEST

START_TEST(test_file_values)
{
	char err[512];
	const char *p = write_file("a.conf",
	    "# comment\n; other comment\n\n[server]\nworkers = 7\nlisten = 127.0.0.1:9000\n"
	    "max_body_size = 2M\nlisten_mode = 0600\n[cors]\nallow_credentials = yes\n"
	    "allowed_origins = \"https://a.example, https://b.example\"\n"
	    "[auth]\njwt_secret = abc#def0123456789012345678901234567890\n"
	    "rate_limit_store = database\n[tables]\naggregates = off\n");
	struct conf *c = conf_load(p, NULL, err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers, 7);
	ck_assert_str_eq(c->listen, "127.0.0.1:9000");
	ck_assert_uint_eq(c->max_body_size, 2 * 1024 * 1024);
	ck_assert_int_eq(c->listen_mode, 0600);
	ck_assert_int_eq(c->cors_allow_credentials, 1);
	ck_assert_str_eq(c->cors_allowed_origins, "https://a.example, https://b.example");
	ck_assert_str_eq(c->jwt_secret, "abc#def0123456789012345678901234567890");
	ck_assert_str_eq(c->rate_limit_store, "database");
	ck_assert_int_eq(c->tables_aggregates, 0);
	ck_assert_int_eq(conf_check_serving(c, err, sizeof(err)), 0);
	conf_free(c);
}
END_TEST

START_TEST(test_unknown_key_names_file_line_key)
{
	char err[512];
	const char *p = write_file("b.conf", "[server]\nworkers = 2\nworkerz = 3\n");
	struct conf *c = conf_load(p, NULL, err, sizeof(err));

	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "b.conf:3") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "workerz") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "unknown key") != NULL, "%s", err);
}
END_TEST

START_TEST(test_bad_values)
{
	static const char *bad[] = {
		"[server]\nworkers = 0\n",
		"[server]\nworkers = 1000\n",
		"[server]\nworkers = four\n",
		"[server]\nworkers = 4x\n",
		"[server]\nmax_body_size = 12Q\n",
		"[server]\nlisten_mode = 999\n",
		"[server]\nlog_level = loud\n",
		"[cors]\nallow_credentials = maybe\n",
		"[auth]\nrate_limit_store = redis\n",
		"[nope]\nx = 1\n",
		"workers = 1\n",
		"[server]\njust words\n",
		"[server\nworkers = 1\n",
		"[server]\nlisten =\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "";
		const char *p = write_file("c.conf", bad[i]);
		struct conf *c = conf_load(p, NULL, err, sizeof(err));

		ck_assert_msg(c == NULL, "accepted: %s", bad[i]);
		ck_assert_msg(strstr(err, "c.conf:") != NULL, "no location in: %s", err);
	}
}
END_TEST

START_TEST(test_env_overrides_file)
{
	char err[512];
	const char *p = write_file("d.conf", "[server]\nworkers = 2\n");
	char *env[] = { "FLUXBASE_SERVER_WORKERS=9", "FLUXBASE_URL=http://x/api/v1",
		"FLUXBASE_CORS_MAX_AGE=5", "PATH=/bin", NULL };
	char *badenv[] = { "FLUXBASE_SERVER_WORKERS=zero", NULL };
	char *unknown[] = { "FLUXBASE_SERVER_NOPE=1", NULL };
	struct conf *c = conf_load(p, env, err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers, 9);
	ck_assert_int_eq(c->cors_max_age, 5);
	conf_free(c);
	ck_assert_ptr_null(conf_load(p, badenv, err, sizeof(err)));
	ck_assert_msg(strstr(err, "FLUXBASE_SERVER_WORKERS") != NULL, "%s", err);
	ck_assert_ptr_null(conf_load(p, unknown, err, sizeof(err)));
	ck_assert_msg(strstr(err, "nope") != NULL, "%s", err);
}
END_TEST

START_TEST(test_secret_file)
{
	char err[512], text[400];
	const char *secret = write_file("secret", "0123456789abcdef0123456789abcdef-file\n");
	const char *p;
	struct conf *c;

	snprintf(text, sizeof(text), "[auth]\njwt_secret_file = %s\n", secret);
	p = write_file("e.conf", text);
	c = conf_load(p, NULL, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->jwt_secret, "0123456789abcdef0123456789abcdef-file");
	conf_free(c);

	p = write_file("f.conf", "[auth]\njwt_secret_file = /nonexistent/secret\n");
	ck_assert_ptr_null(conf_load(p, NULL, err, sizeof(err)));
	ck_assert_msg(strstr(err, "f.conf:2") && strstr(err, "jwt_secret"), "%s", err);
	/* Only secrets take a _file form. */
	p = write_file("g.conf", "[server]\nworkers_file = /etc/passwd\n");
	ck_assert_ptr_null(conf_load(p, NULL, err, sizeof(err)));
}
END_TEST

START_TEST(test_missing_file)
{
	char err[512];

	ck_assert_ptr_null(conf_load("/nonexistent/fluxbase.conf", NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/fluxbase.conf"));
}
END_TEST

/* etc/fluxbase.conf documents every key with its default. */
START_TEST(test_reference_config_documents_every_key)
{
	char err[512], line[1024];
	FILE *f = fopen(BUILD_CONFIG, "r");
	static char text[65536];
	size_t n;
	struct conf *c;

	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	for (size_t i = 0; i < conf_key_count(); i++) {
		struct conf_key_info k = conf_key_at(i);
		char section[80], mapped[512];
		const char *def = k.def;

		/* The state paths follow ./configure; the reference names them
		 * as Debian's layout has them (make install writes the others). */
		if (strncmp(def, RUNSTATEDIR "/", strlen(RUNSTATEDIR) + 1) == 0) {
			snprintf(mapped, sizeof(mapped), "/run%s", def + strlen(RUNSTATEDIR));
			def = mapped;
		} else if (strncmp(def, LOCALSTATEDIR "/", strlen(LOCALSTATEDIR) + 1) == 0) {
			snprintf(mapped, sizeof(mapped), "/var%s", def + strlen(LOCALSTATEDIR));
			def = mapped;
		}
		snprintf(section, sizeof(section), "[%s]", k.section);
		if (def[0] != '\0')
			snprintf(line, sizeof(line), "; %s = %s\n", k.key, def);
		else
			snprintf(line, sizeof(line), "; %s =\n", k.key);
		ck_assert_msg(strstr(text, section) != NULL, "no section %s", section);
		ck_assert_msg(strstr(text, line) != NULL, "not documented: %s", line);
	}
	/* And the shipped file itself loads. */
	c = conf_load(BUILD_CONFIG, NULL, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	conf_free(c);
}
END_TEST

/* log_format = json: each line is one JSON object, whatever the bytes. */
START_TEST(test_json_log_lines)
{
	char err[256], path[256], line[8192];
	const char *conf_path;
	struct conf *c;
	FILE *f;
	int lines = 0;

	snprintf(path, sizeof(path), "%s/all.log", tmpdir);
	snprintf(line, sizeof(line),
	    "[server]\nlog_format = json\nerror_log = %s\naccess_log = %s\n", path, path);
	conf_path = write_file("json.conf", line);
	c = conf_load(conf_path, NULL, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(conf_open_logs(c), 0);
	log_info("quote \" backslash \\ tab \t bytes \xff\xfe end");
	log_access("req-1", "GET", "/api/v1/tables/\"x\"/\x80\x01", 404, 42, 1234);
	log_close();
	conf_free(c);

	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		json_object *o = json_tokener_parse(line), *v;

		ck_assert_msg(o != NULL, "not JSON: %s", line);
		ck_assert(json_object_object_get_ex(o, "time", &v));
		ck_assert(json_object_object_get_ex(o, "pid", &v));
		ck_assert_int_eq(json_object_get_int(v), getpid());
		if (json_object_object_get_ex(o, "message", &v)) {
			ck_assert_ptr_nonnull(
			    strstr(json_object_get_string(v), "quote \" backslash \\ tab \t"));
			ck_assert(json_object_object_get_ex(o, "level", &v));
			ck_assert_str_eq(json_object_get_string(v), "info");
		} else {
			ck_assert(json_object_object_get_ex(o, "path", &v));
			ck_assert_str_eq(json_object_get_string(v),
			    "/api/v1/tables/\"x\"/\xc2\x80\x01");
			ck_assert(json_object_object_get_ex(o, "status", &v));
			ck_assert_int_eq(json_object_get_int(v), 404);
			ck_assert(json_object_object_get_ex(o, "duration_us", &v));
			ck_assert_int_eq(json_object_get_int(v), 1234);
		}
		json_object_put(o);
		lines++;
	}
	fclose(f);
	ck_assert_int_eq(lines, 2);
}
END_TEST

Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_file_values);
	tcase_add_test(tc, test_unknown_key_names_file_line_key);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_env_overrides_file);
	tcase_add_test(tc, test_secret_file);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_reference_config_documents_every_key);
	tcase_add_test(tc, test_json_log_lines);
	suite_add_tcase(s, tc);
	return s;
}
