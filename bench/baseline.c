/*
 * bench/baseline.c - the floor of this architecture, for bench/run only.
 *
 * A pre-forked libfcgi worker pool, one libpq connection and prepared
 * statements per worker, answering the benchmark's requests with the same
 * SQL output as the server, and nothing else: no routing beyond the
 * method and a '?', no tokens, no parsing, no policies, no logging.
 *   GET  /b/items/<id>      one row as JSON              (S1)
 *   GET  /b/items?...       20 active rows, json_agg     (S2)
 *   POST /b/items           INSERT ... RETURNING          (S3)
 *   GET  /b/accel/<name>    X-Accel-Redirect to /static/<name>, no query:
 *                           the floor of an offloaded download (S5o)
 *   GET  /b/accelq/<name>   the same after reading object <name> of bucket
 *                           bench as the server does (the same columns, as
 *                           the superuser: no identity, no policy): the
 *                           floor of an offloaded download that asks the
 *                           database once (S5q)
 *   GET  /b/stream/<name>   the file <name> of $BASELINE_STATIC_DIR streamed
 *                           as the server streams one (headers, then
 *                           64 KiB records sent from the page cache): the
 *                           floor of a streamed download (S5)
 *   GET  /b/posts?...       20 posts with author and comments (S8): one
 *                           hand-written statement building the same JSON,
 *                           on a second connection that is the signed-in
 *                           user (role authenticated, request.jwt.claim.sub
 *                           set once for the session), so the same
 *                           row-level security policies apply
 * Usage: baseline SOCKET WORKERS CONNINFO [S8-USER-UUID]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

static const char s1_sql[] = "SELECT row_to_json(i)::text FROM items i WHERE id = $1";
static const char s2_sql[] =
    "SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT * FROM items WHERE status ="
    " 'active' ORDER BY id LIMIT 20) t";
static const char s3_sql[] =
    "INSERT INTO items (owner, status, title) SELECT r.owner, r.status, r.title FROM"
    " json_populate_record(NULL::items, $1::json) r RETURNING row_to_json(items)::text";

static const char s5q_sql[] =
    "SELECT size, content_type, etag, cache_control,"
    " extract(epoch FROM date_trunc('second', updated_at))::bigint, blob_id, active_ok"
    " FROM storage.objects WHERE bucket_id = 'bench' AND key = $1";

static const char s8_sql[] =
    "SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT p.id, p.title,"
    " (SELECT row_to_json(a) FROM (SELECT u.name FROM users u WHERE u.id = p.author_id) a)"
    " AS author,"
    " coalesce((SELECT json_agg(c) FROM (SELECT c.id, c.body FROM comments c"
    " WHERE c.post_id = p.id) c), '[]') AS comments"
    " FROM posts p ORDER BY p.id DESC LIMIT 20) t";

static void
reply(FCGX_Request *rq, int status, const char *body)
{
	/* libfcgi's own printf knows no %zu. */
	FCGX_FPrintF(rq->out,
	    "Status: %d\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n\r\n",
	    status, (int)strlen(body));
	FCGX_PutStr(body, (int)strlen(body), rq->out);
}

/* The whole file as STDOUT records of up to 65535 bytes: each record's
 * header written, then its bytes sent by the kernel (src/response.c's way). */
static void
stream(FCGX_Request *rq, const char *name)
{
	const char *dir = getenv("BASELINE_STATIC_DIR");
	char path[4096];
	struct stat st;
	off_t off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", name);
	fd = strchr(name, '/') == NULL ? open(path, O_RDONLY) : -1;
	if (fd < 0 || fstat(fd, &st) < 0) {
		reply(rq, 404, "{}");
		if (fd >= 0)
			close(fd);
		return;
	}
	FCGX_FPrintF(rq->out,
	    "Status: 200\r\nContent-Type: application/octet-stream\r\nContent-Length: %ld\r\n\r\n",
	    (long)st.st_size);
	FCGX_FFlush(rq->out);
	while (off < st.st_size) {
		size_t k = st.st_size - off > 65535 ? 65535 : (size_t)(st.st_size - off);
		unsigned char hd[8] = { 1, 6, (unsigned char)(rq->requestId >> 8),
			(unsigned char)rq->requestId, (unsigned char)(k >> 8), (unsigned char)k, 0,
			0 };

		if (write(rq->ipcFd, hd, 8) != 8)
			break;
		while (k > 0) {
			ssize_t w = sendfile(rq->ipcFd, fd, &off, k);

			if (w <= 0)
				goto out;
			k -= (size_t)w;
		}
	}
out:
	close(fd);
}

/* The S8 connection: the user's identity for the whole session. */
static PGconn *
connect_as_user(const char *conninfo, const char *user)
{
	PGconn *db = PQconnectdb(conninfo);
	const char *v[1] = { user };
	PGresult *res;

	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "baseline: %s", PQerrorMessage(db));
		exit(1);
	}
	res = PQexecParams(db,
	    "SELECT set_config('role', 'authenticated', false),"
	    " set_config('request.jwt.claim.sub', $1, false),"
	    " set_config('request.jwt.claim.role', 'authenticated', false)",
	    1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "baseline: %s", PQerrorMessage(db));
		exit(1);
	}
	PQclear(res);
	PQclear(PQprepare(db, "s8", s8_sql, 0, NULL));
	return db;
}

static void
serve(int fd, const char *conninfo, const char *user)
{
	PGconn *db = PQconnectdb(conninfo), *db8 = NULL;
	FCGX_Request rq;
	char body[65536];

	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "baseline: %s", PQerrorMessage(db));
		exit(1);
	}
	PQclear(PQprepare(db, "s1", s1_sql, 1, NULL));
	PQclear(PQprepare(db, "s2", s2_sql, 0, NULL));
	PQclear(PQprepare(db, "s3", s3_sql, 1, NULL));
	PQclear(PQprepare(db, "s5q", s5q_sql, 1, NULL));
	if (user != NULL)
		db8 = connect_as_user(conninfo, user);
	FCGX_Init();
	FCGX_InitRequest(&rq, fd, 0);
	while (FCGX_Accept_r(&rq) >= 0) {
		const char *method = FCGX_GetParam("REQUEST_METHOD", rq.envp);
		const char *uri = FCGX_GetParam("REQUEST_URI", rq.envp);
		PGresult *res;

		if (uri != NULL && strncmp(uri, "/b/accelq/", 10) == 0 &&
		    strstr(uri, "..") == NULL) {
			const char *v[1] = { uri + 10 };

			res = PQexecPrepared(db, "s5q", 1, v, NULL, NULL, 0);
			if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
				FCGX_FPrintF(rq.out,
				    "Status: 200\r\nX-Accel-Redirect: /static/%s\r\n\r\n",
				    uri + 10);
			else
				reply(&rq, 404, "{}");
			PQclear(res);
			FCGX_Finish_r(&rq);
			continue;
		}
		if (uri != NULL && strncmp(uri, "/b/accel/", 9) == 0 && strstr(uri, "..") == NULL) {
			FCGX_FPrintF(rq.out, "Status: 200\r\nX-Accel-Redirect: /static/%s\r\n\r\n",
			    uri + 9);
			FCGX_Finish_r(&rq);
			continue;
		}
		if (uri != NULL && strncmp(uri, "/b/stream/", 10) == 0) {
			stream(&rq, uri + 10);
			FCGX_Finish_r(&rq);
			continue;
		}
		if (method != NULL && strcmp(method, "POST") == 0) {
			int n = FCGX_GetStr(body, sizeof(body) - 1, rq.in);
			const char *v[1] = { body };

			body[n > 0 ? n : 0] = '\0';
			res = PQexecPrepared(db, "s3", 1, v, NULL, NULL, 0);
		} else if (db8 != NULL && uri != NULL && strncmp(uri, "/b/posts", 8) == 0) {
			res = PQexecPrepared(db8, "s8", 0, NULL, NULL, NULL, 0);
		} else if (uri != NULL && strchr(uri, '?') != NULL) {
			res = PQexecPrepared(db, "s2", 0, NULL, NULL, NULL, 0);
		} else {
			const char *id = uri ? strrchr(uri, '/') : NULL;
			const char *v[1] = { id ? id + 1 : "0" };

			res = PQexecPrepared(db, "s1", 1, v, NULL, NULL, 0);
		}
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			reply(&rq, method && strcmp(method, "POST") == 0 ? 201 : 200,
			    PQgetvalue(res, 0, 0));
		else
			reply(&rq, 404, "{}");
		PQclear(res);
		FCGX_Finish_r(&rq);
	}
	exit(0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, workers;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: baseline SOCKET WORKERS CONNINFO [S8-USER-UUID]\n");
		return 2;
	}
	workers = atoi(argv[2]);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 511) < 0) {
		perror("baseline: socket");
		return 1;
	}
	chmod(argv[1], 0666);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < workers; i++)
		if (fork() == 0)
			serve(fd, argv[3], argc == 5 ? argv[4] : NULL);
	/* Until told to stop; the workers go with the process group. */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
